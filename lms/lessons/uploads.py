"""Chunked, resumable uploads of large lesson files (videos, SCORM zips).

An upload session is opened with the declared name, size and kind (size limit and quota are
checked on the declared size), then receives chunks ``PUT`` with ``Content-Range`` that must
start exactly at the stored offset (409 with the offset otherwise, so the client resumes).
When the last byte arrives, the file's type is decided from its bytes; ``POST
/api/v1/lessons`` with ``upload_id`` then makes the lesson from the assembled file, once.

The partial file lives in ``HOCLIEU_UPLOAD_STAGING_PATH`` as ``<id>.part``; its length is
the offset (media.uploads). Services flush; the API commits.
"""

import contextlib
import secrets
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from lms.auth.permissions import require
from lms.core.errors import Conflict, DomainError, NotFound, TooLarge
from lms.core.models import utcnow
from lms.kernel import db
from lms.lessons import services
from lms.lessons.models import Lesson, LessonKind, UploadSession, UploadState
from media import (
    ChunkError,
    PackageError,
    append_chunk,
    check_content,
    parse_content_range,
    remove_partial,
    stored_length,
)

MB = 1024 * 1024
ZIP_MAGIC = services.ZIP_MAGIC


class UploadExpired(DomainError):
    status = 410
    code = "upload_expired"


class UploadRefused(DomainError):
    """The completed file is not what its kind says; the session and its bytes are gone
    (``final``: the caller commits that removal before answering)."""

    final = True


def staging_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_STAGING_PATH"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def part_path(upload: UploadSession) -> Path:
    """Where the bytes of an upload are assembled (the id is hex: no path tricks)."""
    return staging_folder() / f"{upload.id}.part"


def chunk_bytes() -> int:
    """HOCLIEU_UPLOAD_CHUNK_MB in bytes (fractions allowed, at least 64 KiB)."""
    return max(64 * 1024, int(float(current_app.config["UPLOAD_CHUNK_MB"]) * MB))


def _expiry():
    return utcnow() + timedelta(hours=float(current_app.config["UPLOAD_EXPIRY_HOURS"]))


def open_upload(actor, filename: str, size: int, kind: str) -> UploadSession:
    """Open an upload session; the size limit and the quota hold on the declared size."""
    require(actor, "lesson.create")
    if kind not in (LessonKind.SCORM.value, LessonKind.VIDEO.value):
        raise DomainError(_("Loại bài giảng phải là «scorm» hoặc «video»."),
                          code="invalid_kind")
    if size <= 0:
        raise DomainError(_("Tệp tải lên rỗng."), code="empty_file")
    limit = int(current_app.config["MAX_UPLOAD_MB"]) * MB
    if size > limit:
        raise TooLarge(_("Tệp tải lên lớn hơn giới hạn %(mb)d MB.", mb=limit // MB))
    services.check_quota(actor.id, size)
    upload = UploadSession(id=secrets.token_hex(16), owner_id=actor.id, kind=LessonKind(kind),
                           filename=services.nfc(filename)[:255], size=size, received=0,
                           state=UploadState.RECEIVING, expires_at=_expiry())
    db.session.add(upload)
    db.session.flush()
    return upload


def upload_for(actor, upload_id: str) -> UploadSession:
    """The actor's own upload: 404 for anyone else's (no oracle), 410 once it expired."""
    upload = db.session.get(UploadSession, upload_id) if len(upload_id) <= 64 else None
    if upload is None or upload.owner_id != actor.id:
        raise NotFound(_("Không tìm thấy phiên tải lên."))
    if upload.expires_at < utcnow() and upload.state != UploadState.CONSUMED:
        raise UploadExpired(_("Phiên tải lên đã hết hạn; hãy tải tệp lên lại từ đầu."))
    return upload


def receive_chunk(actor, upload_id: str, content_range: str | None,
                  content_length: int | None, body: BinaryIO) -> UploadSession:
    """Append one chunk at the stored offset. The quota and the declared size hold on the
    bytes actually received; the file's type is checked from its bytes once complete."""
    upload = upload_for(actor, upload_id)
    if upload.state != UploadState.RECEIVING:
        raise Conflict(_("Tệp đã được tải lên đủ."), code="upload_complete",
                       details={"offset": upload.size})
    chunk = _check_range(upload, content_range, content_length)
    services.check_quota(actor.id, chunk.last + 1, exclude_upload=upload.id)
    path = part_path(upload)
    try:
        offset = append_chunk(path, chunk.first, chunk.length, body)
    except ChunkError as error:
        raise _chunk_refused(error) from None
    finally:
        _record_offset(upload, stored_length(path))
    if offset == upload.size:
        _complete(upload, path)
    return upload


def _check_range(upload: UploadSession, content_range, content_length):
    chunk = parse_content_range(content_range)
    if chunk is None:
        raise DomainError(_("Thiếu hoặc sai tiêu đề Content-Range (bytes đầu-cuối/tổng)."),
                          code="invalid_range", details={"offset": upload.received})
    if chunk.last >= upload.size:
        raise TooLarge(_("Dữ liệu gửi lên vượt kích thước tệp đã khai báo (%(size)d byte).",
                         size=upload.size), code="exceeds_declared_size",
                       details={"offset": upload.received})
    if chunk.total != upload.size or (content_length is not None
                                      and content_length != chunk.length):
        raise DomainError(_("Content-Range không khớp với kích thước tệp hoặc độ dài phần "
                            "gửi lên."), code="invalid_range",
                          details={"offset": upload.received})
    if chunk.length > chunk_bytes():
        raise TooLarge(_("Mỗi phần tải lên tối đa %(kib)d KiB.", kib=chunk_bytes() // 1024),
                       code="chunk_too_large", details={"offset": upload.received})
    return chunk


def _chunk_refused(error: ChunkError) -> DomainError:
    details = {"offset": error.offset}
    if error.code == "too_long":
        return TooLarge(_("Phần gửi lên dài hơn khai báo trong Content-Range."),
                        code="chunk_too_long", details=details)
    if error.code == "busy":
        return Conflict(_("Một phần khác của tệp đang được ghi; hãy thử lại."),
                        code="upload_busy", details=details)
    return Conflict(_("Phần gửi lên không bắt đầu ở vị trí đã nhận (%(offset)d); hãy gửi "
                      "tiếp từ vị trí đó.", offset=error.offset), code="offset_mismatch",
                    details=details)


def _record_offset(upload: UploadSession, offset: int) -> None:
    """Mirror the file's length on the row (the file stays the truth: a dropped chunk's
    bytes are kept even when this request ends in an error)."""
    upload.received = offset
    upload.expires_at = _expiry()
    db.session.flush()


def upload_status(actor, upload_id: str) -> UploadSession:
    """The upload with ``received`` read from the staged file (where to resume)."""
    upload = upload_for(actor, upload_id)
    if upload.state == UploadState.RECEIVING:
        upload.received = stored_length(part_path(upload))
        db.session.flush()
    return upload


def _complete(upload: UploadSession, path: Path) -> None:
    """All bytes are here: decide the type from them; a refused file is removed at once."""
    try:
        _check_type(upload, path)
    except DomainError as error:
        remove_partial(path)
        db.session.delete(upload)
        db.session.flush()
        raise UploadRefused(error.message, error.details, error.code) from None
    upload.state = UploadState.COMPLETE
    db.session.flush()


def _check_type(upload: UploadSession, path: Path) -> None:
    name = upload.filename or path.name
    if upload.kind == LessonKind.VIDEO:
        try:
            check_content(path)
        except PackageError as error:
            raise DomainError(error.message.replace(path.name, name),
                              code="invalid_video") from None
        return
    with open(path, "rb") as fh:
        if fh.read(4) not in ZIP_MAGIC:
            raise DomainError(_("Tệp tải lên không phải tệp .zip (gói SCORM phải là tệp nén "
                                "zip)."), code="invalid_package", details={"reason": "not_zip"})


def cancel_upload(actor, upload_id: str) -> None:
    """Abandon an upload: its bytes and its quota reservation go at once."""
    upload = upload_for(actor, upload_id)
    if upload.state == UploadState.CONSUMED:
        raise Conflict(_("Tệp đã được dùng để tạo bài giảng."), code="upload_consumed")
    remove_partial(part_path(upload))
    db.session.delete(upload)
    db.session.flush()


def create_lesson_from_upload(actor, upload_id: str, kind: str, meta: dict) -> Lesson:
    """The lesson path of ``services.create_lesson`` fed with a completed upload; an upload
    makes one lesson only (a conditional update decides a double submit)."""
    upload = upload_for(actor, upload_id)
    lesson = services.new_lesson(actor, kind, meta)
    if upload.state == UploadState.RECEIVING:
        raise Conflict(_("Tệp chưa tải lên xong (%(got)d/%(size)d byte).", got=upload.received,
                         size=upload.size), code="upload_incomplete",
                       details={"offset": upload.received})
    if upload.kind != lesson.kind:
        raise DomainError(_("Phiên tải lên dành cho loại «%(kind)s».", kind=upload.kind.value),
                          code="invalid_kind")
    claimed = db.session.execute(
        update(UploadSession).where(UploadSession.id == upload.id,
                                    UploadSession.state == UploadState.COMPLETE)
        .values(state=UploadState.CONSUMED)).rowcount
    if claimed != 1:
        raise Conflict(_("Tệp đã được dùng để tạo bài giảng."), code="upload_consumed")
    db.session.expire(upload)
    _make_lesson(lesson, part_path(upload), upload.filename)
    upload.lesson_id = lesson.id
    db.session.flush()
    db.session.info.setdefault("hoclieu_staged", []).append(str(part_path(upload)))
    return lesson


def _make_lesson(lesson: Lesson, path: Path, filename: str) -> None:
    work = tempfile.mkdtemp(prefix="lesson-")
    try:
        services.fill_lesson(lesson, path, Path(work), filename)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@event.listens_for(Session, "after_commit")
def _remove_consumed(session):
    """The lesson holds its own copy in storage once committed: drop the staged bytes."""
    for path in session.info.pop("hoclieu_staged", []):
        remove_partial(path)


@event.listens_for(Session, "after_rollback")
def _keep_staged(session):
    session.info.pop("hoclieu_staged", None)


# --- sweeping ----------------------------------------------------------------------------

def expire_uploads(now=None) -> int:
    """Remove upload sessions past their expiry (their staged bytes too), and staged files
    no session owns that are older than one expiry period. Returns sessions removed."""
    now = now or utcnow()
    stale = db.session.scalars(select(UploadSession).where(UploadSession.expires_at < now)
                               ).all()
    folder = staging_folder()
    for upload in stale:
        remove_partial(folder / f"{upload.id}.part")
    if stale:
        db.session.execute(delete(UploadSession).where(
            UploadSession.id.in_([u.id for u in stale])))
    _remove_orphans(folder, now)
    return len(stale)


def _remove_orphans(folder: Path, now) -> None:
    known = set(db.session.scalars(select(UploadSession.id)))
    horizon = (now - timedelta(hours=float(current_app.config["UPLOAD_EXPIRY_HOURS"]))
               ).timestamp()
    for path in folder.glob("*.part"):
        with contextlib.suppress(FileNotFoundError):
            if path.stem not in known and path.stat().st_mtime < horizon:
                path.unlink()
