"""Home page with a dashboard per role, language switch and health check."""

from flask import Blueprint, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from lms.auth.decorators import login_required
from lms.core.dashboard import dashboard_for, nav_items
from lms.core.safe_redirect import safe_next
from lms.i18n import LANGUAGE_COOKIE, LANGUAGES
from lms.kernel import db

bp = Blueprint("core", __name__)


@bp.app_context_processor
def _navigation():
    return {"nav_items": lambda: nav_items(g.user) if g.get("user") else []}


@bp.get("/")
@login_required
def index():
    return render_template("core/dashboard.html", sections=dashboard_for(g.user))


@bp.post("/language")
def set_language():
    """Switch the interface language; remembered on the account and in a cookie."""
    language = request.form.get("language", "")
    response = make_response(redirect(safe_next(request.form.get("next"), url_for("core.index"))))
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600,
                            samesite="Lax", httponly=True)
        if g.user is not None:
            g.user.language = language
            db.session.commit()
    return response


@bp.get("/healthz")
def health():
    db.session.execute(db.text("SELECT 1"))
    return {"status": "ok", "message": _("Hoạt động bình thường")}
