"""Authored lessons and the lesson library: pages, images, preview, publishing, what a learner
viewed, watched and answered, assignments to classes."""


from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from lms.api import require_user
from lms.api.lessons import LessonSchema, lesson_json
from lms.api.schemas import MAX_PAGE, Count, Id, Moment
from lms.core.errors import DomainError
from lms.core.storage import download_response
from lms.kernel import db
from lms.lessons import authored, learner, library, services

blp = Blueprint("api_lesson_pages", __name__, url_prefix="/api/v1",
                description="Bài giảng soạn trực tiếp và thư viện bài giảng")


class LibraryArgs(Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    subject = fields.String(load_default="")
    grade = fields.String(load_default="")
    topic = fields.String(load_default="")
    author = fields.String(load_default="")
    school = fields.String(load_default="")
    kind = fields.String(load_default="")
    page = Count(MAX_PAGE, 1, load_default=1)


class LibraryPage(Schema):
    items = fields.List(fields.Nested(LessonSchema))
    total = fields.Integer()
    page = fields.Integer()
    pages = fields.Integer()


class PageIn(Schema):
    title = fields.String(required=True, validate=validate.Length(max=300))
    body_html = fields.String(load_default="", validate=validate.Length(max=200_000))


class PageOut(Schema):
    id = fields.Integer()
    position = fields.Integer()
    title = fields.String()
    body_html = fields.String()
    blocks = fields.List(fields.Dict())


class OrderIn(Schema):
    page_ids = fields.List(Id(), required=True, validate=validate.Length(max=1000))


class PreviewIn(Schema):
    title = fields.String(load_default="")
    body_html = fields.String(load_default="", validate=validate.Length(max=200_000))


class PreviewOut(Schema):
    html = fields.String()


class ImageOut(Schema):
    id = fields.Integer()
    marker = fields.String()
    url = fields.String()


class VersionOut(Schema):
    lesson_id = fields.Integer()
    number = fields.Integer()
    published_at = fields.String()


class AnswerIn(Schema):
    response = fields.Raw(required=True)


class FeedbackOut(Schema):
    correct = fields.Boolean()
    fraction = fields.Float(allow_none=True)
    key_html = fields.String()
    feedback_html = fields.String()
    solution_html = fields.String()
    response = fields.Raw()
    progress = fields.Dict()


class AssignIn(Schema):
    class_id = Id(required=True)
    due_at = Moment(required=True, metadata={"description": "ISO 8601; no offset means UTC"})


class AssignmentOut(Schema):
    id = fields.Integer()
    lesson_id = fields.Integer()
    lesson_version_id = fields.Integer(allow_none=True)
    class_id = fields.Integer()
    due_at = fields.String()


def _page_json(page) -> dict:
    return {"id": page.id, "position": page.position, "title": page.title,
            "body_html": page.body_html, "blocks": page.blocks}


@blp.get("/lessons")
@blp.arguments(LibraryArgs, location="query")
@blp.response(200, LibraryPage)
def list_lessons(args):
    """The library: lessons the caller may open, searched accent-insensitively and filtered."""
    user = require_user()
    result = library.search_lessons(user, args.pop("q"), args, page=args.pop("page"))
    return {**result, "items": [lesson_json(lesson) for lesson in result["items"]]}


@blp.post("/lessons/<id:lesson_id>/pages")
@blp.arguments(PageIn)
@blp.response(201, PageOut)
def add_page(data, lesson_id):
    """Add a draft page (body sanitised; embeds checked)."""
    user = require_user()
    lesson = authored.authored_for_edit(user, lesson_id)
    page = authored.save_page(user, lesson, data["title"], data["body_html"])
    db.session.commit()
    return _page_json(page)


@blp.put("/lessons/<id:lesson_id>/pages/<id:page_id>")
@blp.arguments(PageIn)
@blp.response(200, PageOut)
def update_page(data, lesson_id, page_id):
    user = require_user()
    lesson = authored.authored_for_edit(user, lesson_id)
    page = authored.save_page(user, lesson, data["title"], data["body_html"],
                              authored.page_of(lesson, page_id))
    db.session.commit()
    return _page_json(page)


@blp.delete("/lessons/<id:lesson_id>/pages/<id:page_id>")
@blp.response(204)
def delete_page(lesson_id, page_id):
    user = require_user()
    lesson = authored.authored_for_edit(user, lesson_id)
    authored.delete_page(user, lesson, authored.page_of(lesson, page_id))
    db.session.commit()


@blp.put("/lessons/<id:lesson_id>/pages/order")
@blp.arguments(OrderIn)
@blp.response(200, PageOut(many=True))
def reorder_pages(data, lesson_id):
    user = require_user()
    lesson = authored.authored_for_edit(user, lesson_id)
    authored.reorder_pages(user, lesson, data["page_ids"])
    db.session.commit()
    return [_page_json(p) for p in authored.pages_of(lesson)]


@blp.post("/lessons/<id:lesson_id>/preview")
@blp.arguments(PreviewIn)
@blp.response(200, PreviewOut)
def preview(data, lesson_id):
    """The page as learners will see it (sanitised, math rendered, embeds resolved)."""
    user = require_user()
    lesson = authored.authored_for_edit(user, lesson_id)
    page = authored.preview_page(user, lesson, data["title"], data["body_html"])
    html = render_template("lessons/_page_body.html", lesson=lesson, page=page, answers={},
                           mode="preview")
    return {"html": html}


@blp.post("/lessons/<id:lesson_id>/images")
@blp.response(201, ImageOut)
def upload_image(lesson_id):
    """Upload a PNG, JPEG or GIF for the pages (multipart field ``file``)."""
    user = require_user()
    lesson = authored.authored_for_edit(user, lesson_id)
    upload = request.files.get("file")
    if upload is None:
        raise DomainError(_("Thiếu tệp (trường «file»)."), code="missing_file")
    row = authored.add_image(user, lesson, upload.stream, upload.filename or "")
    db.session.commit()
    return {"id": row.id, "marker": f"[[image:{row.id}]]",
            "url": url_for("lesson_pages.image", lesson_id=lesson.id, file_id=row.id)}


@blp.post("/lessons/<id:lesson_id>/publish")
@blp.response(201, VersionOut)
def publish(lesson_id):
    """Freeze the draft into a new immutable version."""
    user = require_user()
    lesson = authored.authored_for_edit(user, lesson_id)
    version = authored.publish(user, lesson)
    db.session.commit()
    return {"lesson_id": lesson.id, "number": version.number,
            "published_at": version.published_at.isoformat() + "Z"}


@blp.post("/lessons/<id:lesson_id>/pages/<id:page_id>/viewed")
@blp.response(200, description="The caller's progress")
def page_viewed(lesson_id, page_id):
    """The caller opened a page of the published version."""
    user = require_user()
    lesson = services.lesson_for(user, lesson_id)
    learner.mark_viewed(user, lesson, page_id)
    db.session.commit()
    return learner.progress_details(user, lesson)


@blp.post("/lessons/<id:lesson_id>/pages/<id:page_id>/videos/<id:video_id>/watched")
@blp.response(200, description="The caller's progress")
def video_watched(lesson_id, page_id, video_id):
    user = require_user()
    lesson = services.lesson_for(user, lesson_id)
    learner.mark_watched(user, lesson, page_id, video_id)
    db.session.commit()
    return learner.progress_details(user, lesson)


@blp.post("/lessons/<id:lesson_id>/pages/<id:page_id>/questions/<id:question_id>/answer")
@blp.arguments(AnswerIn)
@blp.response(200, FeedbackOut)
@blp.alt_response(409, description="Already answered (code already_answered)")
def answer(data, lesson_id, page_id, question_id):
    """Answer a check question once: scored now, with the key and feedback in the reply."""
    user = require_user()
    lesson = services.lesson_for(user, lesson_id)
    result = learner.answer(user, lesson, page_id, question_id, data["response"])
    db.session.commit()
    return {**result, "progress": learner.progress_details(user, lesson)}


@blp.get("/lessons/<id:lesson_id>/videos/<id:video_id>/<kind>")
@blp.response(200, description="A rendition or poster of a video embedded in the lesson")
def embedded_video(lesson_id, video_id, kind):
    user = require_user()
    lesson = services.lesson_for(user, lesson_id)
    row = authored.embedded_video_file(user, lesson, video_id, kind)
    return download_response(row.key, f"{video_id}-{row.path}", row.content_type)


@blp.post("/lessons/<id:lesson_id>/assignments")
@blp.arguments(AssignIn)
@blp.response(201, AssignmentOut)
def assign(data, lesson_id):
    """Assign the lesson to a class the caller teaches, due at ``due_at``."""
    user = require_user()
    lesson = services.lesson_for(user, lesson_id)
    row = library.assign(user, lesson, data["class_id"], data["due_at"])
    db.session.commit()
    return {"id": row.id, "lesson_id": row.lesson_id,
            "lesson_version_id": row.lesson_version_id, "class_id": row.class_id,
            "due_at": row.due_at.isoformat() + "Z"}
