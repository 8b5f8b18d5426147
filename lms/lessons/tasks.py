"""Lesson background jobs: transcoding an uploaded video into web renditions and a poster."""

import logging
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

from celery import shared_task
from flask import current_app
from sqlalchemy import delete, update

from lms.core.models import TaskState
from lms.core.storage import storage
from lms.core.tasks import report_progress
from lms.kernel import db
from lms.lessons import uploads
from lms.lessons.models import FileKind, Lesson, LessonFile, LessonState
from lms.lessons.services import used_bytes
from media import DEFAULT_VIDEO_LIMITS, PackageError, StorageError, VideoLimits, transcode

log = logging.getLogger("hoclieu.lessons")

_KINDS = {"360p": FileKind.RENDITION_360P, "720p": FileKind.RENDITION_720P}
FAILED_GENERIC = "Không xử lý được video do lỗi hệ thống; hãy thử tải lên lại sau."
QUOTA_MESSAGE = ("Các bản chuyển mã của video sẽ vượt hạn mức lưu trữ %d MB của tài khoản; "
                 "hãy xóa bớt bài giảng rồi tải lên lại.")


def output_key(lesson_id: int, name: str) -> str:
    """Deterministic keys: a rerun overwrites or skips the same objects, never duplicates."""
    return f"lessons/{lesson_id}/video/{name}"


@shared_task(name="lessons.transcode", acks_late=True, reject_on_worker_lost=True)
def transcode_lesson(lesson_id: int) -> str:
    """Transcode a video lesson; idempotent (a ready lesson is left alone, stored outputs are
    not uploaded again). Marks the lesson ready only after every output is confirmed stored."""
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.state == LessonState.READY:
        return "skipped"
    task_id = lesson.task_id
    work = Path(tempfile.mkdtemp(prefix="transcode-"))
    try:
        _run(lesson_id, task_id, work)
        return "ready"
    except (PackageError, StorageError, OSError) as error:
        message = getattr(error, "message", None) if isinstance(error, PackageError) else None
        log.warning("transcode of lesson %s failed: %r", lesson_id, error)
        _fail(lesson_id, task_id, message or FAILED_GENERIC)
        return "failed"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(lesson_id: int, task_id: str | None, work: Path) -> None:
    store = storage()
    original = db.session.scalar(db.select(LessonFile).where(
        LessonFile.lesson_id == lesson_id, LessonFile.kind == FileKind.ORIGINAL))
    src = work / "source"
    with store.open(original.key) as stream, open(src, "wb") as out:
        shutil.copyfileobj(stream, out, 1024 * 1024)
    if task_id:
        report_progress(task_id, 1, "Đang chuyển mã video…")

    def on_progress(percent: int) -> None:
        if task_id:
            report_progress(task_id, min(95, percent * 95 // 100), "Đang chuyển mã video…")

    result = transcode(src, work / "out", on_progress=on_progress, limits=video_limits())
    outputs = [(name, _KINDS.get(name, FileKind.RENDITION_360P), path, "video/mp4")
               for name, path in result.renditions.items()]
    outputs.append(("poster.jpg", FileKind.POSTER, result.poster, "image/jpeg"))
    _check_output_quota(lesson_id, sum(path.stat().st_size for *_, path, _ct in outputs))
    db.session.expire_all()
    if db.session.get(Lesson, lesson_id).state == LessonState.READY:
        return  # a redelivered copy finished first: leave its objects and rows alone
    rows = [_store_output(lesson_id, name, kind, path, ctype)
            for name, kind, path, ctype in outputs]
    db.session.execute(delete(LessonFile).where(
        LessonFile.lesson_id == lesson_id, LessonFile.kind.in_(_DERIVED)))
    db.session.add_all(rows)
    # Conditional: of two runs of the same job (a redelivery racing the first), one marks
    # the lesson ready with its rows; the other's rows roll back.
    won = db.session.execute(
        update(Lesson).where(Lesson.id == lesson_id, Lesson.state != LessonState.READY)
        .values(state=LessonState.READY, failure_message="")).rowcount
    if won != 1:
        db.session.rollback()
        return
    db.session.commit()
    if task_id:
        report_progress(task_id, 100, "Video đã sẵn sàng.", TaskState.SUCCEEDED)


_DERIVED = [FileKind.RENDITION_360P, FileKind.RENDITION_720P, FileKind.POSTER]


def video_limits() -> VideoLimits:
    """ffmpeg's threads and niceness from HOCLIEU_TRANSCODE_THREADS / _NICE."""
    cfg = current_app.config
    return replace(DEFAULT_VIDEO_LIMITS, threads=max(1, int(cfg["TRANSCODE_THREADS"])),
                   nice=min(19, max(0, int(cfg["TRANSCODE_NICE"]))))


def _check_output_quota(lesson_id: int, produced: int) -> None:
    """Files a job creates count against the owner's quota like uploads do (security.md 25):
    renditions that would take the owner past it are not stored and the lesson fails."""
    lesson = db.session.get(Lesson, lesson_id)
    previous = sum(f.size for f in lesson.files if f.kind in _DERIVED)
    quota = int(current_app.config["UPLOAD_QUOTA_MB"]) * 1024 * 1024
    if used_bytes(lesson.owner_id) - previous + produced > quota:
        raise PackageError("quota_exceeded", QUOTA_MESSAGE % (quota // (1024 * 1024)))


def _store_output(lesson_id: int, name: str, kind: FileKind, path: Path,
                  content_type: str) -> LessonFile:
    """Upload one output unless an identical-size object is already stored, then confirm."""
    store = storage()
    key = output_key(lesson_id, name if name.endswith(".jpg") else f"{name}.mp4")
    size = path.stat().st_size
    if not (store.exists(key) and store.size(key) == size):
        with open(path, "rb") as fh:
            store.put_stream(key, fh, size, content_type)
    if store.size(key) != size:
        raise StorageError(f"stored size of {key} differs")
    return LessonFile(lesson_id=lesson_id, kind=kind, key=key, size=size,
                      content_type=content_type, path=name)


def _fail(lesson_id: int, task_id: str | None, message: str) -> None:
    """Mark the lesson failed, unless another run of the job already made it ready."""
    db.session.rollback()
    failed = db.session.execute(
        update(Lesson).where(Lesson.id == lesson_id, Lesson.state != LessonState.READY)
        .values(state=LessonState.FAILED, failure_message=message)).rowcount
    db.session.commit()
    if task_id and failed:
        report_progress(task_id, 100, message, TaskState.FAILED)


@shared_task(name="lessons.expire_uploads")
def expire_uploads() -> int:
    """Celery beat, every 15 minutes: abandoned chunked uploads and their bytes go."""
    removed = uploads.expire_uploads()
    db.session.commit()
    return removed
