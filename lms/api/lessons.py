"""Lessons: upload a SCORM package or a video, read it, track SCORM progress."""

import json

from flask import current_app, request, url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from lms.api import require_user
from lms.api.schemas import Count, Id
from lms.core.errors import DomainError
from lms.core.storage import download_response
from lms.kernel import db
from lms.lessons import authored, learner, services, uploads
from lms.lessons.content import launch_url
from lms.lessons.models import MAX_LESSON_MINUTES, FileKind, LessonProgress

blp = Blueprint("api_lessons", __name__, url_prefix="/api/v1", description="Bài giảng")

#: Multipart overhead allowed on top of HOCLIEU_MAX_UPLOAD_MB for the form fields.
FORM_SLACK = 64 * 1024
#: A SCORM commit: 64000 characters of suspend data (up to 4 bytes each in UTF-8) plus the
#: rest of the data model with room for interactions.
MAX_COMMIT_BYTES = 1024 * 1024


@blp.before_request
def _upload_limit():
    """Only the upload endpoint accepts bodies up to HOCLIEU_MAX_UPLOAD_MB, and a commit is
    bounded to MAX_COMMIT_BYTES; a larger declared Content-Length is refused with 413 before
    anything is read."""
    if request.endpoint in ("api_lessons.create_lesson", "api_lessons.upload_image"):
        request.max_content_length = (int(current_app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
                                      + FORM_SLACK)
    elif request.endpoint == "api_lessons.commit_scorm":
        request.max_content_length = MAX_COMMIT_BYTES


class LessonMetaSchema(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    subject_id = Id(allow_none=True)
    grade = fields.Integer(allow_none=True, validate=validate.Range(1, 12))
    topic_id = Id(allow_none=True)
    textbook_series = fields.String(load_default="")
    duration_minutes = Count(MAX_LESSON_MINUTES, 1, load_default=45)
    authors = fields.List(fields.String(), load_default=list)
    licence = fields.String(load_default="")
    description = fields.String(load_default="")


class UploadSchema(Schema):
    """Multipart form: ``kind``, ``file`` and ``metadata`` (a JSON object, or the same fields
    sent one by one). ``kind=authored`` takes no file: it creates an empty draft. Instead of
    ``file``, ``upload_id`` names a completed chunked upload (``POST /api/v1/uploads``); that
    request may also be a JSON object with these fields."""

    kind = fields.String(required=True, validate=validate.OneOf(["scorm", "video", "authored"]))
    upload_id = fields.String()
    metadata = fields.String(metadata={"description": "JSON: LessonMetaSchema"})
    file = fields.Raw(metadata={"type": "string", "format": "binary"})


class RenditionSchema(Schema):
    kind = fields.String()
    url = fields.String()
    name = fields.String()
    size = fields.Integer()
    content_type = fields.String()


class PackageWarningSchema(Schema):
    """An accepted package's problem: ``missing_files`` (files the manifest lists but the
    zip lacks; ``files`` holds them all)."""

    code = fields.String()
    message = fields.String()
    files = fields.List(fields.String())


class LessonSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    state = fields.String()
    title = fields.String()
    subject_id = fields.Integer(allow_none=True)
    grade = fields.Integer(allow_none=True)
    topic_id = fields.Integer(allow_none=True)
    textbook_series = fields.String()
    duration_minutes = fields.Integer()
    authors = fields.List(fields.String())
    school_id = fields.Integer(allow_none=True)
    licence = fields.String()
    description = fields.String()
    failure_message = fields.String()
    task_id = fields.String(allow_none=True)
    scorm_version = fields.String(allow_none=True)
    launch_url = fields.String(allow_none=True)
    toc = fields.List(fields.Dict())
    warnings = fields.List(fields.Nested(PackageWarningSchema))
    renditions = fields.List(fields.Nested(RenditionSchema))
    #: Authored lessons: when the latest version was published (None: a draft only).
    published_at = fields.String(allow_none=True)


class CreatedSchema(Schema):
    lesson = fields.Nested(LessonSchema)
    state = fields.String()
    task_id = fields.String(allow_none=True)


class ProgressSchema(Schema):
    status = fields.String()
    #: Authored lessons: pages_viewed, pages, questions_answered, questions, videos_watched.
    authored = fields.Dict(allow_none=True)
    success = fields.String(allow_none=True)
    score = fields.Float(allow_none=True)
    completion = fields.Float(allow_none=True)
    location = fields.String()
    suspend_data = fields.String()
    total_seconds = fields.Float()


class CommitSchema(Schema):
    sco = fields.String(load_default="")
    cmi = fields.Dict(required=True)


_DERIVED = (FileKind.RENDITION_360P, FileKind.RENDITION_720P, FileKind.POSTER)


#: A JSON ``POST /lessons`` (authored drafts) takes these keys and nothing else.
JSON_CREATE_FIELDS = {"kind", "metadata", "upload_id", *LessonMetaSchema().fields}


def lesson_json(lesson) -> dict:
    package = lesson.scorm
    return {
        "id": lesson.id, "kind": lesson.kind.value, "state": lesson.state.value,
        "title": lesson.title, "subject_id": lesson.subject_id, "grade": lesson.grade,
        "topic_id": lesson.topic_id, "textbook_series": lesson.textbook_series,
        "duration_minutes": lesson.duration_minutes, "authors": lesson.authors,
        "school_id": lesson.school_id, "licence": lesson.licence,
        "description": lesson.description, "failure_message": lesson.failure_message,
        "task_id": lesson.task_id,
        "scorm_version": package.version if package else None,
        "launch_url": launch_url(package, lesson.id) if package and lesson.state.value == "ready"
        else None,
        "toc": package.toc if package else [],
        "warnings": services.package_warnings(lesson),
        "renditions": [{"kind": f.kind.value, "name": f.path, "size": f.size,
                        "content_type": f.content_type,
                        "url": url_for("api_lessons.get_media", lesson_id=lesson.id,
                                       kind=f.kind.value)}
                       for f in lesson.files if f.kind in _DERIVED],
        "published_at": lesson.published_at.isoformat() + "Z" if lesson.published_at else None,
    }


def _metadata(form) -> dict:
    raw = form.get("metadata")
    if isinstance(raw, dict):
        raw = json.dumps(raw)
    try:
        if isinstance(raw, dict):
            data = raw
        else:
            data = current_app.json.loads(raw) if raw else {k: v for k, v in form.items()
                                                if k in LessonMetaSchema().fields}
        if isinstance(data.get("authors"), str):
            data["authors"] = [a for a in data["authors"].split(";") if a.strip()]
        return LessonMetaSchema().load(data)
    except (ValueError, AttributeError):
        raise DomainError(_("Trường «metadata» phải là một đối tượng JSON."),
                          code="invalid_metadata") from None
    except ValidationError as error:
        raise DomainError(_("Thông tin bài giảng không hợp lệ."), code="invalid_metadata",
                          details=error.messages) from None


@blp.post("/lessons")
@blp.doc(requestBody={"content": {"multipart/form-data": {"schema": UploadSchema}}})
@blp.response(201, CreatedSchema)
@blp.alt_response(400, description="Gói/tệp bị từ chối (mã invalid_package, invalid_video…)")
@blp.alt_response(413, description="Tệp quá lớn hoặc vượt hạn mức")
def create_lesson():
    """Upload a SCORM zip (checked now, ready at once) or a video (transcoded in the
    background: poll ``GET /api/v1/tasks/{task_id}``)."""
    user = require_user()
    form = request.form if not request.is_json else (request.get_json(silent=True) or {})
    if request.is_json and (not isinstance(form, dict) or set(form) - JSON_CREATE_FIELDS):
        raise DomainError(_("Nội dung yêu cầu phải là một đối tượng JSON với các trường "
                            "«kind», «metadata», «upload_id» hoặc các trường thông tin bài "
                            "giảng."), code="invalid_body")
    if form.get("kind") == "authored":
        lesson = authored.create_authored(user, _metadata(form))
        db.session.commit()
        return {"lesson": lesson_json(lesson), "state": lesson.state.value, "task_id": None}
    upload = request.files.get("file")
    if form.get("upload_id"):
        lesson = uploads.create_lesson_from_upload(user, str(form["upload_id"]),
                                                   str(form.get("kind", "")), _metadata(form))
    elif upload is None:
        raise DomainError(_("Thiếu tệp (trường «file» hoặc «upload_id»)."),
                          code="missing_file")
    else:
        lesson = services.create_lesson(user, form.get("kind", ""), _metadata(form),
                                        upload.stream, upload.filename or "")
    db.session.commit()
    lesson = db.session.get(type(lesson), lesson.id)
    return {"lesson": lesson_json(lesson), "state": lesson.state.value,
            "task_id": lesson.task_id}


@blp.get("/lessons/<id:lesson_id>")
@blp.response(200, LessonSchema)
def get_lesson(lesson_id):
    """Metadata, state, launch URL (SCORM) and renditions (video)."""
    return lesson_json(services.lesson_for(require_user(), lesson_id))


def progress_json(row: LessonProgress | None, details: dict | None = None) -> dict:
    if row is None:
        return {"status": "not attempted", "success": None, "score": None, "completion": None,
                "location": "", "suspend_data": "", "total_seconds": 0.0, "authored": details}
    return {"status": row.status, "success": row.success, "score": row.score,
            "completion": row.completion, "location": row.location,
            "suspend_data": row.suspend_data, "total_seconds": row.total_seconds,
            "authored": details}


@blp.get("/lessons/<id:lesson_id>/progress")
@blp.response(200, ProgressSchema)
def get_progress(lesson_id):
    """The caller's own status, score and completion (nobody reads another's here)."""
    user = require_user()
    lesson = services.lesson_for(user, lesson_id)
    details = learner.progress_details(user, lesson)
    return progress_json(services.progress_of(user, lesson, request.args.get("sco")), details)


@blp.post("/lessons/<id:lesson_id>/scorm/commit")
@blp.arguments(CommitSchema)
@blp.response(200, ProgressSchema)
def commit_scorm(data, lesson_id):
    """Store the player's CMI data for the caller and SCO after validating values and sizes."""
    user = require_user()
    lesson = services.lesson_for(user, lesson_id)
    row = services.commit_scorm(user, lesson, data["sco"], data["cmi"])
    db.session.commit()
    return progress_json(row)


@blp.get("/lessons/<id:lesson_id>/media/<kind>")
@blp.response(200, description="The file (or a redirect to a short-lived presigned URL)")
def get_media(lesson_id, kind):
    """A rendition or the poster of a video lesson, for whoever may open the lesson."""
    lesson = services.lesson_for(require_user(), lesson_id)
    row = services.derived_file(lesson, kind)
    return download_response(row.key, f"{lesson.id}-{row.path}", row.content_type)
