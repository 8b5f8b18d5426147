"""Authored lessons (bài giảng soạn trực tiếp): pages of sanitised rich text with LaTeX math,
images, embedded video renditions and check questions from the bank; immutable published
versions; rendering a page. What a learner does with it is in ``lms.lessons.learner``.

Services flush and never commit. A page body is sanitised with nh3 (question_bank) on save and
keeps its embeds as text markers ``[[question:ID]]``, ``[[video:LESSON_ID]]``,
``[[image:FILE_ID]]``; each marker is checked on save (the author may use that question, that
video, that image) and resolved again when a version is published, so a version holds the
question payloads it shows (later edits in the bank do not change it).
"""

import re
import shutil
import tempfile
import uuid

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms.auth.permissions import can, require
from lms.core.errors import DomainError, NotFound, Unavailable
from lms.core.models import utcnow
from lms.core.storage import storage
from lms.kernel import db
from lms.kernel.text import clean_name
from lms.lessons import rules as _lesson_rules  # noqa: F401 — registers lesson.edit/assign
from lms.lessons.models import (
    FileKind,
    Lesson,
    LessonFile,
    LessonKind,
    LessonPage,
    LessonState,
    LessonVersion,
)
from lms.lessons.services import _apply_meta, _school_of, check_quota, nfc, spool_upload
from media import StorageError
from question_bank import html_to_text, render_math, sanitise_html, student_view
from question_bank.models import Question

#: Check questions a learner answers on the page and the computer scores at once.
CHECK_TYPES = ("single_choice", "multiple_response", "true_false", "true_false_4",
               "short_text", "short_numeric")
MAX_PAGES = 100
MAX_BODY_CHARS = 200_000
MAX_IMAGE_BYTES = 5 * 1024 * 1024
#: Images by their first bytes (SVG is not accepted: it can carry script).
IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
               (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))
MARKER = re.compile(r"<p>\s*\[\[(question|video|image):(\d{1,12})\]\]\s*</p>"
                    r"|\[\[(question|video|image):(\d{1,12})\]\]")
SNAPSHOT_SCHEMA = 1


# --- drafts ------------------------------------------------------------------------------

def create_authored(actor, meta: dict) -> Lesson:
    """A new authored lesson: a draft with metadata and no pages, ready to edit."""
    require(actor, "lesson.create")
    lesson = Lesson(kind=LessonKind.AUTHORED, state=LessonState.READY, owner_id=actor.id,
                    school_id=_school_of(actor))
    _apply_meta(lesson, meta)
    db.session.add(lesson)
    db.session.flush()
    return lesson


def authored_for_edit(actor, lesson_id: int) -> Lesson:
    """An authored lesson the actor may edit (404 when it is not visible, 403 otherwise)."""
    from lms.lessons.services import lesson_for

    lesson = lesson_for(actor, lesson_id)
    if lesson.kind != LessonKind.AUTHORED:
        raise NotFound(_("Bài giảng này không phải bài giảng soạn trực tiếp."))
    require(actor, "lesson.edit", lesson)
    return lesson


def update_meta(actor, lesson: Lesson, meta: dict) -> None:
    """Change the draft's catalogue metadata (published versions keep theirs)."""
    require(actor, "lesson.edit", lesson)
    _apply_meta(lesson, meta)
    db.session.flush()


def pages_of(lesson: Lesson) -> list[LessonPage]:
    return list(db.session.scalars(select(LessonPage).where(LessonPage.lesson_id == lesson.id)
                                   .order_by(LessonPage.position, LessonPage.id)))


def page_of(lesson: Lesson, page_id: int) -> LessonPage:
    page = db.session.get(LessonPage, page_id)
    if page is None or page.lesson_id != lesson.id:
        raise NotFound(_("Không tìm thấy trang."))
    return page


def save_page(actor, lesson: Lesson, title: str, body: str,
              page: LessonPage | None = None) -> LessonPage:
    """Add or change a draft page: title as plain text, body sanitised, every embed checked."""
    require(actor, "lesson.edit", lesson)
    title = clean_name(html_to_text(sanitise_html(title)))[:300]
    if not title:
        raise DomainError(_("Trang cần có tiêu đề."), code="invalid_page")
    if len(body or "") > MAX_BODY_CHARS:
        raise DomainError(_("Nội dung trang dài quá %(n)d ký tự.", n=MAX_BODY_CHARS),
                          code="invalid_page")
    body_html = sanitise_html(body)
    blocks = check_embeds(actor, lesson, body_html)
    if page is None:
        count = len(pages_of(lesson))
        if count >= MAX_PAGES:
            raise DomainError(_("Một bài giảng có tối đa %(n)d trang.", n=MAX_PAGES),
                              code="too_many_pages")
        page = LessonPage(lesson_id=lesson.id, position=count)
        db.session.add(page)
    page.title, page.body_html, page.blocks = title, body_html, blocks
    db.session.flush()
    return page


def delete_page(actor, lesson: Lesson, page: LessonPage) -> None:
    require(actor, "lesson.edit", lesson)
    db.session.delete(page)
    db.session.flush()
    _renumber(pages_of(lesson))


def move_page(actor, lesson: Lesson, page: LessonPage, offset: int) -> None:
    """Move a page up (-1) or down (+1) in the draft."""
    require(actor, "lesson.edit", lesson)
    pages = pages_of(lesson)
    at = next(i for i, p in enumerate(pages) if p.id == page.id)
    to = max(0, min(len(pages) - 1, at + offset))
    pages.insert(to, pages.pop(at))
    _renumber(pages)


def reorder_pages(actor, lesson: Lesson, page_ids: list[int]) -> None:
    """Put the draft's pages in the given order (every page exactly once)."""
    require(actor, "lesson.edit", lesson)
    pages = {p.id: p for p in pages_of(lesson)}
    if sorted(page_ids) != sorted(pages):
        raise DomainError(_("Thứ tự trang phải liệt kê mỗi trang của bài đúng một lần."),
                          code="invalid_order")
    _renumber([pages[i] for i in page_ids])


def _renumber(pages: list[LessonPage]) -> None:
    for position, page in enumerate(pages):
        page.position = position
    db.session.flush()


def check_embeds(actor, lesson: Lesson, body_html: str) -> list[dict]:
    """The embeds of a body in order, each one checked: a bank question of a check type the
    actor may see, a ready video lesson the actor may open, an image of this lesson."""
    blocks = []
    for kind, ident in markers(body_html):
        if kind == "question":
            _usable_question(actor, ident)
        elif kind == "video":
            _usable_video(actor, ident)
        else:
            _lesson_image(lesson, ident)
        blocks.append({"kind": kind, "id": ident})
    return blocks


def markers(body_html: str) -> list[tuple[str, int]]:
    return [(m[1] or m[3], int(m[2] or m[4])) for m in MARKER.finditer(body_html)]


def _usable_question(actor, question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None or not can(actor, "question.view", question):
        raise DomainError(_("Không có câu hỏi #%(id)d trong ngân hàng (hoặc bạn không được "
                            "dùng câu hỏi này).", id=question_id), code="invalid_embed")
    if question.type not in CHECK_TYPES:
        raise DomainError(_("Câu hỏi #%(id)d thuộc loại không chấm ngay được; hãy chọn câu "
                            "một đáp án, nhiều đáp án, đúng/sai hoặc trả lời ngắn.",
                            id=question_id), code="invalid_embed")
    return question


def _usable_video(actor, lesson_id: int) -> Lesson:
    video = db.session.get(Lesson, lesson_id)
    if (video is None or video.kind != LessonKind.VIDEO or video.state != LessonState.READY
            or not can(actor, "lesson.view", video)):
        raise DomainError(_("Không có bài giảng video #%(id)d đã xử lý xong mà bạn được dùng.",
                            id=lesson_id), code="invalid_embed")
    return video


def _lesson_image(lesson: Lesson, file_id: int) -> LessonFile:
    row = db.session.get(LessonFile, file_id)
    if row is None or row.lesson_id != lesson.id or row.kind != FileKind.IMAGE:
        raise DomainError(_("Bài giảng không có ảnh #%(id)d.", id=file_id),
                          code="invalid_embed")
    return row


def add_image(actor, lesson: Lesson, stream, filename: str) -> LessonFile:
    """Store an uploaded picture; its type comes from its bytes (PNG, JPEG, GIF), never from
    its name, and its key is generated."""
    require(actor, "lesson.edit", lesson)
    work = tempfile.mkdtemp(prefix="lesson-image-")
    try:
        upload = spool_upload(stream, MAX_IMAGE_BYTES, work)
        with open(upload, "rb") as fh:
            head = fh.read(16)
        content_type = next((t for magic, t in IMAGE_MAGIC if head.startswith(magic)), None)
        if content_type is None:
            raise DomainError(_("Tệp «%(name)s» không phải ảnh PNG, JPEG hay GIF.",
                                name=nfc(filename)[:120]), code="invalid_image")
        size = upload.stat().st_size
        check_quota(lesson.owner_id, size)
        key = f"lessons/{lesson.id}/images/{uuid.uuid4().hex}"
        try:
            with open(upload, "rb") as fh:
                storage().put_stream(key, fh, size, content_type)
        except StorageError:
            raise Unavailable(_("Không lưu được ảnh vào kho lưu trữ; hãy thử lại sau."),
                              code="storage_unavailable") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
    row = LessonFile(lesson_id=lesson.id, kind=FileKind.IMAGE, key=key, path=key[-32:],
                     size=size, original_name=nfc(filename)[:255], content_type=content_type)
    db.session.add(row)
    db.session.flush()
    return row


def image_file(actor, lesson: Lesson, file_id: int) -> LessonFile:
    """An image of a lesson the actor may open."""
    require(actor, "lesson.view", lesson)
    try:
        return _lesson_image(lesson, file_id)
    except DomainError:
        raise NotFound(_("Bài giảng không có ảnh này.")) from None


# --- publishing --------------------------------------------------------------------------

def publish(actor, lesson: Lesson) -> LessonVersion:
    """Freeze the draft into a new immutable version; learners see the latest one."""
    require(actor, "lesson.edit", lesson)
    pages = pages_of(lesson)
    if not pages:
        raise DomainError(_("Bài giảng chưa có trang nào để xuất bản."), code="no_pages")
    snapshot = {"schema": SNAPSHOT_SCHEMA, "title": lesson.title,
                "pages": [_freeze(actor, lesson, page) for page in pages]}
    number = (db.session.scalar(select(func.max(LessonVersion.number))
                                .where(LessonVersion.lesson_id == lesson.id)) or 0) + 1
    version = LessonVersion(lesson_id=lesson.id, number=number, snapshot=snapshot,
                            published_by_id=actor.id)
    db.session.add(version)
    lesson.published_at = utcnow()
    db.session.flush()
    return version


def _freeze(actor, lesson: Lesson, page: LessonPage) -> dict:
    blocks = []
    for block in check_embeds(actor, lesson, page.body_html):
        if block["kind"] == "question":
            question = db.session.get(Question, block["id"])
            block = {**block, "version_id": question.current_version_id,
                     "payload": question.current_version.payload}
        blocks.append(block)
    return {"id": page.id, "title": page.title, "body_html": page.body_html, "blocks": blocks}


def latest_version(lesson: Lesson) -> LessonVersion | None:
    return db.session.scalars(select(LessonVersion).where(LessonVersion.lesson_id == lesson.id)
                              .order_by(LessonVersion.number.desc()).limit(1)).first()


def draft_snapshot(lesson: Lesson) -> dict:
    """The draft as a version would hold it (the author's preview; nothing is recorded)."""
    pages = []
    for page in pages_of(lesson):
        blocks = []
        for block in page.blocks or []:
            if block["kind"] == "question":
                question = db.session.get(Question, block["id"])
                if question is None or question.current_version is None:
                    continue
                block = {**block, "payload": question.current_version.payload}
            blocks.append(block)
        pages.append({"id": page.id, "title": page.title, "body_html": page.body_html,
                      "blocks": blocks})
    return {"schema": SNAPSHOT_SCHEMA, "title": lesson.title, "pages": pages}


def preview_page(actor, lesson: Lesson, title: str, body: str) -> dict:
    """An unsaved page as a version would hold it, for the editor's live preview."""
    require(actor, "lesson.edit", lesson)
    body_html = sanitise_html(body)
    blocks = []
    for block in check_embeds(actor, lesson, body_html):
        if block["kind"] == "question":
            block = {**block, "payload": db.session.get(Question, block["id"])
                     .current_version.payload}
        blocks.append(block)
    return {"id": 0, "title": clean_name(html_to_text(sanitise_html(title))),
            "body_html": body_html, "blocks": blocks}


# --- reading -----------------------------------------------------------------------------

def segments(body_html: str) -> list[tuple[str, object]]:
    """A page body as ``("html", markup)``, ``("question"|"video"|"image", id)`` parts: math
    rendered to MathML on the server, markers split out for the template to render."""
    rendered = render_math(body_html)
    parts: list[tuple[str, object]] = []
    last = 0
    for match in MARKER.finditer(rendered):
        if match.start() > last:
            parts.append(("html", rendered[last:match.start()]))
        parts.append((match[1] or match[3], int(match[2] or match[4])))
        last = match.end()
    if last < len(rendered):
        parts.append(("html", rendered[last:]))
    return parts


def question_block(page: dict, question_id: int) -> dict:
    block = next((b for b in page["blocks"]
                  if b["kind"] == "question" and b["id"] == question_id), None)
    if block is None:
        raise NotFound(_("Trang không có câu hỏi #%(id)d.", id=question_id))
    return block


def check_question_view(block: dict) -> dict:
    """What the learner sees before answering: the student view (no key, no feedback)."""
    return student_view(block["payload"])


def page_in(snapshot: dict, page_id: int) -> dict:
    page = next((p for p in snapshot["pages"] if p["id"] == page_id), None)
    if page is None:
        raise NotFound(_("Không tìm thấy trang."))
    return page


def published_for(actor, lesson: Lesson) -> LessonVersion:
    """The latest published version of a lesson the actor may open (404 for drafts)."""
    require(actor, "lesson.view", lesson)
    version = latest_version(lesson) if lesson.kind == LessonKind.AUTHORED else None
    if version is None:
        raise NotFound(_("Bài giảng chưa được xuất bản."), code="not_published")
    return version


def embedded_video_file(actor, lesson: Lesson, video_id: int, kind: str) -> LessonFile:
    """A rendition or poster of a video embedded in the lesson the actor may open: in the
    latest version, or (for the author) in the draft. The video lesson's own visibility does
    not matter here: the author chose to show it in this lesson."""
    from lms.lessons.services import derived_file

    require(actor, "lesson.view", lesson)
    version = latest_version(lesson)
    snapshots = [version.snapshot] if version else []
    if can(actor, "lesson.edit", lesson):
        snapshots.append(draft_snapshot(lesson))
    embedded = any(b["kind"] == "video" and b["id"] == video_id
                   for snapshot in snapshots for p in snapshot["pages"] for b in p["blocks"])
    video = db.session.get(Lesson, video_id)
    if not embedded or video is None or video.kind != LessonKind.VIDEO:
        raise NotFound(_("Bài giảng không có video này."))
    return derived_file(video, kind)
