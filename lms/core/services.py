"""Services every area uses: task-progress records and queued mail."""

import logging

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from lms.auth.permissions import roles
from lms.core.errors import NotFound
from lms.core.models import OutboxMail, TaskProgress
from lms.kernel import db
from lms.org.models import Role

log = logging.getLogger("hoclieu.mail")


def start_task(kind: str, owner_id: int | None, message: str = "") -> TaskProgress:
    """Create the progress record a job will update; the caller sends the job after commit."""
    row = TaskProgress(kind=kind, owner_id=owner_id, message=message)
    db.session.add(row)
    db.session.flush()
    return row


def task_for(actor, task_id: str) -> TaskProgress:
    """A progress record, visible only to whoever started it and to admins."""
    row = db.session.get(TaskProgress, task_id)
    if row is None or (row.owner_id != actor.id and Role.ADMIN not in roles(actor)):
        raise NotFound(_l("Không tìm thấy tác vụ."))
    return row


def queue_mail(recipient: str, subject: str, body: str) -> OutboxMail:
    """Write a message to the outbox; with SMTP configured it is sent by Celery after commit."""
    mail = OutboxMail(recipient=recipient, subject=subject, body=body)
    db.session.add(mail)
    db.session.flush()
    log.info("mail queued to %s: %s", recipient, subject)
    db.session.info.setdefault("hoclieu_mail", []).append(mail.id)
    return mail


@event.listens_for(Session, "after_commit")
def _send_queued(session):
    ids = session.info.pop("hoclieu_mail", [])
    if ids and has_app_context() and current_app.config["MAIL_SMTP_HOST"]:
        from lms.core.tasks import deliver_mail

        for mail_id in ids:
            deliver_mail.delay(mail_id)


@event.listens_for(Session, "after_rollback")
def _forget_queued(session):
    session.info.pop("hoclieu_mail", None)
