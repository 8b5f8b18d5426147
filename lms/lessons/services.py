"""Creating lessons from uploads, reading them, and recording SCORM progress.

Services flush but never commit; the view commits. Jobs are sent after the commit.
"""

import contextlib
import hashlib
import logging
import mimetypes
import shutil
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from lms.auth.permissions import can, require
from lms.core.errors import DomainError, NotFound, TooLarge, Unavailable
from lms.core.services import start_task
from lms.core.storage import storage
from lms.kernel import db
from lms.kernel.text import clean_name, fold
from lms.lessons.models import (
    CLASS_PERIOD_MINUTES,
    MAX_LESSON_MINUTES,
    FileKind,
    Lesson,
    LessonFile,
    LessonKind,
    LessonProgress,
    LessonState,
    ScormPackage,
    UploadSession,
    UploadState,
)
from lms.org.models import UnitKind
from media import (
    PackageError,
    ScormManifest,
    StorageError,
    check_content,
    extract_zip,
    read_package,
)

log = logging.getLogger("hoclieu.lessons")
CHUNK = 1024 * 1024
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
MB = 1024 * 1024


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "").strip()


# --- upload ------------------------------------------------------------------------------

def spool_upload(stream: BinaryIO, limit: int, folder: str) -> Path:
    """Copy an upload to a temporary file in chunks, refusing it once it passes ``limit`` bytes
    (whatever the request claimed), so a large file never sits in memory."""
    fd, name = tempfile.mkstemp(prefix="upload-", dir=folder)
    written = 0
    with open(fd, "wb") as out:
        while chunk := stream.read(CHUNK):
            written += len(chunk)
            if written > limit:
                out.close()
                Path(name).unlink(missing_ok=True)
                raise TooLarge(_("Tệp tải lên lớn hơn giới hạn %(mb)d MB.", mb=limit // MB))
            out.write(chunk)
    if written == 0:
        Path(name).unlink(missing_ok=True)
        raise DomainError(_("Tệp tải lên rỗng."), code="empty_file")
    return Path(name)


def used_bytes(user_id: int) -> int:
    """Bytes a user's lessons occupy in storage (originals and everything derived)."""
    total = db.session.scalar(
        select(func.coalesce(func.sum(LessonFile.size), 0))
        .join(Lesson, Lesson.id == LessonFile.lesson_id).where(Lesson.owner_id == user_id))
    return int(total or 0)


def reserved_bytes(user_id: int, exclude: str | None = None) -> int:
    """Declared sizes of the user's chunked uploads still in progress or not yet used."""
    query = (select(func.coalesce(func.sum(UploadSession.size), 0))
             .where(UploadSession.owner_id == user_id,
                    UploadSession.state != UploadState.CONSUMED))
    if exclude:
        query = query.where(UploadSession.id != exclude)
    return int(db.session.scalar(query) or 0)


def check_quota(user_id: int, extra: int, exclude_upload: str | None = None) -> None:
    """Refuse a file that would take the user past ``HOCLIEU_UPLOAD_QUOTA_MB``: stored lesson
    files, plus the declared size of uploads in progress, plus ``extra``."""
    quota = int(current_app.config["UPLOAD_QUOTA_MB"]) * MB
    if used_bytes(user_id) + reserved_bytes(user_id, exclude_upload) + extra > quota:
        raise TooLarge(_("Vượt hạn mức lưu trữ %(mb)d MB của tài khoản.", mb=quota // MB),
                       code="quota_exceeded")


def _school_of(actor) -> int | None:
    for membership in actor.memberships:
        if membership.unit.kind == UnitKind.SCHOOL:
            return membership.unit_id
    return None


def _apply_meta(lesson: Lesson, meta: dict) -> None:
    """Catalogue metadata (product.md §4); a lesson lasts at least one class period."""
    title = clean_name(meta.get("title"))
    if not title:
        raise DomainError(_("Thiếu tên bài giảng (trường «title»)."), code="invalid_metadata")
    duration = meta.get("duration_minutes") or CLASS_PERIOD_MINUTES
    if int(duration) < CLASS_PERIOD_MINUTES:
        raise DomainError(_("Thời lượng phải ít nhất một tiết (%(n)d phút).",
                            n=CLASS_PERIOD_MINUTES), code="invalid_metadata")
    if int(duration) > MAX_LESSON_MINUTES:
        raise DomainError(_("Thời lượng không quá %(n)d phút.", n=MAX_LESSON_MINUTES),
                          code="invalid_metadata")
    _check_refs(meta)
    lesson.title = title[:300]
    lesson.duration_minutes = int(duration)
    lesson.subject_id = meta.get("subject_id")
    lesson.grade = meta.get("grade")
    lesson.topic_id = meta.get("topic_id")
    lesson.textbook_series = clean_name(meta.get("textbook_series"))[:120]
    lesson.authors = [clean_name(a) for a in meta.get("authors") or [] if clean_name(a)]
    lesson.licence = nfc(meta.get("licence"))[:120]
    lesson.description = nfc(meta.get("description"))
    set_search_keys(lesson)


def _check_refs(meta: dict) -> None:
    """Subject and topic ids must name rows (a clear 400 instead of a foreign-key error)."""
    from lms.curriculum.models import Subject, Topic

    for field, model, message in (
            ("subject_id", Subject, _("Không có môn học #%(id)s.", id=meta.get("subject_id"))),
            ("topic_id", Topic, _("Không có chủ đề #%(id)s.", id=meta.get("topic_id")))):
        if meta.get(field) is not None and db.session.get(model, meta[field]) is None:
            raise DomainError(message, code="invalid_metadata", details={"field": field})


def set_search_keys(lesson: Lesson) -> None:
    """The folded text the library's accent-insensitive search and author filter match."""
    authors = " ".join(lesson.authors or [])
    lesson.search_key = fold(" ".join([lesson.title, lesson.description or "",
                                       lesson.textbook_series or "", authors]))
    lesson.authors_key = fold(authors)[:1000]


def create_lesson(actor, kind: str, meta: dict, stream: BinaryIO, filename: str) -> Lesson:
    """A lesson from an uploaded SCORM zip (validated, extracted, ready now) or video
    (stored, then transcoded by ``lessons.transcode``). Type is decided from the bytes."""
    lesson = new_lesson(actor, kind, meta)
    work = tempfile.mkdtemp(prefix="lesson-")
    try:
        limit = int(current_app.config["MAX_UPLOAD_MB"]) * MB
        upload = spool_upload(stream, limit, work)
        fill_lesson(lesson, upload, Path(work), filename)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return lesson


def new_lesson(actor, kind: str, meta: dict) -> Lesson:
    """An unsaved lesson of a file kind (``scorm`` | ``video``) with checked metadata."""
    require(actor, "lesson.create")
    try:
        lesson_kind = LessonKind(kind)
    except ValueError:
        raise DomainError(_("Loại bài giảng phải là «scorm» hoặc «video»."),
                          code="invalid_kind") from None
    if lesson_kind == LessonKind.AUTHORED:
        raise DomainError(_("Bài giảng soạn trực tiếp không tải tệp lên: hãy tạo bản nháp "
                            "rồi thêm trang."), code="invalid_kind")
    lesson = Lesson(kind=lesson_kind, owner_id=actor.id, school_id=_school_of(actor))
    _apply_meta(lesson, meta)
    return lesson


def fill_lesson(lesson: Lesson, upload: Path, work: Path, filename: str) -> None:
    """Check the quota, then store the local file ``upload`` as the lesson's content
    (``work``: a scratch folder for extracting packages)."""
    check_quota(lesson.owner_id, upload.stat().st_size)
    if lesson.kind == LessonKind.SCORM:
        _create_scorm(lesson, upload, work, filename)
    else:
        _create_video(lesson, upload, filename)


def _store_file(lesson: Lesson, kind: FileKind, key: str, local: Path, path: str = "",
                original_name: str = "", content_type: str = "application/octet-stream"
                ) -> LessonFile:
    size = local.stat().st_size
    try:
        with open(local, "rb") as fh:
            storage().put_stream(key, fh, size, content_type)
    except StorageError as error:
        log.warning("storing %s failed: %s", key, error)  # the endpoint stays in the log
        _discard_stored(lesson)
        raise Unavailable(_("Không lưu được tệp vào kho lưu trữ; chưa có gì được ghi nhận, "
                            "hãy thử tải lên lại sau."), code="storage_unavailable") from None
    row = LessonFile(lesson=lesson, kind=kind, key=key, path=path, size=size,
                     original_name=original_name[:255], content_type=content_type)
    db.session.add(row)
    return row


def _discard_stored(lesson: Lesson) -> None:
    """Best effort: remove the objects this upload already wrote (the rows roll back)."""
    for row in lesson.files:
        with contextlib.suppress(StorageError):
            storage().delete(row.key)


def _create_video(lesson: Lesson, upload: Path, filename: str) -> None:
    try:
        container = check_content(upload)
    except PackageError as error:
        raise DomainError(error.message.replace(upload.name, nfc(filename) or upload.name),
                          code="invalid_video") from None
    lesson.state = LessonState.PROCESSING
    db.session.add(lesson)
    db.session.flush()
    content_type = "video/webm" if container == "matroska" else "video/" + container
    _store_file(lesson, FileKind.ORIGINAL, f"lessons/{lesson.id}/original", upload,
                original_name=nfc(filename), content_type=content_type)
    task = start_task("lessons.transcode", lesson.owner_id, "Đang chờ chuyển mã video…")
    lesson.task_id = task.id
    db.session.flush()
    db.session.info.setdefault("hoclieu_transcode", []).append(lesson.id)


def _refuse_package(error: PackageError) -> DomainError:
    return DomainError(error.message, code="invalid_package", details={"reason": error.code})


def scorm_key(lesson_id: int, path: str) -> str:
    """Storage keys are lower-case ASCII; package paths are not, so each file gets a hash key."""
    digest = hashlib.sha256(path.encode()).hexdigest()[:40]
    return f"lessons/{lesson_id}/scorm/{digest}"


def _create_scorm(lesson: Lesson, upload: Path, work: Path, filename: str) -> None:
    manifest = _unpack_scorm(lesson, upload, work / "pkg")
    root = work / "pkg" / manifest.root  # the zip's top-level folder, if it had one
    lesson.state = LessonState.READY
    db.session.add(lesson)
    db.session.flush()
    _store_file(lesson, FileKind.ORIGINAL, f"lessons/{lesson.id}/original", upload,
                original_name=nfc(filename), content_type="application/zip")
    for local in sorted(p for p in root.rglob("*") if p.is_file()):
        path = local.relative_to(root).as_posix()
        guessed = mimetypes.guess_type(path)[0] or "application/octet-stream"
        _store_file(lesson, FileKind.SCORM_FILE, scorm_key(lesson.id, path), local, path=path,
                    content_type=guessed)
    db.session.add(ScormPackage(
        lesson=lesson, version=manifest.version, identifier=manifest.identifier,
        launch=manifest.launchable[0].launch,
        toc=[{"identifier": e.identifier, "title": e.title, "depth": e.depth,
              "launch": e.launch, "kind": e.kind, "mastery_score": e.mastery_score}
             for e in manifest.toc],
        missing_files=list(manifest.missing_files)))
    db.session.flush()


def _unpack_scorm(lesson: Lesson, upload: Path, dest: Path) -> ScormManifest:
    """Check the zip and its manifest, then extract it to ``dest``; any refusal is a 400
    ``invalid_package`` before anything is written."""
    with open(upload, "rb") as fh:
        head = fh.read(4)
    if head not in ZIP_MAGIC:
        raise DomainError(_("Tệp tải lên không phải tệp .zip (gói SCORM phải là tệp nén zip)."),
                          code="invalid_package", details={"reason": "not_zip"})
    try:
        inspection, manifest = read_package(upload)
        if not manifest.launchable:
            raise PackageError("no_launch", _("Gói SCORM không có mục nào để mở (không có SCO)."))
        # The declared total is all extraction may write (its byte counter holds every entry
        # to it), so the quota is checked before a byte lands on disk.
        check_quota(lesson.owner_id, upload.stat().st_size + inspection.total_size)
        extract_zip(upload, dest)
    except PackageError as error:
        raise _refuse_package(error) from None
    return manifest


@event.listens_for(Session, "after_commit")
def _send_transcodes(session):
    ids = session.info.pop("hoclieu_transcode", [])
    if ids and has_app_context():
        from lms.lessons.tasks import transcode_lesson

        for lesson_id in ids:
            transcode_lesson.delay(lesson_id)


@event.listens_for(Session, "after_rollback")
def _forget_transcodes(session):
    session.info.pop("hoclieu_transcode", None)


# --- reading -----------------------------------------------------------------------------

def lesson_for(actor, lesson_id: int) -> Lesson:
    """A lesson the actor may open: 404 when it does not exist, 403 when it is not theirs."""
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound(_("Không tìm thấy bài giảng."))
    require(actor, "lesson.view", lesson)
    return lesson


def scorm_file(lesson_id: int, path: str) -> LessonFile:
    row = db.session.scalar(select(LessonFile).where(
        LessonFile.lesson_id == lesson_id, LessonFile.kind == FileKind.SCORM_FILE,
        LessonFile.path == path))
    if row is None:
        raise NotFound(_("Gói không có tệp «%(path)s».", path=path))
    return row


#: How many missing paths a warning message names (the full list is in ``files``).
WARNING_NAMES = 20


def package_warnings(lesson: Lesson, viewer=None) -> list[dict]:
    """What an accepted SCORM package lacks: files its manifest lists that the zip did not
    contain (pages using them may show gaps). ``[{"code", "message", "files"}]``. With a
    ``viewer``, only one who may edit the lesson (its author, who can fix the package and
    upload it again) gets them."""
    missing = list(lesson.scorm.missing_files or []) if lesson.scorm is not None else []
    if not missing or (viewer is not None and not can(viewer, "lesson.edit", lesson)):
        return []
    names = ", ".join(missing[:WARNING_NAMES]) + (" …" if len(missing) > WARNING_NAMES else "")
    message = _("Gói kê khai %(n)d tệp không có trong tệp .zip (các trang dùng đến chúng có thể "
                "hiển thị thiếu): %(names)s.", n=len(missing), names=names)
    return [{"code": "missing_files", "message": message, "files": missing}]


def derived_file(lesson: Lesson, kind: str) -> LessonFile:
    """A rendition or poster of the lesson (never the original or package internals)."""
    wanted = {FileKind.RENDITION_360P.value, FileKind.RENDITION_720P.value,
              FileKind.POSTER.value}
    row = next((f for f in lesson.files if f.kind.value == kind), None)
    if kind not in wanted or row is None:
        raise NotFound(_("Bài giảng không có tệp này."))
    return row


def progress_of(actor, lesson: Lesson, sco: str | None = None) -> LessonProgress | None:
    query = select(LessonProgress).where(LessonProgress.lesson_id == lesson.id,
                                         LessonProgress.user_id == actor.id)
    if sco is not None:
        query = query.where(LessonProgress.sco == sco)
    return db.session.scalars(query.order_by(LessonProgress.id)).first()


def commit_scorm(actor, lesson: Lesson, sco: str, data: dict) -> LessonProgress:
    """Validate a CMI commit from the player and store it for this learner and SCO."""
    from lms.lessons.scorm_runtime import apply_commit, parse_commit
    from lms.lessons.signals import progress_changed

    package = lesson.scorm
    if package is None:
        raise DomainError(_("Bài giảng này không phải gói SCORM."), code="not_scorm")
    known = {entry["identifier"] for entry in package.toc if entry.get("launch")}
    sco = sco or package.toc_first()
    if sco not in known:
        raise DomainError(_("Gói không có SCO «%(sco)s».", sco=sco), code="unknown_sco")
    if not isinstance(data, dict):
        raise DomainError(_("Dữ liệu CMI phải là một đối tượng JSON."), code="invalid_cmi")
    values = parse_commit(package.version, data)
    row = progress_of(actor, lesson, sco)
    if row is None:
        row = LessonProgress(lesson_id=lesson.id, user_id=actor.id, sco=sco)
        db.session.add(row)
    before = (row.status, row.score)
    apply_commit(row, values)
    db.session.flush()
    if (row.status, row.score) != before:
        progress_changed(lesson, actor.id, row.status, row.score)
    return row
