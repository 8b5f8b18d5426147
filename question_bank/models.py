"""A logical question with immutable versions, and its review state in the shared bank.

Editing never changes a stored version: it adds version N+1 and points ``current_version`` at
it, so tests keep showing the version they pinned (security.md 15).
"""

import enum
from datetime import UTC, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.kernel import db, db_enum


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class QuestionStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    ARCHIVED = "archived"


class WorkflowError(Exception):
    """A transition that the current status does not allow."""


#: status -> statuses it may move to. Editing an approved question sends it back to draft.
TRANSITIONS = {
    QuestionStatus.DRAFT: {QuestionStatus.SUBMITTED, QuestionStatus.ARCHIVED},
    QuestionStatus.RETURNED: {QuestionStatus.DRAFT, QuestionStatus.SUBMITTED,
                              QuestionStatus.ARCHIVED},
    QuestionStatus.SUBMITTED: {QuestionStatus.APPROVED, QuestionStatus.RETURNED,
                               QuestionStatus.DRAFT},
    QuestionStatus.APPROVED: {QuestionStatus.DRAFT, QuestionStatus.ARCHIVED},
    QuestionStatus.ARCHIVED: {QuestionStatus.DRAFT},
}

LICENCES = ("CC BY 4.0", "CC BY-SA 4.0")

question_tag = db.Table(
    "question_tag",
    db.Column("question_id", db.ForeignKey("question.id", ondelete="CASCADE"), primary_key=True),
    db.Column("tag", db.String(60), primary_key=True),
)


class Question(db.Model):
    """A question of the shared bank (ngân hàng câu hỏi dùng chung)."""

    __tablename__ = "question"
    __table_args__ = (
        Index("ix_question_bank_filter", "status", "subject_id", "grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Registry key of the type (``single_choice``, ``true_false_4``, …); fixed for life.
    type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id"))
    grade: Mapped[int]
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    #: Cognitive level (a row of either scale).
    level_id: Mapped[int | None] = mapped_column(ForeignKey("cognitive_level.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    #: The author's school when it was written; decides who else may see drafts.
    school_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    licence: Mapped[str] = mapped_column(String(20), default="CC BY-SA 4.0")
    #: Where it came from: a textbook, an exam, or an import file name.
    source: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[QuestionStatus] = mapped_column(
        db_enum(QuestionStatus, 20), default=QuestionStatus.DRAFT)
    #: Reviewer's comment when returned.
    review_comment: Mapped[str] = mapped_column(Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    #: Folded stem + options (question_bank duplicate key) for exact-duplicate detection.
    dedupe_key: Mapped[str] = mapped_column(String(64), default="", index=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_version.id", use_alter=True, name="fk_question_current_version"))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)

    versions = relationship("QuestionVersion", back_populates="question",
                            foreign_keys="QuestionVersion.question_id",
                            order_by="QuestionVersion.number")
    current_version = relationship("QuestionVersion", foreign_keys=[current_version_id],
                                   post_update=True)

    def move_to(self, status: QuestionStatus) -> None:
        """Change status along TRANSITIONS or raise WorkflowError."""
        if status not in TRANSITIONS[self.status]:
            raise WorkflowError(f"{self.status.value} -> {status.value}")
        self.status = status


class QuestionVersion(db.Model):
    """One immutable version of a question: its title and payload (docs/question-payloads.md)."""

    __tablename__ = "question_version"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"))
    #: 1, 2, 3 … per question.
    number: Mapped[int]
    #: Payload schema number (``payload["schema"]``), kept as a column for migrations.
    schema: Mapped[int] = mapped_column(default=1)
    payload: Mapped[dict] = mapped_column(JSON)
    #: The question's name ("Câu 3 – hàm số", GIFT ``::name::``, Moodle ``<name>``): plain NFC
    #: text for teachers' lists, never shown to students; '' when it has none. Versioned with
    #: the payload, so a test's pinned version keeps the name it had.
    title: Mapped[str] = mapped_column(String(255), default="", server_default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    #: Why this version was made ("sửa đáp án", "nhập từ tệp de-thi.docx"…).
    note: Mapped[str] = mapped_column(String(300), default="")

    question = relationship("Question", back_populates="versions", foreign_keys=[question_id])
