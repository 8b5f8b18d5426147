"""Factories for people and the organisation tree; units go through the real service."""

from dataclasses import dataclass
from datetime import date

import factory
from factory.alchemy import SQLAlchemyModelFactory

from lms.auth import passwords
from lms.auth.models import User
from lms.curriculum.seed import seed_curriculum
from lms.kernel import db
from lms.kernel.text import fold
from lms.org.models import Membership, Role, SchoolClass, SchoolLevel, SchoolYear, Unit, UnitKind
from lms.org.services import add_unit, new_join_code

PASSWORD = "secret-pass"
_HASH: dict[str, str] = {}


def password_hash() -> str:
    if "h" not in _HASH:
        _HASH["h"] = passwords.hash_password(PASSWORD, (1024, 1, 1))
    return _HASH["h"]


class UserFactory(SQLAlchemyModelFactory):
    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"Người dùng Số {n}")
    name_key = factory.LazyAttribute(lambda o: fold(o.full_name))
    password_hash = factory.LazyFunction(password_hash)


class SchoolYearFactory(SQLAlchemyModelFactory):
    class Meta:
        model = SchoolYear
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    name = "2025-2026"
    starts_on = date(2025, 9, 5)
    ends_on = date(2026, 5, 31)


def member(user: User, role: Role, unit: Unit, school_class: SchoolClass | None = None) -> User:
    db.session.add(Membership(user_id=user.id, role=role, unit_id=unit.id,
                              class_id=school_class.id if school_class else None))
    db.session.flush()
    db.session.refresh(user)
    return user


def make_class(school: Unit, year: SchoolYear, name: str, grade: int = 10) -> SchoolClass:
    school_class = SchoolClass(school_id=school.id, school_year_id=year.id, name=name,
                               grade=grade, join_code=new_join_code())
    db.session.add(school_class)
    db.session.flush()
    return school_class


@dataclass
class Org:
    dept: Unit
    district: Unit
    school_x: Unit
    school_y: Unit
    class_x: SchoolClass
    class_y: SchoolClass
    admin: User
    reviewer: User
    leader_x: User
    teacher_x: User
    teacher_y: User
    student_a: User
    student_b: User
    student_y: User


def build_org() -> Org:
    """Department → district office → schools X and Y, one class each, one person per role."""
    seed_curriculum()
    dept = add_unit(UnitKind.DEPARTMENT, "Sở GD&ĐT Thử Nghiệm", None, external_code="T1")
    district = add_unit(UnitKind.DISTRICT_OFFICE, "Phòng GD&ĐT Huyện A", dept)
    school_x = add_unit(UnitKind.SCHOOL, "Trường THPT X", dept,
                        school_level=SchoolLevel.UPPER_SECONDARY)
    school_y = add_unit(UnitKind.SCHOOL, "Trường THCS Y", district,
                        school_level=SchoolLevel.LOWER_SECONDARY)
    year = SchoolYearFactory()
    class_x = make_class(school_x, year, "10A1")
    class_y = make_class(school_y, year, "8A1", grade=8)
    make = UserFactory
    return Org(
        dept=dept, district=district, school_x=school_x, school_y=school_y,
        class_x=class_x, class_y=class_y,
        admin=member(make(username="admin1", full_name="Quản Trị"), Role.ADMIN, dept),
        reviewer=member(make(username="reviewer1"), Role.DEPARTMENT_REVIEWER, dept),
        leader_x=member(make(username="leaderx"), Role.SCHOOL_LEADER, school_x),
        teacher_x=member(make(username="teacherx"), Role.TEACHER, school_x, class_x),
        teacher_y=member(make(username="teachery"), Role.TEACHER, school_y, class_y),
        student_a=member(make(username="hsa", full_name="Nguyễn Văn Á"), Role.STUDENT,
                         school_x, class_x),
        student_b=member(make(username="hsb", full_name="Trần Thị Bê"), Role.STUDENT,
                         school_x, class_x),
        student_y=member(make(username="hsy"), Role.STUDENT, school_y, class_y),
    )
