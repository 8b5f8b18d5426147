"""Practice mode (luyện tập): the student checks one answer and sees at once its fraction, which
parts were right, a correct answer and the feedback. A checked answer is final.

Only attempts of an exam in practice mode; a test attempt never reaches this (security.md 7).
"""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from lms.core.errors import Conflict, DomainError, Forbidden
from lms.core.models import utcnow
from lms.exams import logic
from lms.exams.models import AttemptAnswer
from lms.exams.services import (
    _entry,
    _lock_open,
    _state_conflict,
    iso,
    own_attempt,
    slot_reviews,
)
from lms.kernel import db


def check_slot(actor, attempt_id: int, slot: int, now: datetime | None = None) -> dict:
    """Mark the saved answer of ``slot`` as checked and return its review; checking again
    returns the same review. Unanswered → 400; not practice → 403; closed → 409."""
    attempt = own_attempt(actor, attempt_id)
    if not attempt.practice:
        raise Forbidden(_l("Chỉ bài luyện tập mới được kiểm tra từng câu."), code="not_practice")
    _entry(attempt, slot)
    if not _lock_open(attempt):
        raise _state_conflict(attempt, _l("Bài làm đã nộp."))
    db.session.refresh(attempt)
    now = now or utcnow()
    if not logic.late_decision(attempt.exam.settings["late"], attempt.deadline, now).accepted:
        raise Conflict(_l("Đã hết giờ làm bài."), code="time_up",
                       details={"deadline": iso(attempt.deadline)})
    answer = db.session.scalar(select(AttemptAnswer).where(
        AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.slot == slot))
    if answer is None or answer.response is None:
        raise DomainError(_l("Hãy trả lời câu %(slot)s trước khi kiểm tra.", slot=slot),
                          code="unanswered")
    db.session.execute(update(AttemptAnswer).where(
        AttemptAnswer.id == answer.id, AttemptAnswer.checked_at.is_(None))
        .values(checked_at=now).execution_options(synchronize_session=False))
    return {"slot": slot, **slot_reviews(attempt, {slot})[str(slot)]}
