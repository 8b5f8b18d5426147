"""Background work of online tests: the sweep that closes overdue attempts, and pending
attempts for a large assignment (lms/exams/pregeneration.py)."""

from celery import shared_task
from flask_babel import gettext as _

from lms.core.errors import DomainError
from lms.core.models import TaskState
from lms.core.tasks import report_progress
from lms.exams import manage, services
from lms.exams.models import Exam
from lms.kernel import db


@shared_task(name="exams.close_overdue")
def close_overdue() -> int:
    """Close attempts past deadline + grace with finished_at = their deadline (beat, 30 s)."""
    closed = services.close_overdue()
    db.session.commit()
    return closed


@shared_task(name="exams.pregenerate", acks_late=True, reject_on_worker_lost=True)
def pregenerate(task_id: str | None, exam_id: int) -> dict | None:
    """Pending attempts for every student of the test, committed chunk by chunk with the
    progress. Safe to run twice or after a crash: students who already have an open attempt
    are skipped and the insert ignores conflicts with ``uq_attempt_one_open``."""
    exam = db.session.get(Exam, exam_id)
    if exam is None:
        _report(task_id, 100, _("Không tìm thấy bài kiểm tra."), TaskState.FAILED)
        return None
    _report(task_id, 0, _("Đang tạo sẵn lượt làm bài…"))

    def progress(done: int, total: int) -> None:
        db.session.commit()
        _report(task_id, 99 * done // max(total, 1),
                _("Đã xử lý %(done)d/%(total)d học sinh…", done=done, total=total))

    try:
        report = manage.generate_pending(exam, progress=progress)
    except DomainError as error:
        db.session.rollback()
        _report(task_id, 100, str(error.message), TaskState.FAILED)
        return None
    db.session.commit()
    _report(task_id, 100, _("Đã tạo sẵn %(n)d lượt làm bài (%(pending)d lượt đang chờ học sinh "
                            "bắt đầu).", n=report["created"], pending=report["pending"]),
            TaskState.SUCCEEDED)
    return report


def _report(task_id: str | None, progress: int, message: str,
            state: TaskState = TaskState.RUNNING) -> None:
    if task_id is not None:
        report_progress(task_id, progress, message, state)
