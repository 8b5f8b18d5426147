"""The one place that decides who may do what, from the acting user's memberships in the tree.

Nothing is cached across requests: memberships are loaded with the user on every request, so a
teacher removed from a school loses access on their next click (security.md 6).

Each rule is a small function ``(user, target) -> bool`` registered under an action name;
asking for an unknown action is a programming error and raises ``KeyError``.
"""

from collections.abc import Callable

from flask_babel import lazy_gettext as _l

from lms.core.errors import Forbidden
from lms.kernel import db
from lms.org.models import Membership, Role, SchoolClass, Unit, UnitKind

RULES: dict[str, Callable] = {}

STAFF_ROLES = {Role.TEACHER, Role.HOMEROOM_TEACHER, Role.SCHOOL_LEADER}
REVIEWER_ROLES = {Role.UNIT_REVIEWER, Role.DEPARTMENT_REVIEWER}


def rule(action: str):
    def register(fn):
        RULES[action] = fn
        return fn

    return register


def can(user, action: str, target=None) -> bool:
    """True when ``user`` may perform ``action`` on ``target``."""
    check = RULES[action]
    return user is not None and user.active and bool(check(user, target))


def require(user, action: str, target=None) -> None:
    """Raise :class:`Forbidden` unless ``can(user, action, target)``."""
    if not can(user, action, target):
        raise Forbidden(_l("Bạn không có quyền thực hiện thao tác này."))


def roles(user) -> set[Role]:
    return {m.role for m in user.memberships}


def memberships(user, *wanted: Role) -> list[Membership]:
    return [m for m in user.memberships if m.role in wanted]


def covers(user, unit: Unit | None, *wanted: Role) -> bool:
    """Some membership of a wanted role sits at ``unit`` or above it."""
    if unit is None:
        return False
    return any(m.unit.contains(unit) for m in memberships(user, *wanted))


def is_admin_over(user, unit: Unit | None) -> bool:
    return covers(user, unit, Role.ADMIN)


def _strictly_above(user, unit: Unit) -> bool:
    return any(m.unit.contains(unit) and m.unit.id != unit.id
               for m in memberships(user, Role.ADMIN))


def leads(user, school: Unit | None) -> bool:
    return covers(user, school, Role.SCHOOL_LEADER) or is_admin_over(user, school)


def teaches(user, school_class: SchoolClass) -> bool:
    return any(m.class_id == school_class.id
               for m in memberships(user, Role.TEACHER, Role.HOMEROOM_TEACHER))


def managed_units(user) -> list[Unit]:
    """Roots of the subtrees whose people this user manages: admin units and led schools."""
    return [m.unit for m in memberships(user, Role.ADMIN, Role.SCHOOL_LEADER)]


@rule("admin.access")
def _admin_access(user, _target) -> bool:
    return bool(memberships(user, Role.ADMIN, Role.SCHOOL_LEADER))


@rule("unit.manage")
def _unit_manage(user, unit: Unit) -> bool:
    """Create, edit or close a unit: admins of a unit above it."""
    return is_admin_over(user, unit)


@rule("curriculum.manage")
def _curriculum_manage(user, _target) -> bool:
    return bool(memberships(user, Role.ADMIN))


@rule("school.manage_people")
def _school_people(user, school: Unit) -> bool:
    """Import rosters, create classes and accounts: the school's leaders and admins above it."""
    return leads(user, school)


@rule("roster_import.use")
def _roster_import_use(user, record) -> bool:
    """A checked roster file is seen and confirmed only by whoever uploaded it, while they
    still manage that school's people."""
    return record.owner_id == user.id and leads(user, record.school)


@rule("class.view")
def _class_view(user, school_class: SchoolClass) -> bool:
    return (teaches(user, school_class) or leads(user, school_class.school)
            or any(m.class_id == school_class.id for m in memberships(user, Role.STUDENT)))


@rule("class.view_roster")
def _class_view_roster(user, school_class: SchoolClass) -> bool:
    """Classmates' logins, birth dates and the join code: the class's teachers and the school's
    leaders (and admins over it). Students of the class see their classmates' names only."""
    return teaches(user, school_class) or leads(user, school_class.school)


@rule("class.manage")
def _class_manage(user, school_class: SchoolClass) -> bool:
    return leads(user, school_class.school)


@rule("user.view")
def _user_view(user, target) -> bool:
    """Oneself; whoever may reset the password; admins over any of the target's units
    (admins also see accounts that hold no role yet)."""
    if target.id == user.id or _user_reset(user, target):
        return True
    if not target.memberships:
        return bool(memberships(user, Role.ADMIN))
    return any(is_admin_over(user, m.unit) for m in target.memberships)


@rule("user.reset_password")
def _user_reset(user, target) -> bool:
    """Leaders and admins over any of the target's units; teachers for students of their classes.

    Nobody resets an admin's password except an admin above every unit that admin holds.
    """
    if target.id == user.id:
        return False
    target_units = [m.unit for m in target.memberships]
    if any(m.role in {Role.ADMIN, *REVIEWER_ROLES} for m in target.memberships):
        return all(_strictly_above(user, u) for u in target_units)
    if any(leads(user, u) for u in target_units):
        return True
    student_classes = {m.class_id for m in target.memberships if m.role == Role.STUDENT}
    return any(m.class_id in student_classes
               for m in memberships(user, Role.TEACHER, Role.HOMEROOM_TEACHER))


@rule("user.clear_login_throttle")
def _user_clear_throttle(user, target) -> bool:
    """Clearing an account's login delays: whoever may reset its password (a student asks
    the teacher who would otherwise reset it)."""
    return _user_reset(user, target)


@rule("user.manage")
def _user_manage(user, target) -> bool:
    """Edit, deactivate or change the roles of an account: leaders and admins over it."""
    if target.id == user.id or not target.memberships:
        return bool(target.id != user.id and memberships(user, Role.ADMIN))
    if any(m.role in {Role.ADMIN, *REVIEWER_ROLES} for m in target.memberships):
        return all(_strictly_above(user, m.unit) for m in target.memberships)
    return all(leads(user, m.unit) for m in target.memberships)


@rule("school_year.manage")
def _school_year_manage(user, _target) -> bool:
    """School years are shared by every school: admins create them."""
    return bool(memberships(user, Role.ADMIN))


@rule("membership.revoke")
def _revoke(user, membership: Membership) -> bool:
    """Removing a role needs the same right as granting it; nobody removes their own role."""
    return membership.user_id != user.id and _grant(user, membership)


@rule("membership.grant")
def _grant(user, membership: Membership) -> bool:
    """Granting a role: leaders grant school roles in their school; only admins grant the rest."""
    if membership.role in {Role.ADMIN, *REVIEWER_ROLES}:
        return is_admin_over(user, membership.unit)
    return leads(user, membership.unit)


@rule("lesson.create")
def _lesson_create(user, _target) -> bool:
    """Teachers, school leaders and admins upload lessons (the directive asks every teacher)."""
    return bool(roles(user) & (STAFF_ROLES | {Role.ADMIN}))


@rule("lesson.view")
def _lesson_view(user, lesson) -> bool:
    """The owner always; otherwise a ready lesson is open to members of its school and to
    admins over it."""
    if lesson.owner_id == user.id:
        return True
    if lesson.state.value != "ready" or lesson.school_id is None:
        return False
    school = db.session.get(Unit, lesson.school_id)
    if lesson.kind.value == "authored":
        # Drafts stay with their author; a published version is open to the whole province.
        return lesson.published_at is not None and any(
            school.path.startswith(path) for path in province_paths(user))
    return (any(m.unit_id == lesson.school_id for m in user.memberships)
            or is_admin_over(user, school))


def province_paths(user) -> list[str]:
    """Paths of the provinces (department units) the user belongs to; an admin's own unit
    covers its subtree. Units outside any department count their tree's root."""
    paths = set()
    for m in user.memberships:
        if m.role == Role.ADMIN:
            paths.add(m.unit.path)
            continue
        ids = [int(i) for i in m.unit.path.strip("/").split("/") if i]
        department = db.session.scalar(db.select(Unit).where(
            Unit.id.in_(ids), Unit.kind == UnitKind.DEPARTMENT).order_by(Unit.path))
        paths.add(department.path if department else f"/{ids[0]}/")
    return sorted(paths)
