"""Access codes (mã truy cập) of tests: stored hashed, compared in constant time, guesses
counted per student and test like login failures (security.md 12)."""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.auth import services as auth
from lms.auth.current import policy
from lms.auth.models import LoginFailure
from lms.core.errors import Forbidden, TooManyRequests
from lms.exams import logic
from lms.exams.models import Exam
from lms.kernel import db

ACCESS_CODE_WRONG = _l("Mã truy cập không đúng.")
#: Error codes after which the start view commits the guess counter (and only it).
ACCESS_CODE_ERRORS = ("access_code", "access_code_throttled")


def check_code(actor, exam: Exam, code: str | None) -> None:
    """An exam with an access code starts only with it: missing or wrong → 403
    ``access_code``; guesses are counted per student and exam like login failures (each
    typed code counts, the right one clears the count) → 429 past the limit. Runs before
    any attempt is written, so committing after a refusal stores only the counter."""
    stored = logic.setting(exam.settings, "access_code_hash")
    if not stored:
        return
    if not code:
        raise Forbidden(_l("Bài kiểm tra cần mã truy cập."), code="access_code",
                        details={"required": True})
    key = _key(actor, exam)
    limits = policy()
    if auth.count_failure(key, limits.window_seconds) > limits.max_account:
        until = retry_at(actor, exam)
        raise TooManyRequests(_l("Nhập sai mã truy cập quá nhiều lần. Vui lòng thử lại sau ít "
                                 "phút."), code="access_code_throttled",
                              details={"retry_at": until.isoformat() if until else None})
    if not logic.code_matches(stored, code):
        raise Forbidden(ACCESS_CODE_WRONG, code="access_code", details={"required": True})
    auth.clear_failure(key)


def _key(actor, exam: Exam) -> str:
    return f"exam_code:{exam.id}:{actor.id}"


def retry_at(actor, exam: Exam) -> datetime | None:
    """When the guess window of ``actor`` on ``exam`` ends (naive UTC), so a throttled
    student can be told when to try again; None without a counted guess."""
    started = db.session.scalar(select(LoginFailure.window_start).where(
        LoginFailure.key == _key(actor, exam)))
    return started + timedelta(seconds=policy().window_seconds) if started else None

