"""Signed, short-lived capabilities for reading one lesson's SCORM files.

The package's files are served under ``/scorm-content/<lesson>/<token>/<path>``: the token in
the path grants reading that lesson's files only, so the content route never looks at the
session cookie, and relative links inside the package keep working.
"""

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "hoclieu.scorm-content"
TOKEN_MAX_AGE = 6 * 3600  #: a long lesson plus a break; the player page issues a fresh one


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def content_token(lesson_id: int) -> str:
    return _serializer().dumps(lesson_id)


def token_allows(token: str, lesson_id: int, max_age: int = TOKEN_MAX_AGE) -> bool:
    """True when the token was signed by us, is fresh, and names this lesson."""
    try:
        return _serializer().loads(token, max_age=max_age) == lesson_id
    except BadSignature:
        return False


def launch_url(package, lesson_id: int, launch: str | None = None) -> str:
    """Where the player's frame opens a SCO (default: the first; launch parameters kept)."""
    path, sep, query = (launch or package.launch).partition("?")
    url = url_for("scorm_content.serve", lesson_id=lesson_id, token=content_token(lesson_id),
                  path=path)
    return url + sep + query
