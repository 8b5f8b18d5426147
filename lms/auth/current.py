"""Who is acting in this request: resolved once per request, from the cookie or a Bearer token."""

from flask import current_app, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

from lms.auth.models import SessionKind, User
from lms.auth.services import AuthPolicy, resolve_session
from lms.core.errors import Forbidden
from lms.core.errors_views import wants_json

SESSION_KEY = "sid"
#: The browser's device token (``lms.auth.devices``), sent only to the login form.
DEVICE_COOKIE = "hoclieu_device"
#: What an account that must choose a new password can still reach, on the web and the API:
#: changing it, logging in or out, who am I, the language switch, static files.
PASSWORD_CHANGE_ENDPOINTS = frozenset({
    "auth.change_password", "auth.login", "auth.logout", "core.set_language", "core.health",
    "static", "api_auth.change_password", "api_auth.create_token", "api_auth.revoke_token",
    "api_auth.me",
})
PASSWORD_CHANGE_REQUIRED = _l("Bạn cần đổi mật khẩu trước khi tiếp tục.")


def policy() -> AuthPolicy:
    """The auth policy of the running app (built once per app)."""
    app = current_app._get_current_object()
    cached = app.extensions.get("hoclieu_auth_policy")
    if cached is None:
        cached = app.extensions["hoclieu_auth_policy"] = AuthPolicy.from_config(app.config)
    return cached


def client_address() -> str:
    return request.remote_addr or "unknown"


def bearer_secret() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def _resolve(secret: str, kind: SessionKind) -> User | None:
    """The user of a live session of ``kind`` (rules in ``services.resolve_session``: one
    query for the user and the session; memberships are loaded only when a permission is
    checked)."""
    return resolve_session(policy(), secret, kind)


def load_current_user() -> None:
    """Set ``g.user`` (or None) and ``g.auth_kind`` ('bearer', 'cookie' or None)."""
    g.user, g.auth_kind = None, None
    secret = bearer_secret()
    if secret:
        g.user = _resolve(secret, SessionKind.API)
        g.auth_kind = "bearer" if g.user else None
        return
    sid = session.get(SESSION_KEY)
    if sid:
        g.user = _resolve(sid, SessionKind.BROWSER)
        if g.user is None:
            session.clear()
        else:
            g.auth_kind = "cookie"


def password_change_gate():
    """The one place that holds an account which must choose a new password (after a reset
    or an import) to doing only that: pages redirect to the change form, API calls and page
    scripts get 403 ``password_change_required``. Runs on every request, after the user is
    known, so no view can forget it."""
    user = getattr(g, "user", None)
    if user is None or not user.must_change_password:
        return None
    if request.endpoint in PASSWORD_CHANGE_ENDPOINTS:
        return None
    if wants_json():
        raise Forbidden(PASSWORD_CHANGE_REQUIRED, code="password_change_required")
    return redirect(url_for("auth.change_password"))
