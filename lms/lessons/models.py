"""Lessons, their stored files, SCORM package data, published versions and learner progress.

A lesson lasts at least one class period (45 minutes in Vietnamese schools), so
``duration_minutes`` defaults to 45 and services refuse less (product.md §4).
"""

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.models import utcnow
from lms.kernel import db, db_enum

CLASS_PERIOD_MINUTES = 45
#: The longest a lesson may last (a week of minutes): far more than any lesson, and a number
#: every database's integer column holds.
MAX_LESSON_MINUTES = 7 * 24 * 60


class LessonKind(enum.StrEnum):
    SCORM = "scorm"
    VIDEO = "video"
    AUTHORED = "authored"


class LessonState(enum.StrEnum):
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class FileKind(enum.StrEnum):
    ORIGINAL = "original"
    RENDITION_360P = "rendition_360p"
    RENDITION_720P = "rendition_720p"
    POSTER = "poster"
    SCORM_FILE = "scorm_file"
    #: An image uploaded for an authored lesson's pages (type checked from its bytes).
    IMAGE = "image"


class Lesson(db.Model):
    """One lesson with its catalogue metadata; files live in storage (LessonFile rows)."""

    __tablename__ = "lesson"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[LessonKind] = mapped_column(db_enum(LessonKind, 20))
    state: Mapped[LessonState] = mapped_column(db_enum(LessonState, 20),
                                               default=LessonState.PROCESSING)
    title: Mapped[str] = mapped_column(String(300))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("subject.id", ondelete="SET NULL"))
    grade: Mapped[int | None]
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id", ondelete="SET NULL"))
    #: Textbook series ("Kết nối tri thức", "Cánh diều", "Chân trời sáng tạo", …).
    textbook_series: Mapped[str] = mapped_column(String(120), default="")
    #: At least one class period (45 minutes).
    duration_minutes: Mapped[int] = mapped_column(default=CLASS_PERIOD_MINUTES)
    #: Author names as written by the uploader (co-authors are common).
    authors: Mapped[list] = mapped_column(JSON, default=list)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    licence: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    #: Why processing failed (Vietnamese, shown to the uploader).
    failure_message: Mapped[str] = mapped_column(Text, default="")
    task_id: Mapped[str | None] = mapped_column(
        ForeignKey("task_progress.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    files: Mapped[list["LessonFile"]] = relationship(back_populates="lesson",
                                                     cascade="all, delete-orphan")
    scorm: Mapped["ScormPackage | None"] = relationship(back_populates="lesson",
                                                        cascade="all, delete-orphan")
    #: Folded (accent-free, lower-case) title, description, series and authors: the library's
    #: accent-insensitive search matches words against it with LIKE.
    search_key: Mapped[str] = mapped_column(Text, default="")
    #: Folded author names, for the library's author filter.
    authors_key: Mapped[str] = mapped_column(String(1000), default="")
    #: When an authored lesson was last published (None: never, a draft only).
    published_at: Mapped[datetime | None]


class LessonFile(db.Model):
    """A stored object of a lesson: the original upload, a rendition, a poster, a SCORM file."""

    __tablename__ = "lesson_file"
    __table_args__ = (UniqueConstraint("lesson_id", "kind", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"),
                                           index=True)
    kind: Mapped[FileKind] = mapped_column(db_enum(FileKind, 20))
    #: Server-generated storage key (never derived from a user's file name).
    key: Mapped[str] = mapped_column(String(512))
    #: Path inside a SCORM package ("" for other kinds).
    path: Mapped[str] = mapped_column(String(1024), default="")
    #: The uploader's file name, kept as metadata only (escaped wherever shown).
    original_name: Mapped[str] = mapped_column(String(255), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    content_type: Mapped[str] = mapped_column(String(120), default="application/octet-stream")
    width: Mapped[int | None]
    height: Mapped[int | None]

    lesson: Mapped[Lesson] = relationship(back_populates="files")


class ScormPackage(db.Model):
    """What the player needs from a package's manifest."""

    __tablename__ = "scorm_package"

    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"),
                                           primary_key=True)
    #: "1.2" or "2004".
    version: Mapped[str] = mapped_column(String(10))
    identifier: Mapped[str] = mapped_column(String(255), default="")
    #: Path (with parameters) of the first launchable SCO.
    launch: Mapped[str] = mapped_column(String(2048))
    #: Table of contents: [{identifier, title, depth, launch, kind, ...}].
    toc: Mapped[list] = mapped_column(JSON, default=list)
    #: Package paths the manifest lists but the zip lacks, sorted (["img/a.png", …]): the
    #: package was accepted with a warning its teachers see on the player page.
    missing_files: Mapped[list] = mapped_column(JSON, default=list)

    lesson: Mapped[Lesson] = relationship(back_populates="scorm")

    def toc_first(self) -> str:
        """Identifier of the first launchable SCO (the default launch)."""
        return next((e["identifier"] for e in self.toc if e.get("launch")), "")


class LessonVersion(db.Model):
    """An immutable published snapshot; the curation workflow nominates one of these."""

    __tablename__ = "lesson_version"
    __table_args__ = (UniqueConstraint("lesson_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"),
                                           index=True)
    number: Mapped[int]
    snapshot: Mapped[dict] = mapped_column(JSON)
    published_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonProgress(db.Model):
    """One learner's state in one lesson (and, for SCORM, one SCO): the CMI data we keep."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("lesson_id", "user_id", "sco"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"),
                                           index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: SCO identifier from the manifest ("" for non-SCORM lessons).
    sco: Mapped[str] = mapped_column(String(255), default="")
    #: passed | failed | completed | incomplete | browsed | not attempted | unknown
    status: Mapped[str] = mapped_column(String(20), default="not attempted")
    #: 2004 success_status (passed | failed | unknown).
    success: Mapped[str] = mapped_column(String(10), default="unknown")
    #: Scaled 0..100 score, None until the content reports one.
    score: Mapped[float | None]
    #: 0..1 progress measure / completion.
    completion: Mapped[float | None]
    suspend_data: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(1000), default="")
    #: Accumulated session time in seconds.
    total_seconds: Mapped[float] = mapped_column(default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LessonPage(db.Model):
    """A draft page of an authored lesson; publishing copies the pages into a LessonVersion.

    ``body_html`` is sanitised HTML (nh3) with LaTeX math and embed markers written as text:
    ``[[question:ID]]``, ``[[video:LESSON_ID]]``, ``[[image:FILE_ID]]``. ``blocks`` (schema 1) is
    the list of those embeds in order, checked on save: ``[{"kind": "question"|"video"|"image",
    "id": int}]``.
    """

    __tablename__ = "lesson_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"),
                                           index=True)
    #: 0-based order among the lesson's pages.
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300), default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    blocks: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LessonItemProgress(db.Model):
    """One thing a learner did in an authored lesson: viewed a page, watched a video, answered
    a check question. ``item`` is ``page:P``, ``video:P:V`` or ``question:P:Q`` (P a page id,
    stable across published versions); a question's row keeps the response and its score."""

    __tablename__ = "lesson_item_progress"
    __table_args__ = (UniqueConstraint("lesson_id", "user_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"),
                                           index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: The published version the learner was reading.
    version_id: Mapped[int | None] = mapped_column(
        ForeignKey("lesson_version.id", ondelete="SET NULL"))
    item: Mapped[str] = mapped_column(String(80))
    #: The stored-id response of a check question (None for pages and videos).
    response: Mapped[dict | None] = mapped_column(JSON)
    #: Fraction 0..1 of a check question (None: not scored).
    score: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LessonAssignment(db.Model):
    """A lesson given to a class with a due date; pins the published version assigned."""

    __tablename__ = "lesson_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"),
                                           index=True)
    lesson_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("lesson_version.id", ondelete="SET NULL"))
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id", ondelete="CASCADE"),
                                          index=True)
    #: Due moment (UTC, naive like every timestamp here).
    due_at: Mapped[datetime]
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    lesson: Mapped[Lesson] = relationship()


class UploadState(enum.StrEnum):
    RECEIVING = "receiving"
    COMPLETE = "complete"
    CONSUMED = "consumed"


class UploadSession(db.Model):
    """A chunked, resumable upload of one large file (a video or a SCORM zip).

    The bytes go to ``HOCLIEU_UPLOAD_STAGING_PATH/<id>.part``; that file's length is the
    offset the next chunk must start at. When it reaches ``size`` the upload is complete and
    ``POST /api/v1/lessons`` with ``upload_id`` turns it into a lesson (once: consumed).
    """

    __tablename__ = "upload_session"

    #: Random, unguessable (and never enough on its own: every request checks the owner).
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"),
                                          index=True)
    #: What the file is meant to become (``scorm`` or ``video``); checked against its bytes.
    kind: Mapped[LessonKind] = mapped_column(db_enum(LessonKind, 20))
    #: The uploader's file name, metadata only (escaped wherever shown).
    filename: Mapped[str] = mapped_column(String(255), default="")
    #: Declared total size in bytes; counts against the quota until the upload ends.
    size: Mapped[int] = mapped_column(BigInteger)
    #: Bytes received so far (mirrors the staged file's length after each chunk).
    received: Mapped[int] = mapped_column(BigInteger, default=0)
    state: Mapped[UploadState] = mapped_column(db_enum(UploadState, 20),
                                               default=UploadState.RECEIVING)
    #: The lesson made from it, once consumed.
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: Abandoned after this moment (pushed forward by every chunk); the sweep removes it.
    expires_at: Mapped[datetime] = mapped_column(index=True)
