"""Sequential navigation (làm lần lượt): the attempt's position only moves forward.

``POST /attempts/{id}/next`` names the slot the student is leaving, so a resent request (the
page's offline queue) moves the position once, not twice.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from lms.core.errors import Conflict, DomainError
from lms.exams import logic
from lms.exams.models import Attempt
from lms.exams.services import _lock_open, _state_conflict, own_attempt
from lms.kernel import db


def advance(actor, attempt_id: int, leaving_slot: int) -> Attempt:
    """Move past ``leaving_slot``: position = max(position, its index + 1), capped at the
    last question. Free navigation → 409 ``not_sequential``."""
    attempt = own_attempt(actor, attempt_id)
    if logic.setting(attempt.exam.settings, "navigation") != "sequential":
        raise Conflict(_l("Bài này cho phép đi lại tự do; không cần chuyển câu."),
                       code="not_sequential")
    if leaving_slot not in attempt.order:
        raise DomainError(_l("Câu %(slot)s không thuộc bài làm này.", slot=leaving_slot),
                          code="unknown_slot")
    if not _lock_open(attempt):
        raise _state_conflict(attempt, _l("Bài làm đã nộp."))
    target = min(attempt.order.index(leaving_slot) + 1, len(attempt.order) - 1)
    db.session.execute(update(Attempt).where(Attempt.id == attempt.id,
                                             Attempt.position < target)
                       .values(position=target).execution_options(synchronize_session=False))
    db.session.refresh(attempt)
    return attempt
