"""Rules for the organisation tree, school years, classes and memberships."""

import secrets
from datetime import date

from sqlalchemy import select

from lms.core.errors import DomainError
from lms.extensions import db
from lms.org.models import SchoolClass, SchoolLevel, Unit, UnitKind
from question_bank import fold, nfc

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
    name = nfc(name)
    if not name:
        raise DomainError("Tên đơn vị không được để trống.", code="invalid_unit")
    parent_kind = parent.kind if parent else None
    if parent_kind not in ALLOWED_PARENTS[kind]:
        raise DomainError("Đơn vị loại này không thể trực thuộc đơn vị đã chọn.",
                          code="invalid_parent")
    if (kind == UnitKind.SCHOOL) != (school_level is not None):
        raise DomainError("Chỉ trường học có cấp học, và trường học phải có cấp học.",
                          code="invalid_level")
    if valid_from and valid_to and valid_to < valid_from:
        raise DomainError("Ngày kết thúc hiệu lực phải sau ngày bắt đầu.", code="invalid_dates")
    code = nfc(external_code) or None
    if code and db.session.scalar(select(Unit.id).where(Unit.external_code == code)):
        raise DomainError(f"Mã đơn vị {code} đã được dùng.", code="duplicate_code")
    unit = Unit(kind=kind, name=name, name_key=fold(name), parent_id=parent.id if parent else None,
                external_code=code, school_level=school_level, valid_from=valid_from,
                valid_to=valid_to)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def new_join_code() -> str:
    """A fresh class join code of unambiguous letters and digits."""
    while True:
        code = "".join(secrets.choice(_JOIN_ALPHABET) for _ in range(6))
        if not db.session.scalar(select(SchoolClass.id).where(SchoolClass.join_code == code)):
            return code
