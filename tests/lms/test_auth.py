"""Sessions, CSRF, throttling and redirects (security.md 20, 27–29)."""

import threading

import pytest
from sqlalchemy import func, select

from lms.auth.models import AuthSession, User
from lms.auth.services import AuthPolicy
from lms.extensions import db as _db
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


def test_throttle_per_account_holds_under_parallel_guesses(app, org):
    """30 parallel wrong guesses: at most LOGIN_MAX_FAILURES_ACCOUNT reach the password check."""
    limit = app.config["LOGIN_MAX_FAILURES_ACCOUNT"]
    barrier = threading.Barrier(12)
    statuses: list[int] = []

    def guess(n):
        with app.test_client() as c:
            barrier.wait()
            r = c.post("/api/v1/auth/token", json={"username": "hsa", "password": f"bad{n}"},
                       environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
            statuses.append(r.status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(401) == limit
    assert statuses.count(429) == 12 - limit
    # Even the right password is refused while the account is throttled.
    right = app.test_client().post("/api/v1/auth/token",
                                   json={"username": "hsa", "password": "secret-pass"})
    assert right.status_code == 429
    assert right.get_json()["error"]["code"] == "too_many_requests"


def test_throttle_per_address(app, client, org, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES_ADDRESS", 3)
    # the app's cached policy, rebuilt from the changed setting; both restored afterwards
    monkeypatch.setitem(app.extensions, "hoclieu_auth_policy", AuthPolicy.from_config(app.config))
    codes = [client.post("/api/v1/auth/token",
                         json={"username": f"user-{n}", "password": "nope"}).status_code
             for n in range(5)]
    assert codes == [401, 401, 401, 429, 429]


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
