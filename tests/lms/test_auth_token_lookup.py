"""Resolving a Bearer token (``lms.auth.services.resolve_session``, run on every API request):
revocation is immediate, idle tokens expire and are deleted, use is recorded at most every
few minutes."""

from datetime import timedelta

import time_machine
from sqlalchemy import select

from lms.auth.models import AuthSession, SessionKind, User
from lms.auth.services import TOUCH_EVERY, AuthPolicy, resolve_session, start_session, token_hash
from lms.kernel import db
from tests.conftest import api_token


def _row(token: str) -> AuthSession | None:
    db.session.expire_all()
    return db.session.get(AuthSession, token_hash(token))


def _heartbeat(client, token: str) -> int:
    return client.get("/api/v1/heartbeat",
                      headers={"Authorization": f"Bearer {token}"}).status_code


def test_revoked_token_and_deactivated_user_are_refused_on_the_next_request(client, org):
    token = api_token(client, "hsa")
    assert _heartbeat(client, token) == 200
    assert client.delete("/api/v1/auth/token",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert _heartbeat(client, token) == 401

    other = api_token(client, "hsb")
    assert _heartbeat(client, other) == 200
    db.session.scalar(select(User).where(User.username == "hsb")).active = False
    db.session.commit()
    assert _heartbeat(client, other) == 401


def test_idle_token_expires_and_use_is_recorded_every_few_minutes(client, org, app):
    token = api_token(client, "hsa")
    assert (_row(token).address, _row(token).user_agent[:8]) == ("127.0.0.1", "Werkzeug")
    policy = AuthPolicy.from_config(app.config)
    start = _row(token).last_seen_at
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        assert resolve_session(policy, token, SessionKind.API).username == "hsa"
        db.session.commit()
    assert _row(token).last_seen_at == start             # not touched within TOUCH_EVERY
    touched = start + TOUCH_EVERY + timedelta(minutes=1)
    with time_machine.travel(touched, tick=False):
        assert resolve_session(policy, token, SessionKind.API).username == "hsa"
        assert resolve_session(policy, token, SessionKind.BROWSER) is None   # wrong kind
        db.session.commit()
    assert _row(token).last_seen_at == touched
    idle = timedelta(days=policy.api_token_days)
    with time_machine.travel(touched + idle - timedelta(minutes=1), tick=False):
        assert _heartbeat(client, token) == 200
    with time_machine.travel(touched + idle + timedelta(minutes=1), tick=False):
        assert resolve_session(policy, token, SessionKind.API) is None
        db.session.commit()
        assert _row(token) is None                        # an expired session is deleted
        assert _heartbeat(client, token) == 401


def test_a_browser_session_lives_its_idle_hours_to_the_second(org, app):
    """The boundaries on a frozen clock: a use exactly TOUCH_EVERY after the last is not
    recorded, a session idle exactly ``session_hours`` still works, one second more does not."""
    policy = AuthPolicy.from_config(app.config)
    secret = start_session(org.student_a, SessionKind.BROWSER)
    db.session.commit()
    start = _row(secret).last_seen_at
    idle = timedelta(hours=policy.session_hours)
    assert idle < timedelta(days=policy.api_token_days)     # the browser's own lifetime
    with time_machine.travel(start + TOUCH_EVERY, tick=False):
        assert resolve_session(policy, secret, SessionKind.BROWSER).username == "hsa"
        db.session.commit()
    assert _row(secret).last_seen_at == start
    with time_machine.travel(start + idle, tick=False):
        assert resolve_session(policy, secret, SessionKind.BROWSER).username == "hsa"
        db.session.commit()
    assert _row(secret).last_seen_at == start + idle
    with time_machine.travel(start + 2 * idle + timedelta(seconds=1), tick=False):
        assert resolve_session(policy, secret, SessionKind.BROWSER) is None
        db.session.commit()
    assert _row(secret) is None


def test_a_long_address_or_user_agent_is_cut_to_its_column(client, org):
    reply = client.post("/api/v1/auth/token", json={"username": "hsa", "password": "secret-pass"},
                        headers={"User-Agent": "U" * 400},
                        environ_base={"REMOTE_ADDR": "a" * 100})
    assert reply.status_code == 201
    row = _row(reply.get_json()["token"])
    assert (row.address, row.user_agent) == ("a" * 64, "U" * 300)
