"""Authoring questions and moving them through the shared-bank review workflow.

Every function takes the acting user, checks permissions through lms.auth.permissions,
flushes and leaves the commit to the caller.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from lms.auth.permissions import require
from lms.core.errors import Conflict, DomainError
from lms.core.models import utcnow
from lms.extensions import db
from lms.org.models import Role
from lms.questions import rules  # noqa: F401 — registers the question.* permission rules
from question_bank.models import TRANSITIONS, Question, QuestionStatus, QuestionVersion


@dataclass
class QuestionMeta:
    """Metadata a teacher sets beside the payload."""

    subject_id: int
    grade: int
    topic_id: int | None = None
    level_id: int | None = None
    licence: str = "CC BY-SA 4.0"
    source: str = ""
    tags: list[str] = field(default_factory=list)


def _author_school(user) -> int | None:
    for m in user.memberships:
        if m.role in {Role.TEACHER, Role.HOMEROOM_TEACHER, Role.SCHOOL_LEADER}:
            return m.unit_id
    return None


def create_question(actor, meta: QuestionMeta, payload: dict, note: str = "") -> Question:
    """A new draft with version 1; the payload must be valid for its type."""
    require(actor, "question.create")
    question = Question(type=payload.get("type", ""), subject_id=meta.subject_id,
                        grade=meta.grade, topic_id=meta.topic_id, level_id=meta.level_id,
                        licence=meta.licence, source=meta.source, author_id=actor.id,
                        school_id=_author_school(actor))
    db.session.add(question)
    db.session.flush()
    _add_version(actor, question, payload, note)
    return question


def revise_question(actor, question: Question, payload: dict, note: str = "") -> QuestionVersion:
    """Editing adds a version; an approved question goes back to draft for another review."""
    require(actor, "question.edit", question)
    if payload.get("type") != question.type:
        raise DomainError(_l("Không thể đổi loại câu hỏi; hãy tạo câu hỏi mới."),
                          code="type_change")
    if question.status == QuestionStatus.APPROVED:
        _transition(question, QuestionStatus.DRAFT)
    return _add_version(actor, question, payload, note)


def _add_version(actor, question: Question, payload: dict, note: str) -> QuestionVersion:
    number = (db.session.scalar(select(func.max(QuestionVersion.number))
                                .where(QuestionVersion.question_id == question.id)) or 0) + 1
    version = QuestionVersion(question_id=question.id, number=number,
                              schema=payload.get("schema", 1), payload=payload,
                              created_by_id=actor.id, note=note[:300])
    db.session.add(version)
    db.session.flush()
    question.current_version_id = version.id
    return version


def submit(actor, question: Question) -> None:
    """The author sends a draft (or a returned question) to the reviewers."""
    require(actor, "question.edit", question)
    _transition(question, QuestionStatus.SUBMITTED)


def approve(actor, question: Question) -> None:
    """A reviewer of the subject approves: the question becomes visible to the whole province."""
    require(actor, "question.review", question)
    _transition(question, QuestionStatus.APPROVED, reviewer=actor)


def send_back(actor, question: Question, comment: str) -> None:
    """A reviewer returns a question to its author with a comment saying what to fix."""
    require(actor, "question.review", question)
    if not comment.strip():
        raise DomainError(_l("Hãy ghi rõ lý do trả lại để tác giả sửa."), code="comment_required")
    _transition(question, QuestionStatus.RETURNED, reviewer=actor)
    question.review_comment = comment.strip()
    db.session.flush()


def _transition(question: Question, status: QuestionStatus, reviewer=None) -> None:
    """Conditional update (``… WHERE status = old``): of two reviewers deciding at once,
    exactly one wins and the other gets a conflict."""
    old = question.status
    if status not in TRANSITIONS[old]:
        raise Conflict(_l("Không thể chuyển câu hỏi từ trạng thái %(old)s sang %(new)s.",
                          old=old.value, new=status.value))
    values = {"status": status, "updated_at": utcnow()}
    if reviewer is not None:
        values["reviewed_by_id"] = reviewer.id
    db.session.flush()
    result = db.session.execute(
        update(Question).where(Question.id == question.id, Question.status == old)
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict(_l("Câu hỏi vừa được người khác xử lý; hãy tải lại trang."))
    db.session.expire(question)
