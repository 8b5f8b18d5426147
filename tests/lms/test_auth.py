"""Sessions, CSRF, passwords and redirects (security.md 20, 27, 29); throttling is in
test_auth_throttle.py."""

import pytest
import time_machine
from sqlalchemy import func, select

from lms.auth.models import AuthSession, User
from lms.auth.services import AuthPolicy
from lms.kernel import db as _db
from tests.conftest import api_token, csrf_token_from, login


def test_same_message_for_unknown_user_and_wrong_password(client, org):
    unknown = login(client, "nobody-here", "whatever-pass")
    wrong = login(client, "hsa", "wrong-password")
    assert unknown.status_code == wrong.status_code == 401
    message = "Tên đăng nhập hoặc mật khẩu không đúng."
    assert message in unknown.get_data(as_text=True)
    assert message in wrong.get_data(as_text=True)


def test_login_rotates_session_and_logout_kills_it_server_side(client, org):
    login(client, "hsa")
    first = client.get_cookie("hoclieu_session").value
    login(client, "hsb")
    assert client.get_cookie("hoclieu_session").value != first
    assert _db.session.scalar(select(func.count()).select_from(AuthSession)) == 1
    stolen = client.get_cookie("hoclieu_session").value
    page = client.get("/")
    client.post("/logout", data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})
    assert _db.session.scalar(select(func.count()).select_from(AuthSession)) == 0
    # Replaying the old cookie after logout gets the login page, not the dashboard.
    client.set_cookie("hoclieu_session", stolen)
    assert client.get("/").status_code == 302


def test_session_cookie_flags(client, org):
    response = login(client, "hsa")
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_session_cookie_secure_in_production(app):
    from lms.app import create_app

    prod = create_app({**app.config, "ENV": "production", "SECRET_KEY": "x" * 40,
                       "DATABASE_URL": "sqlite://"})
    assert prod.config["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_development_secret(app):
    from lms.app import create_app
    from lms.config import Config

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV": "production", "SECRET_KEY": Config.SECRET_KEY,
                    "DATABASE_URL": "sqlite://"})


def test_production_refuses_demo_accounts(app, org):
    from lms.app import create_app

    org.student_a.is_demo = True
    _db.session.commit()
    with pytest.raises(RuntimeError, match="demo"):
        create_app({"ENV": "production", "SECRET_KEY": "y" * 40,
                    "DATABASE_URL": app.config["DATABASE_URL"]})


def test_state_change_without_csrf_token_is_refused(client, org):
    login(client, "hsa")
    assert client.post("/logout").status_code == 400
    assert _db.session.scalar(select(func.count()).select_from(AuthSession)) == 1
    assert client.post("/login", data={"username": "hsa", "password": "secret-pass"}
                       ).status_code == 400


def test_no_state_change_on_get(client, org):
    login(client, "hsa")
    assert client.get("/logout").status_code == 405


def test_cookie_authenticated_api_write_needs_csrf_header(client, org):
    login(client, "hsa")
    assert client.delete("/api/v1/auth/token").status_code == 400


def test_passwords_are_argon2id(org):
    stored = _db.session.get(User, org.student_a.id).password_hash
    assert stored.startswith("$argon2id$")


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https:evil.example",
                                    "https://evil.example/", "/\tevil", "javascript:x",
                                    "///evil.example"])
def test_open_redirect_after_login_goes_home(client, org, target):
    page = client.get(f"/login?next={target}")
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post("/login", data={"username": "hsa", "password": "secret-pass",
                                           "csrf_token": token, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] in ("/", "http://localhost/")


def test_safe_next_is_followed(client, org):
    page = client.get("/login?next=/account/password")
    token = csrf_token_from(page.get_data(as_text=True))
    response = client.post("/login", data={"username": "hsa", "password": "secret-pass",
                                           "csrf_token": token, "next": "/account/password"})
    assert response.headers["Location"] == "/account/password"


def test_deactivated_user_loses_session_and_token(client, org):
    login(client, "teacherx")
    token = api_token(app_client := client.application.test_client(), "teacherx")
    user = _db.session.get(User, org.teacher_x.id)
    user.active = False
    _db.session.commit()
    assert client.get("/").status_code == 302
    me = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


def test_forced_password_change_before_anything_else(client, org):
    user = _db.session.get(User, org.student_a.id)
    user.must_change_password = True
    _db.session.commit()
    login(client, "hsa")
    assert client.get("/").headers["Location"].endswith("/account/password")
    page = client.get("/account/password").get_data(as_text=True)
    response = client.post("/account/password", data={
        "csrf_token": csrf_token_from(page), "current": "secret-pass",
        "new": "new-secret-9", "confirm": "new-secret-9"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def _must_change(org) -> None:
    _db.session.get(User, org.student_a.id).must_change_password = True
    _db.session.commit()


def test_must_change_password_holds_api_clients_to_changing_it(client, org):
    """One gate for the web and the API: a token is issued, but it can only change the
    password (or say who it is, or be revoked) until the password is changed."""
    from lms.exams.models import Attempt
    from tests.lms.exams_setup import T0, published_exam

    exam = published_exam(org, {"time_limit_minutes": 15})
    _must_change(org)
    issued = client.post("/api/v1/auth/token", json={"username": "hsa",
                                                     "password": "secret-pass"})
    assert issued.status_code == 201 and issued.get_json()["must_change_password"] is True
    old = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    with time_machine.travel(T0, tick=False):
        refused = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=old)
        assert refused.status_code == 403
        assert refused.get_json()["error"]["code"] == "password_change_required"
        assert client.get("/api/v1/classes", headers=old).status_code == 403
        assert _db.session.scalar(select(func.count()).select_from(Attempt)) == 0
        me = client.get("/api/v1/me", headers=old)
        assert me.status_code == 200 and me.get_json()["must_change_password"] is True
        wrong = client.post("/api/v1/account/password", headers=old,
                            json={"current": "not-it", "new": "new-secret-9"})
        assert wrong.status_code == 400
        short = client.post("/api/v1/account/password", headers=old,
                            json={"current": "secret-pass", "new": "short"})
        assert short.get_json()["error"]["code"] == "weak_password"
        changed = client.post("/api/v1/account/password", headers=old,
                              json={"current": "secret-pass", "new": "new-secret-9"})
        assert changed.status_code == 200
        new = {"Authorization": f"Bearer {changed.get_json()['token']}"}
        assert client.get("/api/v1/me", headers=old).status_code == 401   # every old token ends
        assert client.post(f"/api/v1/exams/{exam.id}/attempts", json={},
                           headers=new).status_code == 200
    assert _db.session.get(User, org.student_a.id).must_change_password is False
    assert api_token(client, "hsa", "new-secret-9")


def test_must_change_password_holds_page_scripts_and_cookie_api_calls(client, org):
    _must_change(org)
    login(client, "hsa")
    script = client.get("/", headers={"Accept": "application/json"})
    assert script.status_code == 403
    assert script.get_json()["error"]["code"] == "password_change_required"
    assert client.get("/api/v1/classes").status_code == 403
    assert client.get("/api/v1/me").status_code == 200
    # Positive control: the same calls pass once the password is changed.
    page = client.get("/account/password").get_data(as_text=True)
    client.post("/account/password", data={
        "csrf_token": csrf_token_from(page), "current": "secret-pass",
        "new": "new-secret-9", "confirm": "new-secret-9"})
    assert client.get("/api/v1/classes").status_code == 200


def _production_cost() -> tuple[int, int, int]:
    from lms.config import Config

    return Config.ARGON2_MEMORY_KIB, Config.ARGON2_TIME_COST, Config.ARGON2_PARALLELISM


def test_the_dummy_check_uses_the_real_argon2_parameters():
    from argon2 import extract_parameters

    from lms.auth import passwords

    for cost in (_production_cost(), (1024, 1, 1)):
        real = passwords.hash_password("whatever", cost)
        assert extract_parameters(passwords.dummy_hash(cost)) == extract_parameters(real)


def test_unknown_user_and_wrong_password_take_the_same_median_time(app, org):
    """security.md 38, with the production Argon2 cost. Measured as this thread's CPU time,
    which waiting for the cores of a busy machine does not inflate, samples interleaved;
    the dummy check of the old code cost a fifth of a real one."""
    import statistics
    import time

    from lms.auth.passwords import hash_password
    from lms.auth.services import authenticate
    from lms.core.errors import Unauthorized

    memory, passes, lanes = _production_cost()
    policy = AuthPolicy.from_config({**app.config, "ARGON2_MEMORY_KIB": memory,
                                     "ARGON2_TIME_COST": passes, "ARGON2_PARALLELISM": lanes,
                                     "LOGIN_MAX_FAILURES_ACCOUNT": 1000})
    _db.session.get(User, org.student_a.id).password_hash = hash_password(
        "secret-pass", policy.cost)
    _db.session.commit()
    spent = {"hsa": [], "no-such-user": []}
    for n in range(15):
        for username, samples in spent.items():
            started = time.thread_time()
            with pytest.raises(Unauthorized):
                authenticate(policy, username, f"wrong-{n}", f"10.9.{n}.1")
            samples.append(time.thread_time() - started)
    ratio = statistics.median(spent["no-such-user"]) / statistics.median(spent["hsa"])
    assert 0.8 < ratio < 1.25
