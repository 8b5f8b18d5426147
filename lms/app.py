"""The application factory: ``create_app(test_config=None)``."""

import logging
from pathlib import Path

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from lms import config as config_module
from lms.extensions import babel, csrf, migrate
from lms.kernel import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the web application; settings come from Config, HOCLIEU_* variables, test_config."""
    app = Flask(__name__, instance_path=str(config_module.INSTANCE))
    app.config.from_object(config_module.Config)
    app.config.from_prefixed_env("HOCLIEU")
    if test_config:
        app.config.update(test_config)
    config_module.finalise(app.config)
    _init_request_parsing(app)
    _init_extensions(app)
    _register_areas(app)
    _connect_areas()
    _register_request_hooks(app)
    if app.config["PROXY_COUNT"]:
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
    if app.config["ENV"] == "production":
        _refuse_unsafe_production(app)
    return app


def _init_request_parsing(app: Flask) -> None:
    """Bounded ids in every URL rule (added after this) and bounded JSON in every body."""
    from lms.core.ids import register_converters
    from lms.core.jsonlimits import JSONProvider

    register_converters(app)
    app.json = JSONProvider(app)


def _init_extensions(app: Flask) -> None:
    import lms.models  # noqa: F401 — registers every table
    from lms.celery_app import celery_init_app
    from lms.i18n import select_locale, select_timezone

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    csrf.init_app(app)
    celery_init_app(app)


def _register_areas(app: Flask) -> None:
    from lms import cli, i18n
    from lms.admin.views import bp as admin_bp
    from lms.api import init_api
    from lms.auth.views import bp as auth_bp
    from lms.core.errors_views import register_error_handlers
    from lms.core.views import bp as core_bp
    from lms.exams.grading_views import bp as exam_grading_bp
    from lms.exams.matrix_views import bp as exam_matrix_bp
    from lms.exams.paper_views import bp as exam_paper_bp
    from lms.exams.teacher_views import bp as exams_teacher_bp
    from lms.exams.views import bp as exams_bp
    from lms.gradebook.views import bp as gradebook_bp
    from lms.lessons.library_views import bp as lesson_pages_bp
    from lms.lessons.views import bp as scorm_content_bp
    from lms.lessons.views import player_bp
    from lms.org.views import bp as org_bp
    from lms.questions.views import bp as questions_bp

    for blueprint in (core_bp, auth_bp, org_bp, admin_bp, questions_bp, scorm_content_bp,
                      player_bp, exam_paper_bp, exam_grading_bp, exams_teacher_bp,
                      exam_matrix_bp, lesson_pages_bp, exams_bp, gradebook_bp):
        app.register_blueprint(blueprint)
    init_api(app)
    register_error_handlers(app)
    i18n.init_templates(app)
    cli.register(app)


def _connect_areas() -> None:
    """Areas that show each other's data meet here instead of importing each other: the
    gradebook reads tests through its registry and follows their grades by the exams
    area's signal (docs/gradebook.md, "Test scores")."""
    from lms.exams import gradebook_feed
    from lms.gradebook import feeds, registry

    registry.register_source(gradebook_feed.ExamScores())
    gradebook_feed.relay_to(feeds.score_changed)


def _register_request_hooks(app: Flask) -> None:
    from lms.auth.current import load_current_user, password_change_gate
    from lms.core import security_headers

    @app.before_request
    def _who():
        # SCORM content is authorised by the token in its path, never by the session cookie.
        if request.endpoint != "static" and request.blueprint != "scorm_content":
            load_current_user()
            return password_change_gate()
        return None

    app.add_template_global(security_headers.csp_nonce)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if getattr(g, "user", None) is not None and response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return security_headers.apply(response, app.config)


def _refuse_unsafe_production(app: Flask) -> None:
    """Production never runs with the development secret key or with demo accounts."""
    from sqlalchemy import inspect, select

    from lms.auth.models import User

    if app.config["SECRET_KEY"] == config_module.Config.SECRET_KEY:
        raise RuntimeError("HOCLIEU_ENV=production needs HOCLIEU_SECRET_KEY set to a secret.")
    with app.app_context():
        if not inspect(db.engine).has_table("user"):
            return
        if db.session.scalar(select(User.id).where(User.is_demo.is_(True)).limit(1)):
            logging.getLogger(__name__).critical("demo accounts exist in production")
            raise RuntimeError(
                "HOCLIEU_ENV=production but demo accounts exist: remove them with "
                "`flask --app wsgi demo --remove` before starting."
            )
