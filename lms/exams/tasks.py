"""Background work of online tests: the sweep that closes overdue attempts."""

from celery import shared_task

from lms.exams import services
from lms.extensions import db


@shared_task(name="exams.close_overdue")
def close_overdue() -> int:
    """Close attempts past deadline + grace with finished_at = their deadline (beat, 30 s)."""
    closed = services.close_overdue()
    db.session.commit()
    return closed
