"""Background jobs shared by every area: progress records and mail delivery."""

import smtplib
from email.message import EmailMessage

from celery import shared_task
from flask import current_app

from lms.core.models import OutboxMail, TaskProgress, TaskState, utcnow
from lms.kernel import db


def report_progress(task_id: str, progress: int, message: str = "",
                    state: TaskState = TaskState.RUNNING) -> None:
    """Write progress in its own short transaction so pollers see it while the job runs."""
    row = db.session.get(TaskProgress, task_id)
    if row is None:
        return
    row.progress = max(0, min(100, int(progress)))
    row.state = state
    if message:
        row.message = message
    db.session.commit()


@shared_task(name="core.deliver_mail", acks_late=True, autoretry_for=(OSError,),
             retry_backoff=True, max_retries=8)
def deliver_mail(mail_id: int) -> None:
    """Send one outbox message through SMTP; idempotent (a sent message is not resent)."""
    mail = db.session.get(OutboxMail, mail_id)
    if mail is None or mail.sent_at is not None:
        return
    cfg = current_app.config
    message = EmailMessage()
    message["From"], message["To"] = cfg["MAIL_FROM"], mail.recipient
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    with smtplib.SMTP(cfg["MAIL_SMTP_HOST"], int(cfg["MAIL_SMTP_PORT"]), timeout=30) as smtp:
        if cfg["MAIL_SMTP_USER"]:
            smtp.starttls()
            smtp.login(cfg["MAIL_SMTP_USER"], cfg["MAIL_SMTP_PASSWORD"])
        smtp.send_message(message)
    mail.sent_at = utcnow()
    db.session.commit()


@shared_task(name="core.ping")
def ping(task_id: str) -> str:
    """A no-op job that walks a progress record to 100 %: used by health checks and tests."""
    for step in (25, 50, 75):
        report_progress(task_id, step, f"Bước {step // 25}/4")
    report_progress(task_id, 100, "Xong", TaskState.SUCCEEDED)
    return task_id
