"""Administration of people: search, detail with memberships, grant/revoke, deactivate."""

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.admin.blueprint import bp
from lms.admin.forms import ROLE_LABELS, GrantForm
from lms.auth import services as auth_services
from lms.auth import throttle_services
from lms.auth.current import policy
from lms.auth.models import User
from lms.auth.permissions import can, managed_units, require
from lms.core.errors import DomainError
from lms.core.errors_views import flash_or_raise
from lms.core.ids import to_int
from lms.kernel import db
from lms.org import services
from lms.org.forms import ConfirmForm
from lms.org.models import Membership, Role, SchoolClass, Unit

PAGE_SIZE = 25
#: Far past any real listing; a page beyond it would only overflow the query's offset.
MAX_PAGE = 100_000


@bp.get("/users")
def users():
    query = request.args.get("q", "")[:100]
    page = min(max(request.args.get("page", 1, type=to_int), 1), MAX_PAGE)
    stmt = services.people_in_scope(g.user, query)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = db.session.scalars(stmt.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("admin/users.html", users=rows, q=query, page=page, pages=pages,
                           total=total, roles=ROLE_LABELS)


def _grant_form(target: User) -> GrantForm:
    """Units under the actor's managed units; classes of the schools the target or the acting
    leader belongs to (a province has too many classes for one list). The rule decides."""
    form = GrantForm()
    units = []
    for root in managed_units(g.user):
        units += db.session.scalars(select(Unit).where(Unit.path.startswith(root.path))
                                    .order_by(Unit.path)).all()
    units = list(dict.fromkeys(units))
    form.unit.choices = [(u.id, u.name) for u in units]
    near = {m.unit_id for m in target.memberships} | {u.id for u in managed_units(g.user)}
    schools = [u.id for u in units if u.id in near]
    classes = db.session.scalars(select(SchoolClass).where(SchoolClass.school_id.in_(schools))
                                 .order_by(SchoolClass.name)).all() if schools else []
    form.school_class.choices = [(0, "—")] + [
        (c.id, f"{c.name} · {c.school.name} · {c.school_year.name}") for c in classes]
    return form


@bp.get("/users/<id:user_id>")
def user_detail(user_id: int):
    target = db.get_or_404(User, user_id)
    require(g.user, "user.view", target)
    throttle = (throttle_services.account_states(policy().limits, [target]).get(target.id)
                if can(g.user, "user.clear_login_throttle", target) else None)
    return render_template("admin/user_detail.html", target=target, form=_grant_form(target),
                           roles=ROLE_LABELS, action_form=ConfirmForm(),
                           can_manage=can(g.user, "user.manage", target), throttle=throttle)


@bp.post("/users/<id:user_id>/memberships")
def user_grant(user_id: int):
    target = db.get_or_404(User, user_id)
    require(g.user, "user.view", target)
    form = _grant_form(target)
    if not form.validate_on_submit():
        flash(_("Dữ liệu không hợp lệ: hãy chọn vai trò và đơn vị trong danh sách."), "error")
        return redirect(url_for("admin.user_detail", user_id=target.id))
    unit = db.get_or_404(Unit, form.unit.data)
    school_class = db.get_or_404(SchoolClass, form.school_class.data) \
        if form.school_class.data else None
    try:
        services.grant_membership(g.user, target, Role(form.role.data), unit, school_class)
        db.session.commit()
        flash(_("Đã thêm vai trò."), "success")
    except DomainError as error:
        flash_or_raise(error)
    return redirect(url_for("admin.user_detail", user_id=target.id))


@bp.post("/users/<id:user_id>/memberships/<id:membership_id>/revoke")
def user_revoke(user_id: int, membership_id: int):
    membership = db.get_or_404(Membership, membership_id)
    if membership.user_id != user_id:
        abort(404)
    require(g.user, "membership.revoke", membership)
    services.revoke_membership(g.user, membership)
    db.session.commit()
    flash(_("Đã bỏ vai trò."), "success")
    return redirect(url_for("admin.user_detail", user_id=user_id))


@bp.post("/users/<id:user_id>/deactivate")
def user_deactivate(user_id: int):
    target = db.get_or_404(User, user_id)
    require(g.user, "user.manage", target)
    auth_services.deactivate(g.user, target)
    db.session.commit()
    flash(_("Đã khóa tài khoản %(name)s.", name=target.username), "success")
    return redirect(url_for("admin.user_detail", user_id=target.id))
