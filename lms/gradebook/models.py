"""Sổ điểm: periods per subject, the scores of each student per class, subject and term,
conduct, locks, published columns, the change history and test-score sources.

Scores are stored as their canonical text (``"7.5"``, ``"8"``; ``"Đ"``/``"CĐ"`` for
comment-only subjects; ``"T"``/``"H"``/``"C"`` for primary subjects), never as floats: every
computation reads them back as ``Decimal`` (``lms.gradebook.circulars``). Averages and
results are not stored; they are computed from these rows by the rule set of the class's
school year and grade, so one rule decides them everywhere.
"""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.models import utcnow
from lms.kernel import db

TERMS = (1, 2)
#: Columns a teacher publishes per subject and term (students see a column once published).
PUBLISHABLE = ("regular", "mid", "end")
#: Cells of an entry, as the history, sources and flags name them (``regular.1`` … ``regular.4``).
ENTRY_FIELDS = ("mid", "end", "mid_test", "end_test")
MAX_REGULAR = 4


class SubjectPeriods(db.Model):
    """How many periods a subject has in a grade in one school year (2018 programme); the
    number of regular scores follows from it. A subject is in a class's gradebook when its
    grade has a row for it: every compulsory one, and the electives the class chose."""

    __tablename__ = "subject_periods"
    __table_args__ = (
        UniqueConstraint("school_year_id", "grade", "subject_id", name="uq_subject_periods"),
        CheckConstraint("periods > 0 AND periods <= 1000", name="periods_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"))
    grade: Mapped[int]
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    #: Periods per school year.
    periods: Mapped[int]
    #: An elective (môn lựa chọn): in a class's gradebook only if the class chose it.
    elective: Mapped[bool] = mapped_column(default=False)

    subject = relationship("Subject", lazy="joined")


class ClassElective(db.Model):
    """An elective subject a class studies (grades 10–12 choose among the electives)."""

    __tablename__ = "class_elective"

    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"),
                                          primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), primary_key=True)


class GradebookEntry(db.Model):
    """One student's scores in one subject of one class for one term.

    ``regular`` is schema 1: a list of at most 4 positions (ĐĐGtx 1…4), each a score text or
    null (a gap waiting for a make-up). ``mid_term``/``end_term`` are ĐĐGgk/ĐĐGck (TT22) or
    the mid-term and end-of-term ratings T/H/C (TT27); ``mid_test``/``end_test`` are TT27's
    periodic test scores. ``version`` grows on every write: a save naming an older version is
    refused (409 ``stale``), and SQLAlchemy checks it again in the UPDATE itself.
    """

    __tablename__ = "gradebook_entry"
    __table_args__ = (
        UniqueConstraint("class_id", "subject_id", "student_id", "term",
                         name="uq_gradebook_entry_cell"),
        CheckConstraint("term IN (1, 2)", name="term"),
        Index("ix_gradebook_entry_student", "student_id", "class_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    term: Mapped[int]
    regular: Mapped[list] = mapped_column(JSON, default=list)
    mid_term: Mapped[str | None] = mapped_column(String(4))
    end_term: Mapped[str | None] = mapped_column(String(4))
    mid_test: Mapped[str | None] = mapped_column(String(4))
    end_test: Mapped[str | None] = mapped_column(String(4))
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    __mapper_args__ = {"version_id_col": version}


class StudentTerm(db.Model):
    """What the homeroom teacher records per student and term: conduct (rèn luyện, TT22:
    T/K/Đ/CĐ) or, in primary, the qualities and competences (TT27).

    ``qualities`` is schema 1: ``{"mid": {code: "T"|"Đ"|"C"}, "end": {code: …}}`` with the
    codes of ``TT27.qualities``; empty under TT22.
    """

    __tablename__ = "gradebook_student_term"
    __table_args__ = (
        UniqueConstraint("class_id", "student_id", "term", name="uq_gradebook_student_term"),
        CheckConstraint("term IN (1, 2)", name="term"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                            index=True)
    term: Mapped[int]
    conduct: Mapped[str | None] = mapped_column(String(4))
    qualities: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    __mapper_args__ = {"version_id_col": version}


class TermLock(db.Model):
    """A class's term closed by the school leader: no score of it changes until unlocked."""

    __tablename__ = "gradebook_lock"
    __table_args__ = (CheckConstraint("term IN (1, 2)", name="term"),)

    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), primary_key=True)
    term: Mapped[int] = mapped_column(primary_key=True)
    locked_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    locked_by = relationship("User")


class Publication(db.Model):
    """A column (regular, mid, end) of a subject and term that the class's students see."""

    __tablename__ = "gradebook_publication"

    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"), primary_key=True)
    term: Mapped[int] = mapped_column(primary_key=True)
    column: Mapped[str] = mapped_column(String(10), primary_key=True)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"))


class GradebookChange(db.Model):
    """Every change of a cell: who, when, old → new, why, and through what (kept forever)."""

    __tablename__ = "gradebook_change"
    __table_args__ = (
        Index("ix_gradebook_change_cell", "class_id", "student_id", "term", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"))
    #: None for conduct and qualities.
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    term: Mapped[int]
    #: ``regular.1`` … ``regular.4``, ``mid``, ``end``, ``mid_test``, ``end_test``,
    #: ``conduct``, ``quality.<period>.<code>``.
    field: Mapped[str] = mapped_column(String(40))
    old: Mapped[str | None] = mapped_column(String(10))
    new: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(500), default="")
    #: ``web``, ``api``, ``import``, ``test`` (a test score flowing in).
    via: Mapped[str] = mapped_column(String(20))
    #: The role the change was made in: ``teacher``, ``homeroom``, ``leader``, ``system``.
    as_role: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    user = relationship("User", foreign_keys=[user_id])


class ScoreSource(db.Model):
    """A column fed by another area's scores: a published test's final grade fills the
    mid-term of term I, say. ``kind`` names a registered source (``exam``); ``source_id`` is
    that area's id (the exam's)."""

    __tablename__ = "gradebook_source"
    __table_args__ = (
        UniqueConstraint("class_id", "subject_id", "term", "field", name="uq_gradebook_source"),
        Index("ix_gradebook_source_ref", "kind", "source_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    term: Mapped[int]
    field: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoreFlag(db.Model):
    """A score that could not flow in because the term is locked (a regrade after the lock):
    shown to the teacher next to the cell until someone applies or dismisses it."""

    __tablename__ = "gradebook_flag"
    __table_args__ = (Index("ix_gradebook_flag_open", "class_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    term: Mapped[int]
    field: Mapped[str] = mapped_column(String(20))
    #: The score the source gives now (None: the source no longer has one).
    proposed: Mapped[str | None] = mapped_column(String(10))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("gradebook_source.id",
                                                             ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class YearDecision(db.Model):
    """The school's confirmation of a student's year: promotion and award were computed as
    suggestions (TT22 Điều 12, 15); the leader confirms or changes them here."""

    __tablename__ = "gradebook_year_decision"

    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                            primary_key=True)
    #: ``promoted``, ``summer``, ``repeat``.
    promotion: Mapped[str] = mapped_column(String(20))
    #: ``xuat_sac``, ``gioi`` or None.
    award: Mapped[str | None] = mapped_column(String(20))
    confirmed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
