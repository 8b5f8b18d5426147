"""School pages: classes of a school, a class roster, roster import."""

import io

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth import throttle_services
from lms.auth.current import policy
from lms.auth.decorators import login_required
from lms.auth.models import User
from lms.auth.permissions import can, require
from lms.auth.services import reset_password as reset_password_service
from lms.core.errors import DomainError
from lms.core.errors_views import flash_or_raise
from lms.core.safe_redirect import safe_next
from lms.kernel import db
from lms.org import roster_services, services
from lms.org.forms import ClassForm, ConfirmForm, RosterUploadForm
from lms.org.models import SchoolClass, SchoolYear, Unit, UnitKind
from lms.org.roster import template_xlsx

bp = Blueprint("org", __name__, url_prefix="/schools")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _school_or_404(school_id: int) -> Unit:
    school = db.session.get(Unit, school_id)
    if school is None or school.kind != UnitKind.SCHOOL:
        abort(404)
    return school


def _year_choices(form_field) -> None:
    years = db.session.scalars(select(SchoolYear).order_by(SchoolYear.starts_on.desc())).all()
    form_field.choices = [(y.id, y.name) for y in years]
    current = services.current_school_year()
    if form_field.data is None and current:
        form_field.data = current.id


@bp.route("/<id:school_id>/classes", methods=["GET", "POST"])
@login_required
def school_classes(school_id: int):
    school = _school_or_404(school_id)
    require(g.user, "school.manage_people", school)
    form = ClassForm()
    _year_choices(form.school_year)
    form.grade.choices = [(grade, str(grade)) for grade in school.school_level.grades()]
    if form.validate_on_submit():
        try:
            year = db.get_or_404(SchoolYear, form.school_year.data)
            created = services.add_class(g.user, school, year, form.name.data, form.grade.data)
            db.session.commit()
            flash(_("Đã tạo lớp %(name)s.", name=created.name), "success")
            return redirect(url_for("org.school_classes", school_id=school.id))
        except DomainError as error:
            flash_or_raise(error)
    classes = db.session.scalars(select(SchoolClass).where(SchoolClass.school_id == school.id)
                                 .order_by(SchoolClass.grade, SchoolClass.name)).all()
    return render_template("org/school_classes.html", school=school, classes=classes, form=form)


@bp.get("/classes/<id:class_id>")
@login_required
def class_detail(class_id: int):
    school_class = db.get_or_404(SchoolClass, class_id)
    students, details = services.class_roster(g.user, school_class)
    # Only staff see the reset and unblock buttons; the users are in the session already.
    users = [db.session.get(User, s.user_id) for s in students] if details else []
    resettable = {u.id for u in users if can(g.user, "user.reset_password", u)}
    throttled = throttle_services.account_states(
        policy().limits, [u for u in users if u.id in resettable])
    return render_template("org/class_detail.html", school_class=school_class, students=students,
                           details=details, resettable=resettable, throttled=throttled)


@bp.route("/<id:school_id>/roster", methods=["GET", "POST"])
@login_required
def roster_upload(school_id: int):
    school = _school_or_404(school_id)
    require(g.user, "school.manage_people", school)
    form = RosterUploadForm()
    _year_choices(form.school_year)
    if form.validate_on_submit():
        try:
            year = db.get_or_404(SchoolYear, form.school_year.data)
            record = roster_services.preview_roster(g.user, school, year, form.file.data.filename,
                                                    form.file.data.read())
            db.session.commit()
            return redirect(url_for("org.roster_preview", school_id=school.id,
                                    import_id=record.id))
        except DomainError as error:
            flash_or_raise(error)
    status = 400 if form.errors or form.is_submitted() else 200
    return render_template("org/roster_upload.html", school=school, form=form), status


@bp.get("/<id:school_id>/roster/template.xlsx")
@login_required
def roster_template(school_id: int):
    school = _school_or_404(school_id)
    require(g.user, "school.manage_people", school)
    return send_file(io.BytesIO(template_xlsx()), as_attachment=True,
                     download_name="mau-danh-sach.xlsx", mimetype=XLSX)


@bp.get("/<id:school_id>/roster/<id:import_id>")
@login_required
def roster_preview(school_id: int, import_id: int):
    record = roster_services.load_import(g.user, import_id)
    if record.school_id != school_id:
        abort(404)
    return render_template("org/roster_preview.html", record=record, school=record.school,
                           form=ConfirmForm())


@bp.post("/<id:school_id>/roster/<id:import_id>/confirm")
@login_required
def roster_confirm(school_id: int, import_id: int):
    record = roster_services.load_import(g.user, import_id)
    if record.school_id != school_id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    slips, updated = roster_services.confirm_roster(g.user, policy(), record)
    db.session.commit()
    return render_template("org/roster_slips.html", school=record.school, slips=slips,
                           updated=updated)


@bp.post("/users/<id:user_id>/reset-password")
@login_required
def reset_password(user_id: int):
    target = db.get_or_404(User, user_id)
    require(g.user, "user.reset_password", target)
    password = reset_password_service(policy(), g.user, target)
    db.session.commit()
    return render_template("org/password_reset.html", target=target, password=password)


@bp.post("/users/<id:user_id>/login-throttle/clear")
@login_required
def clear_login_throttle(user_id: int):
    target = db.get_or_404(User, user_id)
    require(g.user, "user.clear_login_throttle", target)
    throttle_services.clear_login_throttle(g.user, target)
    db.session.commit()
    flash(_("Đã bỏ chặn đăng nhập cho %(name)s.", name=target.full_name), "success")
    return redirect(safe_next(request.form.get("next"), url_for("core.index")))
