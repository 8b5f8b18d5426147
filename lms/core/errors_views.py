"""One error format per audience.

Under /api: ``{"error": {"code", "message", "details"}}``; elsewhere an error page.
"""

import logging

from flask import flash, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from lms.core.errors import DomainError
from lms.kernel import db

log = logging.getLogger(__name__)

#: Stable codes for HTTP statuses raised by Flask itself.
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large",
              415: "unsupported_media_type", 422: "validation_error", 429: "too_many_requests",
              500: "internal_error"}


def wants_json() -> bool:
    """API paths, and page scripts that ask for JSON (``Accept: application/json``)."""
    return (request.path.startswith("/api/")
            or request.accept_mimetypes.best == "application/json")


def error_response(status: int, code: str, message: str, details: dict | None = None):
    db.session.rollback()
    if wants_json():
        return {"error": {"code": code, "message": message, "details": details or {}}}, status
    return render_template("core/error.html", status=status, message=message), status


def handle_domain_error(error: DomainError):
    body, status = error_response(error.status, error.code, str(error.message), error.details)
    return body, status, retry_after_header(error)


def retry_after_header(error: DomainError) -> dict:
    """``Retry-After`` for a refusal that knows when to try again (RFC 9110), else nothing."""
    seconds = getattr(error, "retry_after", None)
    return {"Retry-After": str(seconds)} if seconds else {}


def handle_csrf_error(error: CSRFError):
    return error_response(400, "csrf_failed",
                          _("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. "
                            "Hãy tải lại trang và thử lại."))


def handle_http_error(error: HTTPException):
    status = error.code or 500
    details = {}
    data = getattr(error, "data", None) or {}
    if "messages" in data:  # webargs / marshmallow validation
        status = 400
        details = {"fields": data["messages"]}
        code, message = "validation_error", _("Dữ liệu gửi lên không hợp lệ.")
    else:
        code = HTTP_CODES.get(status, "error")
        message = _default_message(status, error)
    return error_response(status, code, message, details)


def handle_unexpected(error: Exception):
    log.exception("unhandled error", exc_info=error)
    return error_response(500, "internal_error", _default_message(500, InternalServerError()))


def _default_message(status: int, error: HTTPException) -> str:
    messages = {
        400: _("Yêu cầu không hợp lệ."),
        401: _("Bạn cần đăng nhập."),
        403: _("Bạn không có quyền truy cập trang này."),
        404: _("Không tìm thấy trang hoặc dữ liệu bạn yêu cầu."),
        405: _("Phương thức không được hỗ trợ."),
        413: _("Tệp hoặc dữ liệu gửi lên quá lớn."),
        429: _("Bạn thao tác quá nhanh. Vui lòng thử lại sau."),
        500: _("Đã có lỗi ở máy chủ. Dữ liệu của bạn không bị thay đổi; hãy thử lại."),
    }
    return messages.get(status, error.description or error.name)


def register_error_handlers(app) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)


def flash_or_raise(error: DomainError) -> None:
    """In a form view: show a broken rule next to the form, but let 403/404 be what they are."""
    if error.status in (403, 404):
        raise error
    db.session.rollback()
    flash(str(error.message), "error")
