"""Background jobs of the auth area."""

from celery import shared_task

from lms.auth import throttle_services
from lms.kernel import db


@shared_task(name="auth.sweep_login_throttle")
def sweep_login_throttle() -> int:
    """Celery beat, hourly: throttle rows with nothing left to remember go (a spray of
    made-up usernames leaves one row each)."""
    removed = throttle_services.sweep()
    db.session.commit()
    return removed
