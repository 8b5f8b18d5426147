"""Exams, their assignments, attempts and saved answers (product.md §3, issue 4).

``Exam.settings`` is a versioned JSON document (``EXAM_SETTINGS_SCHEMA``)::

    {"schema": 1,
     "time_limit_s": 2700 | null,          # null: no time limit, only the close time
     "open_at": "2026-12-01T07:00:00" | null,   # naive UTC, ISO 8601
     "close_at": "2026-12-01T09:00:00" | null,
     "attempts_allowed": 1,                # 0: unlimited
     "grading_method": "highest" | "last" | "first" | "average",
     "shuffle_questions": false, "shuffle_options": false,
     "review": {"responses": "<when>", "correctness": "<when>", "score": "<when>",
                "correct_answers": "<when>", "feedback": "<when>"},
        # <when>: "during" | "after_submit" | "after_close" | "never"
     "late": {"mode": "auto_submit" | "grace" | "not_counted", "grace_s": 0},
     "scale": 10, "rounding": "0.25",      # final grade on a 10-point scale, rounded half-up
     # keys added later; a stored document without them means the default (logic.setting):
     "access_code_hash": null | "<salt hex>$<sha256 hex>",   # null: no access code
     "mode": "test" | "practice",          # practice: immediate feedback, excluded from grades
     "navigation": "free" | "sequential"}  # sequential: no going back (Attempt.position)

``Exam.snapshot`` is frozen at publish: ``[{"slot", "question_id", "version_id", "payload",
"points"}]``; later edits of the bank never reach it (security.md 15). Only a regrade
(``lms/exams/grading.py``) rewrites it; every write gives ``snapshot_rev`` a new value (publish
sets it, an ORM change of ``snapshot`` gets one on flush), so ``lms/exams/snapshots.py`` can keep
the parsed snapshot per process keyed by (id, snapshot_rev). The column is deferred: reading
``exam.snapshot`` takes it from that cache, or loads it once.

Paper generation (``lms/exams/variants.py``) adds optional settings keys, absent meaning the
default: ``"generation": "fixed" | "variants" | "random_draw"``, ``"variant_count": 4``,
``"code_digits": 3 | 4``, ``"variant_assignment": "round_robin" | "random"``. Snapshot entries
of an exam built from a matrix also carry ``"section"`` and ``"cell": {"index", "section",
"topic_id", "level", "count"}``.
"""

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.models import utcnow
from lms.exams import snapshots
from lms.kernel import db, db_enum

EXAM_SETTINGS_SCHEMA = 1


class ExamState(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class AttemptState(enum.StrEnum):
    #: Pre-generated before the window opens (order, ids); starting flips it to in_progress.
    PENDING = "pending"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"


#: States of the one attempt a student may have open per exam (``uq_attempt_one_open``).
OPEN_STATES = (AttemptState.PENDING, AttemptState.IN_PROGRESS)


class Exam(db.Model):
    """A test (bài kiểm tra) built from bank questions."""

    __tablename__ = "exam"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id"))
    grade: Mapped[int | None]
    state: Mapped[ExamState] = mapped_column(db_enum(ExamState, 20), default=ExamState.DRAFT)
    #: See the module docstring.
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Bank question ids chosen while in draft, with optional points: [{"question_id", "points"}].
    selection: Mapped[list] = mapped_column(JSON, default=list)
    #: Frozen at publish; empty while in draft. Deferred: see the module docstring.
    snapshot: Mapped[list] = mapped_column(JSON, default=list, deferred=True)
    #: A new random value on every write of ``snapshot`` (0: never written); the cache key.
    snapshot_rev: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    #: Another area follows this exam's final grades (a gradebook column is mapped to it):
    #: finishing an attempt computes and announces the final grade (``hooks.listening``).
    #: Set once and never cleared: announcing to nobody costs only a query.
    announce_grades: Mapped[bool] = mapped_column(default=False, server_default=text("false"))

    assignments = relationship("ExamAssignment", back_populates="exam")
    #: Mã đề papers made at publish (generation "variants"), by code order of creation.
    variants = relationship("ExamVariant", order_by="ExamVariant.position", viewonly=True)


@event.listens_for(Exam, "load")
def _snapshot_on_load(exam: Exam, _context) -> None:
    snapshots.attach(exam)


@event.listens_for(Exam, "refresh")
def _snapshot_on_refresh(exam: Exam, _context, names) -> None:
    """An expired exam reloaded (attach the cached snapshot), or the deferred snapshot itself
    loaded (keep it for the next request)."""
    if names is not None and "snapshot" in names:
        snapshots.loaded(exam)
    else:
        snapshots.attach(exam)


@event.listens_for(Exam, "before_insert")
@event.listens_for(Exam, "before_update")
def _snapshot_rev(_mapper, _connection, exam: Exam) -> None:
    """Any write of ``snapshot`` through the ORM (a regrade) gets a new ``snapshot_rev``, so no
    process keeps serving the old one."""
    if snapshots.written(exam):
        exam.snapshot_rev = snapshots.new_rev()


class ExamAssignment(db.Model):
    """An exam given to one class, to every class of a unit, or to a group (nhóm): students
    the teacher picked (``ExamAssignmentMember``), with ``name`` and neither class nor unit.

    ``overrides`` maps a user id (as a string) to ``{"extra_time_s", "open_at", "close_at",
    "extra_attempts"}``; each key optional. ``group_override`` has the same keys and applies
    to every student of the assignment; a student's own value wins, key by key.
    """

    __tablename__ = "exam_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    overrides: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Override for the whole class, unit or group: same keys as one entry of ``overrides``.
    group_override: Mapped[dict] = mapped_column(JSON, default=dict,
                                                 server_default=text("'{}'"))
    #: A group's name ("Nhóm thi lại"); None for a class or unit assignment.
    name: Mapped[str | None] = mapped_column(String(120))

    exam = relationship("Exam", back_populates="assignments")

    @property
    def kind(self) -> str:
        """"class" | "unit" | "group"."""
        if self.class_id is not None:
            return "class"
        return "unit" if self.unit_id is not None else "group"


class ExamAssignmentMember(db.Model):
    """One student of a group assignment. Both sides cascade: deleting the assignment
    (unassign) or the account removes the row."""

    __tablename__ = "exam_assignment_member"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("exam_assignment.id", ondelete="CASCADE"), primary_key=True)
    #: Indexed for ``audience.reaches``: a student's groups.
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)


class Attempt(db.Model):
    """One student's sitting of an exam. At most one is open (pending or in progress) per
    (exam, user): the partial unique index ``uq_attempt_one_open``."""

    __tablename__ = "attempt"
    __table_args__ = (
        UniqueConstraint("exam_id", "user_id", "number", name="uq_attempt_exam_user_number"),
        Index("uq_attempt_one_open", "exam_id", "user_id", unique=True,
              sqlite_where=text("state IN ('pending', 'in_progress')"),
              postgresql_where=text("state IN ('pending', 'in_progress')")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("exam_assignment.id", ondelete="SET NULL"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    state: Mapped[AttemptState] = mapped_column(db_enum(AttemptState, 20),
                                                default=AttemptState.IN_PROGRESS)
    #: When the student started; for a pending attempt, when it was generated.
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When answers stop being accepted (before grace); None: no limit.
    deadline: Mapped[datetime | None]
    #: Grace seconds after the deadline during which saves are still accepted.
    grace_s: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]
    #: Slot order shown to this student (shuffled per attempt).
    order: Mapped[list] = mapped_column(JSON, default=list)
    #: slot (str) -> {stored key: random id}; random ids never reveal key order.
    ids_map: Mapped[dict] = mapped_column(JSON, default=dict)
    #: slot (str) -> option display order (random ids), for shuffled options.
    option_order: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Raw points earned.
    score: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    #: On the exam's scale (10), rounded.
    grade: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    #: False when the late policy is "not counted" and the attempt was finished too late.
    counted: Mapped[bool] = mapped_column(default=True)
    #: A practice attempt (exam mode "practice"): immediate feedback, never in the final grade.
    practice: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    #: Sequential navigation: index in ``order`` of the current question; earlier ones are closed.
    position: Mapped[int] = mapped_column(default=0, server_default=text("0"))


    #: The mã đề of the variant this attempt shows (generation "variants"); None otherwise.
    variant_code: Mapped[str | None] = mapped_column(String(8))

    exam = relationship("Exam")
    answers = relationship("AttemptAnswer", back_populates="attempt", order_by="AttemptAnswer.slot")


class AttemptAnswer(db.Model):
    """The last saved response to one slot of an attempt (in stored ids)."""

    __tablename__ = "attempt_answer"
    __table_args__ = (UniqueConstraint("attempt_id", "slot", name="uq_attempt_answer_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"))
    slot: Mapped[int]
    response: Mapped[dict | None] = mapped_column(JSON)
    saved_seq: Mapped[int] = mapped_column(default=0)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Practice mode: when the student checked this answer; it is then final.
    checked_at: Mapped[datetime | None]

    attempt = relationship("Attempt", back_populates="answers")


class ManualGrade(db.Model):
    """A teacher's mark for one slot of a finished attempt that the computer does not score
    (essays; any slot whose automatic fraction is None). ``points`` replaces that slot's
    earned points in ``attempt.score`` (see ``lms.exams.grading``)."""

    __tablename__ = "manual_grade"
    __table_args__ = (UniqueConstraint("attempt_id", "slot", name="uq_manual_grade_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"),
                                            index=True)
    slot: Mapped[int]
    #: Points earned on the slot, 0 ≤ points ≤ the slot's points.
    points: Mapped[Decimal] = mapped_column(Numeric(10, 4))
    #: Per rubric criterion of the essay payload: {"<criterion>": "<points>"}; None when the
    #: teacher gave points directly.
    rubric: Mapped[dict | None] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(String(4000), default="")
    grader_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExamMatrix(db.Model):
    """The blueprint (ma trận đề) an exam was built from; one per exam, kept for display and
    for rebuilding. ``spec`` is the normalised document of ``lms.exams.matrix`` (schema 1)::

        {"schema": 1, "subject": "TOAN", "subject_id": 1, "grade": 12, "scale": "4LEVEL",
         "sections": [{"name": "Phần I", "type": "single_choice",
                       "cells": [{"topic_id": 7, "topic": "Hàm số", "level": "NB",
                                  "level_id": 1, "level_name": "Nhận biết",
                                  "count": 4, "points": "0.25"}]}]}
    """

    __tablename__ = "exam_matrix"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"), unique=True)
    spec: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExamVariant(db.Model):
    """One frozen paper of an exam with generation "variants" (mã đề), made at publish.

    ``order`` is the snapshot slots in paper order (shuffled within sections);
    ``option_order`` maps a slot (str) to its options' stored ids in display order (pinned
    options kept in place). Attempts map these stored ids to their own random ids."""

    __tablename__ = "exam_variant"
    __table_args__ = (UniqueConstraint("exam_id", "code", name="uq_exam_variant_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    #: 3 or 4 digits, the first never 0 ("132", "2047").
    code: Mapped[str] = mapped_column(String(8))
    #: 0, 1, 2 …: the round-robin position.
    position: Mapped[int] = mapped_column(default=0)
    order: Mapped[list] = mapped_column(JSON, default=list)
    option_order: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AttemptEventKind(enum.StrEnum):
    FOCUS_LOST = "focus_lost"
    FOCUS_BACK = "focus_back"
    FULLSCREEN_EXIT = "fullscreen_exit"
    OFFLINE = "offline"
    ONLINE = "online"
    RECONNECT = "reconnect"
    RESUMED = "resumed"


class AttemptEvent(db.Model):
    """One integrity event the test page reported (focus lost, offline, resumed …).

    Recorded for the teacher to read; never used to fail a student automatically (product.md
    §3). ``at`` is the device's time of the event; ``received_at`` the server's."""

    __tablename__ = "attempt_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempt.id", ondelete="CASCADE"),
                                            index=True)
    kind: Mapped[AttemptEventKind] = mapped_column(db_enum(AttemptEventKind, 20))
    at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Small JSON (at most a few hundred characters), e.g. {"seconds": 12}.
    detail: Mapped[dict | None] = mapped_column(JSON)


class ExamQuestion(db.Model):
    """Which bank questions an exam uses (where-used, item statistics): one row per exam and
    question. Rebuilt by ``lms.exams.usage.record_usage`` when an exam is created, edited and
    published; ``version_id`` is the pinned version once published (None in a draft, which
    takes the question's current version when it is published)."""

    __tablename__ = "exam_question"

    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"),
                                         primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"),
                                             primary_key=True, index=True)
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_version.id", ondelete="SET NULL"))
