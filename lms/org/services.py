"""Rules for the organisation tree, school years, classes and memberships."""

import secrets
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from lms.auth.models import User
from lms.auth.permissions import can, managed_units, require
from lms.core.errors import DomainError
from lms.kernel import db
from lms.kernel.text import clean_name, fold, nfc
from lms.org.models import (
    Membership,
    Role,
    SchoolClass,
    SchoolLevel,
    SchoolYear,
    Unit,
    UnitKind,
)

#: Which kinds may sit under which (a school may sit under any administrative unit).
ALLOWED_PARENTS = {
    UnitKind.MINISTRY: {None},
    UnitKind.DEPARTMENT: {None, UnitKind.MINISTRY},
    UnitKind.DISTRICT_OFFICE: {UnitKind.DEPARTMENT},
    UnitKind.COMMUNE: {UnitKind.DEPARTMENT, UnitKind.DISTRICT_OFFICE},
    UnitKind.SCHOOL: {UnitKind.DEPARTMENT, UnitKind.DISTRICT_OFFICE, UnitKind.COMMUNE},
}
_JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def add_unit(kind: UnitKind, name: str, parent: Unit | None, *, external_code: str | None = None,
             school_level: SchoolLevel | None = None, valid_from: date | None = None,
             valid_to: date | None = None) -> Unit:
    """Create a unit under ``parent``; the tree shape and school level are checked."""
    name = _unit_name(name)
    _check_shape(kind, parent, school_level, valid_from, valid_to)
    code = _free_code(external_code)
    unit = Unit(kind=kind, name=name, name_key=fold(name), parent_id=parent.id if parent else None,
                external_code=code, school_level=school_level, valid_from=valid_from,
                valid_to=valid_to)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def create_unit(actor, kind: UnitKind, name: str, parent: Unit, **fields) -> Unit:
    """An admin above ``parent`` adds a unit under it; a closed parent takes no new units.

    (``add_unit`` itself also records history, e.g. schools of a district office since merged.)
    """
    require(actor, "unit.manage", parent)
    ensure_open(parent)
    return add_unit(kind, name, parent, **fields)


def new_join_code() -> str:
    """A fresh class join code of unambiguous letters and digits."""
    while True:
        code = "".join(secrets.choice(_JOIN_ALPHABET) for _ in range(6))
        if not db.session.scalar(select(SchoolClass.id).where(SchoolClass.join_code == code)):
            return code


def edit_unit(actor, unit: Unit, *, kind: UnitKind, name: str, parent: Unit | None,
              external_code: str | None, school_level: SchoolLevel | None,
              valid_from: date | None, valid_to: date | None) -> Unit:
    """Change a unit; a move re-roots its whole subtree and keeps the tree shape valid."""
    require(actor, "unit.manage", unit)
    if parent is not None and parent.id != unit.parent_id:
        require(actor, "unit.manage", parent)
        ensure_open(parent)
        if unit.contains(parent):
            raise DomainError(_l("Không thể chuyển đơn vị vào bên trong chính nó."),
                              code="invalid_parent")
    name = _unit_name(name)
    _check_shape(kind, parent, school_level, valid_from, valid_to)
    if any(kind not in ALLOWED_PARENTS[child.kind] for child in unit.children):
        raise DomainError(_l("Đơn vị con hiện có không thể trực thuộc loại đơn vị này."),
                          code="invalid_kind")
    code = _free_code(external_code, unit)
    unit.kind, unit.name, unit.name_key, unit.external_code = kind, name, fold(name), code
    unit.school_level, unit.valid_from, unit.valid_to = school_level, valid_from, valid_to
    if parent is not None and parent.id != unit.parent_id:
        _move(unit, parent)
    db.session.flush()
    return unit


def ensure_open(unit: Unit | None, today: date | None = None) -> None:
    """A unit that is closed (or not yet open) takes no new children, classes or roles."""
    if unit is not None and not unit.is_valid_on(today or date.today()):
        raise DomainError(_l("Đơn vị %(name)s không còn hiệu lực: không thể thêm dữ liệu mới.",
                             name=unit.name), code="unit_closed")


def _unit_name(name: str) -> str:
    name = clean_name(name)
    if not name:
        raise DomainError(_l("Tên đơn vị không được để trống."), code="invalid_unit")
    return name


def _free_code(external_code: str | None, unit: Unit | None = None) -> str | None:
    """The NFC external code, or None; it must not belong to another unit."""
    code = nfc(external_code) or None
    taken = select(Unit.id).where(Unit.external_code == code)
    if unit is not None:
        taken = taken.where(Unit.id != unit.id)
    if code and db.session.scalar(taken):
        raise DomainError(_l("Mã đơn vị %(code)s đã được dùng.", code=code),
                          code="duplicate_code")
    return code


def _check_shape(kind, parent, school_level, valid_from, valid_to) -> None:
    """ALLOWED_PARENTS, a level exactly for schools, and valid-to after valid-from."""
    if (parent.kind if parent else None) not in ALLOWED_PARENTS[kind]:
        raise DomainError(_l("Đơn vị loại này không thể trực thuộc đơn vị đã chọn."),
                          code="invalid_parent")
    if (kind == UnitKind.SCHOOL) != (school_level is not None):
        raise DomainError(_l("Chỉ trường học có cấp học, và trường học phải có cấp học."),
                          code="invalid_level")
    if valid_from and valid_to and valid_to < valid_from:
        raise DomainError(_l("Ngày kết thúc hiệu lực phải sau ngày bắt đầu."), code="invalid_dates")


def _move(unit: Unit, parent: Unit) -> None:
    """Rewrite the materialised path of ``unit`` and everything below it."""
    old, new = unit.path, f"{parent.path}{unit.id}/"
    for node in db.session.scalars(select(Unit).where(Unit.path.startswith(old))):
        node.path = new + node.path[len(old):]
    unit.parent_id = parent.id


def close_unit(actor, unit: Unit, on: date) -> Unit:
    """Close a unit (merged away or dissolved): it keeps its history but gets a valid-to date."""
    require(actor, "unit.manage", unit)
    if unit.valid_from and on < unit.valid_from:
        raise DomainError(_l("Ngày đóng phải sau ngày bắt đầu hiệu lực."), code="invalid_dates")
    unit.valid_to = on
    db.session.flush()
    return unit


def add_school_year(actor, name: str, starts_on: date, ends_on: date) -> SchoolYear:
    """A school year named like 2025-2026 whose last day is after its first."""
    require(actor, "school_year.manage")
    name = clean_name(name)
    first, _, second = name.partition("-")
    if not (first.isdigit() and second.isdigit() and int(second) == int(first) + 1):
        raise DomainError(_l("Tên năm học cần có dạng 2025-2026."), code="invalid_year")
    if ends_on <= starts_on:
        raise DomainError(_l("Ngày kết thúc năm học phải sau ngày bắt đầu."), code="invalid_dates")
    if db.session.scalar(select(SchoolYear.id).where(SchoolYear.name == name)):
        raise DomainError(_l("Năm học %(name)s đã có.", name=name), code="duplicate_year")
    year = SchoolYear(name=name, starts_on=starts_on, ends_on=ends_on)
    db.session.add(year)
    db.session.flush()
    return year


def current_school_year(today: date | None = None) -> SchoolYear | None:
    """The year containing ``today``, else the latest one."""
    today = today or date.today()
    years = db.session.scalars(select(SchoolYear).order_by(SchoolYear.starts_on.desc())).all()
    current = [y for y in years if y.starts_on <= today <= y.ends_on]
    return (current or years or [None])[0]


def add_class(actor, school: Unit, year: SchoolYear, name: str, grade: int) -> SchoolClass:
    """A class of a school in a year; its grade must be one the school's level teaches."""
    require(actor, "school.manage_people", school)
    return ensure_class(school, year, name, grade, create_only=True)


def ensure_class(school: Unit, year: SchoolYear, name: str, grade: int,
                 create_only: bool = False) -> SchoolClass:
    """The class ``name`` of this school and year, created when missing."""
    ensure_open(school)
    name = clean_name(name).upper()
    if not name or len(name) > 40:
        raise DomainError(_l("Tên lớp cần từ 1 đến 40 ký tự."), code="invalid_class")
    if grade not in school.school_level.grades():
        raise DomainError(_l("Trường không dạy khối %(grade)d.", grade=grade), code="invalid_grade")
    existing = db.session.scalar(select(SchoolClass).where(
        SchoolClass.school_id == school.id, SchoolClass.school_year_id == year.id,
        SchoolClass.name == name))
    if existing and create_only:
        raise DomainError(_l("Lớp %(name)s đã có trong năm học %(year)s.", name=name,
                             year=year.name), code="duplicate_class")
    if existing:
        return existing
    school_class = SchoolClass(school_id=school.id, school_year_id=year.id, name=name,
                               grade=grade, join_code=new_join_code())
    db.session.add(school_class)
    db.session.flush()
    return school_class


#: Roles held in a class (the class's school is the unit).
CLASS_ROLES = {Role.STUDENT, Role.TEACHER, Role.HOMEROOM_TEACHER}


def grant_membership(actor, target, role: Role, unit: Unit,
                     school_class: SchoolClass | None = None) -> Membership:
    """Give ``target`` a role at a unit (and class); the rule is ``membership.grant``."""
    if role in CLASS_ROLES:
        if unit.kind != UnitKind.SCHOOL or (school_class and school_class.school_id != unit.id):
            raise DomainError(_l("Vai trò này cần một trường và một lớp của trường đó."),
                              code="invalid_scope")
        if role == Role.STUDENT and school_class is None:
            raise DomainError(_l("Học sinh phải thuộc một lớp."), code="invalid_scope")
    elif school_class is not None:
        raise DomainError(_l("Vai trò này không gắn với lớp."), code="invalid_scope")
    if role in {Role.SCHOOL_LEADER} and unit.kind != UnitKind.SCHOOL:
        raise DomainError(_l("Ban giám hiệu phải thuộc một trường."), code="invalid_scope")
    ensure_open(unit)
    membership = Membership(user_id=target.id, role=role, unit_id=unit.id, unit=unit,
                            class_id=school_class.id if school_class else None)
    require(actor, "membership.grant", membership)
    if any(m.role == role and m.unit_id == unit.id and m.class_id == membership.class_id
           for m in target.memberships):
        raise DomainError(_l("Người này đã có vai trò đó."), code="duplicate_membership")
    target.memberships.append(membership)
    db.session.flush()
    return membership


def revoke_membership(actor, membership: Membership) -> None:
    """Remove a role; the person loses access on their next request."""
    require(actor, "membership.revoke", membership)
    membership.user.memberships.remove(membership)
    db.session.flush()


def people_in_scope(actor, query: str = ""):
    """A select of the users under the actor's managed units (admins also see users without
    any role), filtered by folded name or username; ``%`` and ``_`` in the query are literal."""
    paths = [u.path for u in managed_units(actor)]
    in_scope = User.memberships.any(
        Membership.unit.has(or_(*[Unit.path.startswith(p) for p in paths]))) if paths else None
    visible = in_scope if in_scope is not None else User.id.is_(None)
    if any(m.role == Role.ADMIN for m in actor.memberships):
        visible = or_(visible, ~User.memberships.any())
    stmt = select(User).where(visible)
    key = fold(nfc(query))
    if key:
        like = "%" + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(User.name_key.like(like, escape="\\"),
                              User.username.like(like, escape="\\")))
    return stmt.order_by(User.name_key, User.id)


@dataclass(frozen=True)
class RosterEntry:
    """One student of a class page; ``username`` and ``birth_date`` only for staff."""

    user_id: int
    full_name: str
    username: str | None = None
    birth_date: date | None = None


def class_roster(actor, school_class: SchoolClass) -> tuple[list[RosterEntry], bool]:
    """The class's students in class-list order and whether ``actor`` sees their details.

    Students see their classmates' names only (security.md 40): the rows handed to the page
    carry nothing else, so no template can show a login or a birth date by mistake."""
    require(actor, "class.view", school_class)
    details = can(actor, "class.view_roster", school_class)
    students = sorted(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.class_id == school_class.id, Membership.role == Role.STUDENT)),
        key=lambda student: student.list_key)
    if details:
        return [RosterEntry(s.id, s.full_name, s.username, s.birth_date) for s in students], True
    return [RosterEntry(s.id, s.full_name) for s in students], False
