"""Organisation as data: a tree of units, school years, classes and role memberships.

Every permission and quota is expressed against this tree (product.md §1): the district level
may or may not exist, provinces merge, and none of that is hard-coded.
"""

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.models import utcnow
from lms.kernel import db, db_enum


class UnitKind(enum.StrEnum):
    MINISTRY = "ministry"
    DEPARTMENT = "department"
    DISTRICT_OFFICE = "district_office"
    COMMUNE = "commune"
    SCHOOL = "school"


class SchoolLevel(enum.StrEnum):
    PRESCHOOL = "preschool"  # mầm non
    PRIMARY = "primary"  # tiểu học
    LOWER_SECONDARY = "lower_secondary"  # THCS
    UPPER_SECONDARY = "upper_secondary"  # THPT
    MULTI_LEVEL = "multi_level"  # liên cấp
    CONTINUING = "continuing"  # GDTX

    def grades(self) -> range:
        """Grades a school of this level teaches (0 for pre-school)."""
        return {
            "preschool": range(0, 1),
            "primary": range(1, 6),
            "lower_secondary": range(6, 10),
            "upper_secondary": range(10, 13),
            "multi_level": range(1, 13),
            "continuing": range(6, 13),
        }[self.value]


class Unit(db.Model):
    """A node of the management tree: ministry, department, district office, commune or school."""

    __tablename__ = "unit"
    __table_args__ = (
        CheckConstraint("kind != 'school' OR school_level IS NOT NULL", name="school_has_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[UnitKind] = mapped_column(db_enum(UnitKind, 20))
    name: Mapped[str] = mapped_column(String(200))
    #: Folded name for accent-insensitive search.
    name_key: Mapped[str] = mapped_column(String(200), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    #: Materialised path of ids, ``/1/4/17/``: a unit is inside another iff its path starts so.
    path: Mapped[str] = mapped_column(String(400), default="/", index=True)
    #: Opaque identifier from another system (the sector database code); never interpreted.
    external_code: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Only for schools.
    school_level: Mapped[SchoolLevel | None] = mapped_column(
        db_enum(SchoolLevel, 20)
    )
    valid_from: Mapped[date | None]
    #: A unit merged away or closed keeps its history; it is no longer offered for new records.
    valid_to: Mapped[date | None]

    parent = relationship("Unit", remote_side=[id], back_populates="children")
    children = relationship("Unit", back_populates="parent", order_by="Unit.name")

    def contains(self, other: "Unit") -> bool:
        """True when ``other`` is this unit or below it in the tree."""
        return other.path.startswith(self.path)

    def is_valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def __repr__(self) -> str:
        return f"<Unit {self.kind} {self.name}>"


class SchoolYear(db.Model):
    """A school year, e.g. 2025-2026, with its first and last day."""

    __tablename__ = "school_year"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]


class SchoolClass(db.Model):
    """A class (lớp) of one school in one school year, e.g. 10A1."""

    __tablename__ = "school_class"
    __table_args__ = (UniqueConstraint("school_id", "school_year_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"))
    name: Mapped[str] = mapped_column(String(40))
    #: 1–12 (0 for pre-school groups).
    grade: Mapped[int]
    #: Code students type to join the class; unique, unambiguous characters.
    join_code: Mapped[str] = mapped_column(String(12), unique=True)

    school = relationship("Unit")
    school_year = relationship("SchoolYear")


class Role(enum.StrEnum):
    STUDENT = "student"
    PARENT = "parent"
    TEACHER = "teacher"
    HOMEROOM_TEACHER = "homeroom_teacher"
    SCHOOL_LEADER = "school_leader"
    UNIT_REVIEWER = "unit_reviewer"
    DEPARTMENT_REVIEWER = "department_reviewer"
    ADMIN = "admin"


class Membership(db.Model):
    """A role a user holds at a unit, optionally in one class and for one subject.

    Students and teachers belong to a class of a school; leaders to a school; reviewers and
    admins to a unit whose whole subtree is their scope.
    """

    __tablename__ = "membership"
    __table_args__ = (
        Index("ix_membership_unit_role", "unit_id", "role"),
        UniqueConstraint("user_id", "role", "unit_id", "class_id", "subject_id",
                         name="uq_membership_scope"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(db_enum(Role, 30))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    #: For teachers (what they teach) and reviewers (what they may review); empty means all.
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"))

    user = relationship("User", back_populates="memberships")
    unit = relationship("Unit", lazy="joined")
    school_class = relationship("SchoolClass", lazy="joined")
    subject = relationship("Subject", lazy="joined")


class Guardianship(db.Model):
    """A parent account linked to a child's account (sổ liên lạc điện tử)."""

    __tablename__ = "guardianship"

    parent_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                           primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                            primary_key=True)


class RosterImport(db.Model):
    """A roster file parsed and checked, waiting for its owner to confirm it.

    The confirm request reads the rows from here, never from the client. ``rows`` holds
    schema 1: ``{"schema": 1, "rows": [RosterRow.to_json(), …], "updates": [row numbers of
    people already in the school], "problems": [[row or null, message], …], "new_classes":
    [class names to create]}``.
    """

    __tablename__ = "roster_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255))
    rows: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set once, by a conditional update, when the import is applied.
    confirmed_at: Mapped[datetime | None]

    school = relationship("Unit")
    school_year = relationship("SchoolYear")
