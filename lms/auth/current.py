"""Who is acting in this request: resolved once per request, from the cookie or a Bearer token."""

from flask import current_app, g, request, session

from lms.auth.models import SessionKind, User
from lms.auth.services import AuthPolicy, resolve_session

SESSION_KEY = "sid"


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
