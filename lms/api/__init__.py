"""JSON API under /api/v1 (token auth, OpenAPI at /api/v1/openapi.json).

Every endpoint calls the same service functions as the HTML views.
"""

from flask import Flask, current_app, g, request
from flask_babel import lazy_gettext as _l
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.datastructures import CombinedMultiDict

from lms.core.errors import Unauthorized
from lms.extensions import csrf


class Parser(FlaskParser):
    """Invalid input is a 400 with the field messages, like every other client error.

    JSON bodies go through the app's JSON provider (lms.core.jsonlimits: depth checked before
    parsing); ``multipart`` reads a multipart form's fields and files as one body."""

    DEFAULT_VALIDATION_STATUS = 400
    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        return current_app.json.loads(req.get_data(cache=True))

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)


Blueprint.ARGUMENTS_PARSER = Parser()
#: A ``multipart`` body is documented as one multipart/form-data request body.
Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
    **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING, "multipart": "multipart/form-data"}


class Api(SmorestApi):
    """flask-smorest without its app-wide error handler: lms.core.errors_views formats errors."""

    def _register_error_handlers(self):
        pass


api = Api()

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def require_user():
    """The acting user, or 401. Cookie-authenticated writes must carry the CSRF header."""
    if g.user is None:
        raise Unauthorized(_l("Cần đăng nhập (Authorization: Bearer <token>)."))
    if g.auth_kind == "cookie" and request.method not in SAFE_METHODS:
        csrf.protect()
    return g.user


def init_api(app: Flask) -> None:
    from lms.api import (
        auth,
        exam_grading,
        exam_manage,
        exams,
        gradebook,
        lesson_pages,
        lessons,
        questions,
        tasks,
        uploads,
    )

    app.config.update(
        API_TITLE="HocLieu API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "API của HocLieu. Lỗi luôn có dạng "
                                    '{"error": {"code", "message", "details"}}.'},
            "components": {"securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    api.init_app(app)
    for module in (auth, tasks, questions, lessons, lesson_pages, exams, exam_grading,
                   exam_manage, uploads, gradebook):
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
