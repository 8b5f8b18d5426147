"""Serving SCORM package files from a sandboxed path, without the session cookie."""

from flask import Blueprint, Response

from lms.core.errors import NotFound
from lms.core.storage import storage
from lms.lessons.content import token_allows
from lms.lessons.services import scorm_file

bp = Blueprint("scorm_content", __name__, url_prefix="/scorm-content")

#: Package files run as an opaque origin: scripts and forms work, but they cannot read the
#: platform's cookies or storage, nor call its API as the user.
CONTENT_CSP = ("sandbox allow-scripts allow-forms allow-popups; "
               "default-src 'self' 'unsafe-inline' data: blob:")


@bp.get("/<int:lesson_id>/<token>/<path:path>")
def serve(lesson_id: int, token: str, path: str):
    """One file of a package, if the token grants this lesson (404 otherwise: no oracle)."""
    if not token_allows(token, lesson_id):
        raise NotFound("Liên kết nội dung không hợp lệ hoặc đã hết hạn.")
    row = scorm_file(lesson_id, path)
    response = Response(storage().iter_chunks(row.key), mimetype=row.content_type,
                        direct_passthrough=True)
    response.headers["Content-Length"] = str(row.size)
    response.headers["Content-Security-Policy"] = CONTENT_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
