"""Lesson background jobs: transcoding an uploaded video into web renditions and a poster."""

import logging
import shutil
import tempfile
from pathlib import Path

from celery import shared_task
from sqlalchemy import delete

from lms.core.models import TaskState
from lms.core.storage import storage
from lms.core.tasks import report_progress
from lms.extensions import db
from lms.lessons.models import FileKind, Lesson, LessonFile, LessonState
from media import PackageError, StorageError, transcode

log = logging.getLogger("hoclieu.lessons")

_KINDS = {"360p": FileKind.RENDITION_360P, "720p": FileKind.RENDITION_720P}
FAILED_GENERIC = "Không xử lý được video do lỗi hệ thống; hãy thử tải lên lại sau."


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

    result = transcode(src, work / "out", on_progress=on_progress)
    outputs = [(name, _KINDS.get(name, FileKind.RENDITION_360P), path, "video/mp4")
               for name, path in result.renditions.items()]
    outputs.append(("poster.jpg", FileKind.POSTER, result.poster, "image/jpeg"))
    rows = [_store_output(lesson_id, name, kind, path, ctype)
            for name, kind, path, ctype in outputs]
    db.session.execute(delete(LessonFile).where(
        LessonFile.lesson_id == lesson_id,
        LessonFile.kind.in_([FileKind.RENDITION_360P, FileKind.RENDITION_720P,
                             FileKind.POSTER])))
    db.session.add_all(rows)
    lesson = db.session.get(Lesson, lesson_id)
    lesson.state = LessonState.READY
    lesson.failure_message = ""
    db.session.commit()
    if task_id:
        report_progress(task_id, 100, "Video đã sẵn sàng.", TaskState.SUCCEEDED)


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
    db.session.rollback()
    lesson = db.session.get(Lesson, lesson_id)
    lesson.state = LessonState.FAILED
    lesson.failure_message = message
    db.session.commit()
    if task_id:
        report_progress(task_id, 100, message, TaskState.FAILED)
