"""Rows shared by every area: background-task progress and the mail outbox."""

import enum
import uuid
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.kernel import db, db_enum


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_uuid() -> str:
    return uuid.uuid4().hex


class TaskState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class TaskProgress(db.Model):
    """What a background job has done so far; the UI polls it (``GET /api/v1/tasks/<id>``)."""

    __tablename__ = "task_progress"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_uuid)
    #: What the job does, e.g. ``video.transcode`` or ``org.roster_import``.
    kind: Mapped[str] = mapped_column(String(60))
    #: Who started it; only they (and admins) may read it.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    state: Mapped[TaskState] = mapped_column(
        db_enum(TaskState, 20), default=TaskState.PENDING
    )
    #: 0..100.
    progress: Mapped[int] = mapped_column(default=0)
    #: Last human-readable status line (Vietnamese), shown under the progress bar.
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OutboxMail(db.Model):
    """Every e-mail the platform sends, written before sending so none is lost."""

    __tablename__ = "outbox_mail"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set once an SMTP relay accepted the message; stays empty in outbox-only mode.
    sent_at: Mapped[datetime | None]
    #: Last delivery error, if any.
    error: Mapped[str] = mapped_column(Text, default="")
