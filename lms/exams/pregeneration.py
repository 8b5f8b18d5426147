"""Pre-generated attempts from the API and the Kết quả page: small assignments in the request,
large ones in a Celery job the page polls.

``manage.generate_pending`` does the work either way; it inserts with ON CONFLICT DO NOTHING
against ``uq_attempt_one_open``, so a second click, a rerun of the job or a student starting
meanwhile never makes a second open attempt. A second request while a job for the same test
is still queued or running gets that job back instead of a new one.
"""

from datetime import timedelta

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from lms.auth.permissions import require
from lms.core.models import TaskProgress, TaskState, utcnow
from lms.core.services import start_task
from lms.exams import manage
from lms.exams.models import Exam, ExamState
from lms.kernel import db

#: A job not heard from for this long is taken for lost (its worker died): a new request
#: starts another one, which does what is left.
STALE_AFTER = timedelta(minutes=15)
_QUEUE = "hoclieu_pregenerate"


def kind_of(exam: Exam) -> str:
    """The task kind names the test, so a second click finds the job already running."""
    return f"exams.pregenerate:{exam.id}"


def request_pregeneration(actor, exam: Exam) -> dict:
    """``{"report": {created, pending, students}}`` when done in the request (at most
    ``EXAM_PREGENERATE_INLINE_MAX`` students), else ``{"task": TaskProgress}`` of the job
    that will do it, sent after the caller commits."""
    require(actor, "exam.manage", exam)
    if exam.state != ExamState.PUBLISHED:
        return {"report": manage.generate_pending(exam)}        # raises not_published
    students = len(manage.students_of(exam))
    if students <= int(current_app.config["EXAM_PREGENERATE_INLINE_MAX"]):
        return {"report": manage.generate_pending(exam)}
    running = db.session.scalar(
        select(TaskProgress).where(
            TaskProgress.kind == kind_of(exam),
            TaskProgress.state.in_((TaskState.PENDING, TaskState.RUNNING)),
            TaskProgress.updated_at > utcnow() - STALE_AFTER)
        .order_by(TaskProgress.created_at.desc()).limit(1))
    if running is not None:
        return {"task": running}
    task = start_task(kind_of(exam), actor.id,
                      _("Đang chờ tạo sẵn lượt làm bài cho %(n)d học sinh…", n=students))
    db.session.info.setdefault(_QUEUE, []).append((task.id, exam.id))
    return {"task": task}


def queue_pregeneration(exam: Exam, owner_id: int | None = None) -> TaskProgress:
    """A job for ``exam`` whatever its size (``flask exams pregenerate --background``)."""
    task = start_task(kind_of(exam), owner_id, _("Đang chờ tạo sẵn lượt làm bài…"))
    db.session.info.setdefault(_QUEUE, []).append((task.id, exam.id))
    return task


@event.listens_for(Session, "after_commit")
def _send_jobs(session):
    jobs = session.info.pop(_QUEUE, [])
    if jobs and has_app_context():
        from lms.exams.tasks import pregenerate

        for task_id, exam_id in jobs:
            pregenerate.delay(task_id, exam_id)


@event.listens_for(Session, "after_rollback")
def _forget_jobs(session):
    session.info.pop(_QUEUE, None)
