"""Chunked, resumable uploads: ``POST /api/v1/uploads`` opens one, ``PUT`` sends chunks with
``Content-Range``, ``HEAD``/``GET`` tell where to resume, ``DELETE`` abandons it. The
completed file becomes a lesson through ``POST /api/v1/lessons`` with ``upload_id``."""

from flask import request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from lms.api import require_user
from lms.core.errors import DomainError
from lms.core.ids import MAX_ID
from lms.kernel import db
from lms.lessons import uploads

blp = Blueprint("api_uploads", __name__, url_prefix="/api/v1",
                description="Tải tệp lớn theo từng phần")


@blp.before_request
def _chunk_limit():
    """A chunk may be at most HOCLIEU_UPLOAD_CHUNK_MB: a larger declared Content-Length is
    a 413 before anything is read (the byte counter holds bodies without a length). One
    byte more than a chunk is allowed through here so that the service's probe for bytes
    beyond the Content-Range does not trip Werkzeug's own limit on a full-size chunk."""
    if request.endpoint == "api_uploads.put_chunk":
        request.max_content_length = uploads.chunk_bytes() + 1


class UploadOpenSchema(Schema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    size = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "Bytes; more than HOCLIEU_MAX_UPLOAD_MB or the quota → 413."})
    kind = fields.String(required=True, validate=validate.OneOf(["scorm", "video"]))


class UploadSessionSchema(Schema):
    upload_id = fields.String()
    filename = fields.String()
    kind = fields.String()
    size = fields.Integer()
    offset = fields.Integer()
    chunk_size = fields.Integer()
    state = fields.String()
    complete = fields.Boolean()
    expires_at = fields.DateTime()
    lesson_id = fields.Integer(allow_none=True)


def upload_json(upload) -> dict:
    return {"upload_id": upload.id, "filename": upload.filename, "kind": upload.kind.value,
            "size": upload.size, "offset": upload.received, "chunk_size": uploads.chunk_bytes(),
            "state": upload.state.value, "complete": upload.received == upload.size,
            "expires_at": upload.expires_at, "lesson_id": upload.lesson_id}


def _offset_headers(upload) -> dict:
    return {"Upload-Offset": str(upload.received), "Upload-Length": str(upload.size),
            "Cache-Control": "no-store"}


@blp.post("/uploads")
@blp.arguments(UploadOpenSchema)
@blp.response(201, UploadSessionSchema)
@blp.alt_response(413, description="Kích thước khai báo vượt giới hạn hoặc hạn mức")
def open_upload(data):
    """Open an upload of ``size`` bytes; send it in chunks of at most ``chunk_size``."""
    upload = uploads.open_upload(require_user(), data["filename"], data["size"], data["kind"])
    db.session.commit()
    return upload_json(upload)


@blp.route("/uploads/<upload_id>", methods=["HEAD"])
@blp.response(200)
def head_upload(upload_id):
    """Where to resume: ``Upload-Offset`` (bytes stored) and ``Upload-Length``."""
    upload = uploads.upload_status(require_user(), upload_id)
    db.session.commit()
    return "", 200, _offset_headers(upload)


@blp.get("/uploads/<upload_id>")
@blp.response(200, UploadSessionSchema)
def get_upload(upload_id):
    """The upload's state and the offset the next chunk must start at."""
    upload = uploads.upload_status(require_user(), upload_id)
    db.session.commit()
    return upload_json(upload), 200, _offset_headers(upload)


@blp.put("/uploads/<upload_id>")
@blp.doc(requestBody={"content": {"application/octet-stream": {
    "schema": {"type": "string", "format": "binary"}}}})
@blp.response(200, UploadSessionSchema)
@blp.alt_response(409, description="Sai vị trí: details.offset là vị trí đã nhận")
@blp.alt_response(413, description="Vượt kích thước khai báo, phần quá lớn hoặc hạn mức")
def put_chunk(upload_id):
    """One chunk, ``Content-Range: bytes first-last/total``, starting at the stored offset.
    The answer to the last chunk says ``complete``; a file whose bytes are not of its kind
    is refused then (400 ``invalid_video`` / ``invalid_package``)."""
    user = require_user()
    try:
        upload = uploads.receive_chunk(user, upload_id, request.headers.get("Content-Range"),
                                       request.content_length, request.stream)
    except DomainError as error:
        if getattr(error, "final", False):
            db.session.commit()  # the refused file's session and bytes are gone for good
        raise
    db.session.commit()
    return upload_json(upload), 200, _offset_headers(upload)


@blp.delete("/uploads/<upload_id>")
@blp.response(204)
def delete_upload(upload_id):
    """Abandon an upload: its bytes and its quota reservation are released."""
    uploads.cancel_upload(require_user(), upload_id)
    db.session.commit()
    return ""
