"""Device tokens (OWASP's "device cookies"): a browser or app that has logged in to an account
before carries a signed token naming that account and a random device id.

A login from a known device is throttled on that device's own key only, so an attacker's
guesses against the account never slow its owner down there. The token proves nothing by
itself (the password is still checked); it is signed so that nobody can claim to be a known
device of someone else's account. One token holds the last few accounts used on the device
(a family computer, a school computer room).
"""

import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "hoclieu.device"


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def read(secret: str, token: str | None, max_age_seconds: int) -> list[list[str]]:
    """The ``[username, device_id]`` pairs of a token; a missing, forged, expired or
    malformed token holds none."""
    if not token:
        return []
    try:
        entries = _serializer(secret).loads(token, max_age=max_age_seconds)
    except (BadSignature, ValueError, TypeError):
        return []
    if not isinstance(entries, list):
        return []
    return [e for e in entries
            if isinstance(e, list) and len(e) == 2 and all(isinstance(v, str) for v in e)]


def device_id(entries: list[list[str]], username: str) -> str | None:
    """The device id this token holds for ``username``, if any."""
    return next((device for name, device in entries if name == username), None)


def remember(secret: str, entries: list[list[str]], username: str, keep: int) -> str:
    """A new token with ``username`` first (keeping its device id, or a new one) and at most
    ``keep`` accounts in all."""
    device = device_id(entries, username) or secrets.token_urlsafe(16)
    others = [e for e in entries if e[0] != username]
    return _serializer(secret).dumps([[username, device], *others][:max(keep, 1)])
