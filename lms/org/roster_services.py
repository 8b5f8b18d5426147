"""Roster import: check a file and keep the result server-side, then apply it on confirmation.

Preview and confirm are two requests; the confirm request reads the checked rows from the
``roster_import`` row, never from the client, and applies them at most once.
"""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from lms.auth import passwords
from lms.auth.models import User
from lms.auth.permissions import can, require
from lms.auth.services import AuthPolicy, create_user
from lms.core.errors import Conflict, DomainError, NotFound
from lms.core.models import utcnow
from lms.kernel import db
from lms.org.models import Membership, Role, RosterImport, SchoolClass, SchoolYear, Unit
from lms.org.roster import RosterFileError, RosterRow, parse_roster
from lms.org.services import ensure_class, ensure_open

ROLE_OF = {"student": Role.STUDENT, "teacher": Role.TEACHER}
_CHUNK = 500


@dataclass(frozen=True)
class Slip:
    """A credential slip, shown once: the password is never stored in clear."""

    full_name: str
    class_name: str
    username: str
    password: str


def preview_roster(actor, school: Unit, year: SchoolYear, filename: str,
                   data: bytes) -> RosterImport:
    """Parse and check a roster file for ``school`` and store the result for confirmation."""
    require(actor, "school.manage_people", school)
    ensure_open(school)
    try:
        parsed = parse_roster(filename, data, school.school_level.grades())
    except RosterFileError as error:
        raise DomainError(str(error), code="invalid_file") from error
    updates = []
    owners = _school_of_usernames([row.username for row in parsed.rows])
    for row in parsed.rows:
        if row.username not in owners:
            continue
        if school.id in owners[row.username]:
            updates.append(row.row)
        else:
            parsed.problem(row.row, f"Mã “{row.username}” đã được dùng cho một người khác "
                                    "(không thuộc trường này).")
    problems = sorted(parsed.problems, key=lambda p: (p[0] or 0))
    existing = set(db.session.scalars(select(SchoolClass.name).where(
        SchoolClass.school_id == school.id, SchoolClass.school_year_id == year.id)))
    new_classes = sorted({row.class_name for row in parsed.rows} - existing)
    record = RosterImport(school_id=school.id, school_year_id=year.id, owner_id=actor.id,
                          filename=filename[:255], rows={
                              "schema": 1, "rows": [r.to_json() for r in parsed.rows],
                              "updates": updates, "problems": problems,
                              "new_classes": new_classes})
    db.session.add(record)
    db.session.flush()
    return record


def _school_of_usernames(usernames: list[str]) -> dict[str, set[int]]:
    """For each existing username, the ids of the units where that person holds a role."""
    return {name: {m.unit_id for m in user.memberships}
            for name, user in _users_by_username(usernames).items()}


def _users_by_username(usernames: list[str]) -> dict[str, User]:
    """Existing accounts among ``usernames``, fetched in chunks (SQLite caps bound parameters)."""
    found: dict[str, User] = {}
    for start in range(0, len(usernames), _CHUNK):
        chunk = usernames[start:start + _CHUNK]
        found.update((u.username, u) for u in db.session.scalars(
            select(User).where(User.username.in_(chunk))))
    return found


def load_import(actor, import_id: int) -> RosterImport:
    """An import its owner may use; to anyone else it does not exist (nothing leaked)."""
    record = db.session.get(RosterImport, import_id)
    if record is None or not can(actor, "roster_import.use", record):
        raise NotFound(_l("Không tìm thấy lần nhập danh sách này."))
    return record


def confirm_roster(actor, policy: AuthPolicy, record: RosterImport) -> tuple[list[Slip], int]:
    """Create the new accounts and class memberships; returns the slips and the update count.

    Applied at most once (a conditional update claims the import); refused while any problem
    remains.
    """
    require(actor, "roster_import.use", record)
    if record.rows["problems"]:
        raise DomainError(_l("Tệp còn lỗi, chưa thể lưu. Hãy sửa tệp và tải lên lại."),
                          code="roster_has_errors")
    claimed = db.session.execute(
        update(RosterImport).where(RosterImport.id == record.id,
                                   RosterImport.confirmed_at.is_(None))
        .values(confirmed_at=utcnow()))
    if claimed.rowcount != 1:
        raise Conflict(_l("Danh sách này đã được lưu rồi."), code="already_confirmed")
    slips, updated = [], 0
    classes: dict[str, SchoolClass] = {}
    rows = [RosterRow(**data) for data in record.rows["rows"]]
    existing = _users_by_username([r.username for r in rows])
    fresh = [r.username for r in rows if r.username not in existing]
    new_passwords = {name: passwords.generate_password() for name in fresh}
    hashes = dict(zip(fresh, passwords.hash_many([new_passwords[n] for n in fresh],
                                                 policy.cost), strict=True))
    for row in rows:
        school_class = classes.get(row.class_name) or ensure_class(
            record.school, record.school_year, row.class_name, row.grade)
        classes[row.class_name] = school_class
        user = existing.get(row.username)
        if user is None:
            password = new_passwords[row.username]
            user = create_user(policy, row.username, row.full_name, None,
                               password_hash=hashes[row.username],
                               birth_date=_iso(row.birth_date), email=row.email,
                               must_change_password=True)
            slips.append(Slip(user.full_name, school_class.name, user.username, password))
        else:
            updated += 1
        _place_in_class(user, ROLE_OF[row.role], school_class)
    db.session.flush()
    return slips, updated


def _iso(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _place_in_class(user: User, role: Role, school_class: SchoolClass) -> None:
    """Put ``user`` in the class; a student leaves their other class of that school year."""
    same = [m for m in user.memberships if m.role == role and m.unit_id == school_class.school_id]
    if any(m.class_id == school_class.id for m in same):
        return
    if role == Role.STUDENT:
        for old in same:
            if old.school_class and old.school_class.school_year_id == school_class.school_year_id:
                user.memberships.remove(old)
    user.memberships.append(Membership(role=role, unit_id=school_class.school_id,
                                       class_id=school_class.id))
