"""Administration pages for units and school years; people and curriculum are beside it."""

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from lms.admin import curriculum_views, people_views  # noqa: F401  (they register routes)
from lms.admin.blueprint import bp
from lms.admin.forms import KIND_LABELS, LEVEL_LABELS, CloseUnitForm, SchoolYearForm, UnitForm
from lms.auth.permissions import can, managed_units, require
from lms.core.errors import DomainError
from lms.core.errors_views import flash_or_raise
from lms.kernel import db
from lms.org import services
from lms.org.models import SchoolLevel, SchoolYear, Unit, UnitKind


@bp.get("/")
def index():
    return render_template("admin/index.html")


def _subtree() -> list[tuple[Unit, int]]:
    """Every unit under the actor's managed units, in tree order, with its depth."""
    rows, seen = [], set()
    for root in managed_units(g.user):
        base = root.path.count("/")
        for unit in db.session.scalars(select(Unit).where(Unit.path.startswith(root.path))
                                       .order_by(Unit.path)):
            if unit.id not in seen:
                seen.add(unit.id)
                rows.append((unit, unit.path.count("/") - base))
    return rows


@bp.get("/units")
def units():
    return render_template("admin/units.html", rows=_subtree(), kinds=KIND_LABELS,
                           levels=LEVEL_LABELS, close_form=CloseUnitForm())


def _unit_form(unit: Unit | None = None) -> UnitForm:
    """The unit form; the parent list holds the non-school units this admin manages."""
    if unit is None:
        form = UnitForm(parent=request.args.get("parent", type=int))
    else:
        form = UnitForm(data={
            "kind": unit.kind.value, "name": unit.name, "parent": unit.parent_id or 0,
            "external_code": unit.external_code or "", "valid_from": unit.valid_from,
            "school_level": unit.school_level.value if unit.school_level else "",
            "valid_to": unit.valid_to})
    form.parent.choices = [(u.id, "· " * depth + u.name) for u, depth in _subtree()
                           if can(g.user, "unit.manage", u) and u.kind != UnitKind.SCHOOL
                           and (unit is None or not unit.contains(u))]
    if unit is not None and unit.parent_id not in {c[0] for c in form.parent.choices}:
        form.parent.choices.insert(0, (unit.parent_id or 0,
                                       unit.parent.name if unit.parent else "—"))
    return form


def _unit_fields(form: UnitForm) -> dict:
    return {"kind": UnitKind(form.kind.data), "name": form.name.data,
            "external_code": form.external_code.data,
            "school_level": SchoolLevel(form.school_level.data) if form.school_level.data else None,
            "valid_from": form.valid_from.data, "valid_to": form.valid_to.data}


@bp.route("/units/new", methods=["GET", "POST"])
def unit_new():
    form = _unit_form()
    if form.validate_on_submit():
        parent = db.get_or_404(Unit, form.parent.data)
        try:
            fields = _unit_fields(form)
            unit = services.create_unit(g.user, fields.pop("kind"), fields.pop("name"), parent,
                                        **fields)
            db.session.commit()
            flash(_("Đã tạo đơn vị %(name)s.", name=unit.name), "success")
            return redirect(url_for("admin.units"))
        except DomainError as error:
            flash_or_raise(error)
    return render_template("admin/unit_form.html", form=form, unit=None)


@bp.route("/units/<id:unit_id>", methods=["GET", "POST"])
def unit_edit(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    require(g.user, "unit.manage", unit)
    form = _unit_form(unit)
    if form.validate_on_submit():
        parent = db.session.get(Unit, form.parent.data) if form.parent.data else None
        try:
            services.edit_unit(g.user, unit, parent=parent, **_unit_fields(form))
            db.session.commit()
            flash(_("Đã lưu đơn vị %(name)s.", name=unit.name), "success")
            return redirect(url_for("admin.units"))
        except DomainError as error:
            flash_or_raise(error)
    return render_template("admin/unit_form.html", form=form, unit=unit)


@bp.post("/units/<id:unit_id>/close")
def unit_close(unit_id: int):
    unit = db.get_or_404(Unit, unit_id)
    require(g.user, "unit.manage", unit)
    form = CloseUnitForm()
    if not form.validate_on_submit():
        flash(_("Ngày đóng cần có dạng dd/mm/yyyy."), "error")
        return redirect(url_for("admin.units"))
    try:
        services.close_unit(g.user, unit, form.on.data)
        db.session.commit()
        flash(_("Đã đóng đơn vị %(name)s.", name=unit.name), "success")
    except DomainError as error:
        flash_or_raise(error)
    return redirect(url_for("admin.units"))


@bp.route("/school-years", methods=["GET", "POST"])
def school_years():
    form = SchoolYearForm()
    if form.validate_on_submit():
        try:
            year = services.add_school_year(g.user, form.name.data, form.starts_on.data,
                                            form.ends_on.data)
            db.session.commit()
            flash(_("Đã tạo năm học %(name)s.", name=year.name), "success")
            return redirect(url_for("admin.school_years"))
        except DomainError as error:
            flash_or_raise(error)
    rows = db.session.scalars(select(SchoolYear).order_by(SchoolYear.starts_on.desc())).all()
    return render_template("admin/school_years.html", years=rows, form=form,
                           can_create=can(g.user, "school_year.manage"))
