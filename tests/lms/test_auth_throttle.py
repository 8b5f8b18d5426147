"""Login throttling through the real login form and token endpoint (security.md 28 and 38).

Only failures count; a school behind one address gets in; an attacker's guesses slow the
attacker, never lock the owner out; parallel guesses cannot slip under a limit (run on
PostgreSQL too). Time is frozen where a delay would otherwise expire mid-test.
"""

import logging
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from lms.auth.models import LoginThrottle, User
from lms.core.models import utcnow
from lms.kernel import db as _db
from lms.org.models import Role
from tests.conftest import csrf_token_from, login
from tests.factories import UserFactory, member

T0 = datetime(2026, 12, 1, 7, 0, 0)
TOKEN = "/api/v1/auth/token"
SCHOOL_NAT = "203.0.113.10"
ATTACKER = "198.51.100.66"


@contextmanager
def settings(app, **values):
    """Run with some ``LOGIN_*`` settings changed (the cached auth policy is rebuilt)."""
    old = {name: app.config[name] for name in values}
    app.config.update(values)
    app.extensions.pop("hoclieu_auth_policy", None)
    try:
        yield
    finally:
        app.config.update(old)
        app.extensions.pop("hoclieu_auth_policy", None)


def token_login(client, username, password="secret-pass", address="127.0.0.1", device=None):
    body = {"username": username, "password": password}
    if device:
        body["device_token"] = device
    return client.post(TOKEN, json=body, environ_base={"REMOTE_ADDR": address})


def students(org, count: int) -> list[User]:
    made = [member(UserFactory(username=f"hs{n:04d}"), Role.STUDENT, org.school_x, org.class_x)
            for n in range(count)]
    _db.session.commit()
    return made


def run_parallel(count: int, attempt) -> list:
    """``attempt(n)`` in ``count`` threads released together; their results."""
    barrier, results, lock = threading.Barrier(count), [], threading.Lock()

    def run(n):
        barrier.wait()
        result = attempt(n)
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --- a school behind one address (security.md 38) ------------------------------------------

def test_forty_students_behind_one_address_all_log_in_within_a_minute(app, org):
    pupils = students(org, 40)
    client = app.test_client()
    with time_machine.travel(T0, tick=False) as clock:
        codes = []
        for n, pupil in enumerate(pupils):
            clock.move_to(T0 + timedelta(seconds=n * 1.5))
            if n % 2:   # every other one through the form, as a computer room would
                page = client.get("/login", environ_base={"REMOTE_ADDR": SCHOOL_NAT})
                codes.append(client.post("/login", data={
                    "username": pupil.username, "password": "secret-pass",
                    "csrf_token": csrf_token_from(page.get_data(as_text=True))},
                    environ_base={"REMOTE_ADDR": SCHOOL_NAT}).status_code)
            else:
                codes.append(token_login(client, pupil.username, address=SCHOOL_NAT).status_code)
    assert codes == [201, 302] * 20


def test_a_school_where_everyone_mistypes_once_still_gets_in(app, org):
    pupils = students(org, 40)
    client = app.test_client()
    with time_machine.travel(T0, tick=False):
        typos = [token_login(client, p.username, "typo-pass", SCHOOL_NAT).status_code
                 for p in pupils]
        rights = [token_login(client, p.username, address=SCHOOL_NAT).status_code
                  for p in pupils]
    assert typos == [401] * 40
    assert rights == [201] * 40


def test_only_failures_count_against_an_address(app, org):
    pupils = students(org, 12)
    client = app.test_client()
    with settings(app, LOGIN_MAX_FAILURES_ADDRESS=3), time_machine.travel(T0, tick=False):
        successes = [token_login(client, p.username, address=SCHOOL_NAT).status_code
                     for p in pupils]
        failures = [token_login(client, f"user-{n}", "nope", SCHOOL_NAT).status_code
                    for n in range(5)]
        elsewhere = token_login(client, "user-9", "nope", "192.0.2.1").status_code
    assert successes == [201] * 12
    assert failures == [401, 401, 401, 429, 429]
    assert elsewhere == 401


# --- an attacker against one account (security.md 38) --------------------------------------

def test_fifty_wrong_guesses_from_one_address_do_not_stop_the_owner(app, client, org):
    limit = app.config["LOGIN_MAX_FAILURES_ACCOUNT"]
    longest = app.config["LOGIN_ACCOUNT_MAX_DELAY_SECONDS"]
    with time_machine.travel(T0, tick=False) as clock:
        device = token_login(client, "hsa", address="192.0.2.20").get_json()["device_token"]
        clock.move_to(T0 + timedelta(hours=1))
        guesses = [token_login(client, "hsa", f"guess-{n}", ATTACKER).status_code
                   for n in range(50)]
        assert guesses.count(401) == limit and guesses.count(429) == 50 - limit
        # From a device that logged in before: straight in, while the attack goes on.
        assert token_login(client, "hsa", address="192.0.2.20", device=device).status_code == 201
        guesses = [token_login(client, "hsa", f"more-{n}", ATTACKER).status_code
                   for n in range(5)]
        # From anywhere else: a short wait, never a lock.
        stranger = token_login(client, "hsa", address="192.0.2.30")
        assert stranger.status_code == 429
        wait = int(stranger.headers["Retry-After"])
        assert 1 <= wait <= longest
        assert stranger.get_json()["error"]["details"]["retry_after"] == wait
        clock.shift(wait)
        assert token_login(client, "hsa", address="192.0.2.30").status_code == 201


def test_a_relentless_attacker_gets_under_a_hundred_guesses_an_hour(app, client, org):
    """OWASP ASVS 2.2.1 from many addresses at once, and the owner's wait stays short."""
    longest = app.config["LOGIN_ACCOUNT_MAX_DELAY_SECONDS"]
    checked, waits, n = 0, [], 0
    with time_machine.travel(T0, tick=False) as clock:
        while utcnow() < T0 + timedelta(hours=1):
            n += 1
            reply = token_login(client, "hsa", f"guess-{n}", f"10.{n // 250}.{n % 250}.1")
            if reply.status_code == 429:
                waits.append(int(reply.headers["Retry-After"]))
                clock.shift(waits[-1])
            else:
                assert reply.status_code == 401
                checked += 1
    assert 60 <= checked <= 100
    assert max(waits) == longest


def test_refused_attempts_are_not_counted(app, client, org):
    with time_machine.travel(T0, tick=False) as clock:
        for n in range(5):
            token_login(client, "hsa", f"bad-{n}", ATTACKER)
        hammering = [token_login(client, "hsa", "x", ATTACKER).status_code for _ in range(20)]
        first_wait = int(token_login(client, "hsa", "x", ATTACKER).headers["Retry-After"])
        clock.shift(first_wait)
        assert token_login(client, "hsa", "bad-6", ATTACKER).status_code == 401
        second = token_login(client, "hsa", "x", ATTACKER)
    assert hammering == [429] * 20
    assert first_wait == app.config["LOGIN_DELAY_SECONDS"]
    assert int(second.headers["Retry-After"]) == 2 * first_wait   # one more, not 21 more


def test_a_right_password_forgives_the_account_but_not_the_address(app, client, org):
    with settings(app, LOGIN_MAX_FAILURES_ADDRESS=9), time_machine.travel(T0, tick=False):
        first = [token_login(client, "hsa", f"bad-{n}").status_code for n in range(4)]
        assert token_login(client, "hsa").status_code == 201
        again = [token_login(client, "hsa", f"bad-{n}").status_code for n in range(4)]
        assert token_login(client, "hsa").status_code == 201
        # The address kept its 8 failures (and not the 2 successes): its 9th waits.
        assert token_login(client, "hsb", "bad").status_code == 401
        assert token_login(client, "hsb", "bad").status_code == 429
    assert first == again == [401] * 4


def test_a_forged_or_borrowed_device_token_does_not_skip_the_account_delay(app, client, org):
    with time_machine.travel(T0, tick=False):
        own = token_login(client, "hsb", address=ATTACKER).get_json()["device_token"]
        for n in range(5):
            token_login(client, "hsa", f"bad-{n}", "192.0.2.40")
        for device in (own, own[:-3] + "abc", "not-a-token"):
            assert token_login(client, "hsa", "bad", ATTACKER, device).status_code == 429
        assert token_login(client, "hsb", address=ATTACKER, device=own).status_code == 201


def test_the_login_form_answers_429_with_retry_after_and_remembers_the_device(app, client,
                                                                              org):
    with time_machine.travel(T0, tick=False):
        response = login(client, "hsa")
        cookie = response.headers.getlist("Set-Cookie")
        device = next(c for c in cookie if c.startswith("hoclieu_device="))
        assert "HttpOnly" in device and "Path=/login" in device and "SameSite=Lax" in device
        assert client.get_cookie("hoclieu_device", path="/login") is not None
        stranger = app.test_client()
        for n in range(5):
            assert login(stranger, "hsa", f"bad-{n}").status_code == 401
        refused = login(stranger, "hsa")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        assert "Vui lòng thử lại sau 1 giây." in refused.get_data(as_text=True)
        # The browser that logged in before keeps getting in.
        client.post("/logout", data={"csrf_token": csrf_token_from(
            client.get("/").get_data(as_text=True))})
        assert login(client, "hsa").status_code == 302


def test_unknown_and_known_users_are_throttled_alike(app, client, org):
    with time_machine.travel(T0, tick=False):
        known = [token_login(client, "hsa", f"bad-{n}", f"192.0.2.{n}") for n in range(6)]
        unknown = [token_login(client, "no-such-user", f"bad-{n}", f"192.0.2.{n}")
                   for n in range(6)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [401] * 5 + [429]
    assert known[0].get_json() == unknown[0].get_json()
    assert known[5].headers["Retry-After"] == unknown[5].headers["Retry-After"]


def test_wrong_current_passwords_are_throttled_too(app, client, org):
    with time_machine.travel(T0, tick=False):
        login(client, "hsa")
        page = client.get("/account/password").get_data(as_text=True)
        codes = [client.post("/account/password", data={
            "csrf_token": csrf_token_from(page), "current": f"wrong-{n}",
            "new": "new-secret-9", "confirm": "new-secret-9"}).status_code for n in range(6)]
    assert codes == [400] * 5 + [429]


# --- parallel guesses (both databases) -------------------------------------------------------

def test_parallel_guesses_at_one_account_cannot_slip_under_its_limit(app, org):
    limit = app.config["LOGIN_MAX_FAILURES_ACCOUNT"]
    with time_machine.travel(T0, tick=False):
        device = token_login(app.test_client(), "hsa", address="192.0.2.1"
                             ).get_json()["device_token"]
        statuses = run_parallel(12, lambda n: token_login(
            app.test_client(), "hsa", f"bad{n}", f"10.0.0.{n}").status_code)
        stranger = token_login(app.test_client(), "hsa", address="10.0.1.1")
        owner = token_login(app.test_client(), "hsa", address="192.0.2.1", device=device)
    assert statuses.count(401) == limit
    assert statuses.count(429) == 12 - limit
    # The right password from an unknown device waits a moment; from the owner's, it enters.
    assert stranger.status_code == 429 and stranger.headers["Retry-After"] == "1"
    assert stranger.get_json()["error"]["code"] == "too_many_requests"
    assert owner.status_code == 201


def test_parallel_guesses_from_one_address_cannot_slip_under_its_limit(app, org):
    with settings(app, LOGIN_MAX_FAILURES_ADDRESS=3), time_machine.travel(T0, tick=False):
        statuses = run_parallel(12, lambda n: token_login(
            app.test_client(), f"user-{n}", "nope", ATTACKER).status_code)
    assert sorted(statuses) == [401] * 3 + [429] * 9


def test_a_stolen_device_token_adds_only_the_device_allowance(app, org):
    """A known device past its own allowance is throttled like any other client."""
    device_limit = app.config["LOGIN_MAX_FAILURES_DEVICE"]
    account_limit = app.config["LOGIN_MAX_FAILURES_ACCOUNT"]
    with time_machine.travel(T0, tick=False):
        device = token_login(app.test_client(), "hsa").get_json()["device_token"]
        statuses = run_parallel(24, lambda n: token_login(
            app.test_client(), "hsa", f"bad{n}", f"10.0.0.{n}", device).status_code)
    assert statuses.count(401) == device_limit + account_limit
    assert statuses.count(429) == 24 - device_limit - account_limit


def test_parallel_students_behind_one_address_all_get_in(app, org):
    """More at once than the old limit of 30 (which counted successes too)."""
    names = [p.username for p in students(org, 40)]
    with time_machine.travel(T0, tick=False):
        statuses = run_parallel(40, lambda n: token_login(
            app.test_client(), names[n], address=SCHOOL_NAT).status_code)
    assert statuses == [201] * 40
    _db.session.expire_all()
    assert _db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 0


# --- clearing an account's delays --------------------------------------------------------------

def _lock_out(client, username="hsa"):
    for n in range(5):
        token_login(client, username, f"bad-{n}", ATTACKER)
    assert token_login(client, username, address="192.0.2.9").status_code == 429


def _post(client, url, data=None):
    page = client.get("/").get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token_from(page), **(data or {})})


def test_the_class_teacher_clears_a_students_delay_and_it_is_logged(app, client, org, caplog):
    guesser = app.test_client()
    url = f"/schools/users/{org.student_a.id}/login-throttle/clear"
    with time_machine.travel(T0, tick=False):
        _lock_out(guesser)
        login(client, "teacherx")
        page = client.get(f"/schools/classes/{org.class_x.id}").get_data(as_text=True)
        assert url in page and 'data-testid="login-throttle"' in page
        assert client.post(url).status_code == 400             # no CSRF token
        assert token_login(guesser, "hsa", address="192.0.2.9").status_code == 429
        with caplog.at_level(logging.INFO, logger="hoclieu.auth"):
            cleared = _post(client, url, {"next": f"/schools/classes/{org.class_x.id}"})
        assert cleared.status_code == 302
        assert cleared.headers["Location"].endswith(f"/schools/classes/{org.class_x.id}")
        assert "login throttle of hsa cleared by teacherx" in caplog.text
        assert token_login(guesser, "hsa", address="192.0.2.9").status_code == 201


def test_only_those_who_may_reset_the_password_may_clear_the_delay(app, client, org):
    guesser = app.test_client()
    with time_machine.travel(T0, tick=False):
        _lock_out(guesser, "hsy")
        login(client, "teacherx")   # teaches 10A1, not hsy's class
        assert _post(client, f"/schools/users/{org.student_y.id}/login-throttle/clear"
                     ).status_code == 403
        assert token_login(guesser, "hsy", address="192.0.2.9").status_code == 429
        other = app.test_client()
        login(other, "hsb")
        assert _post(other, f"/schools/users/{org.student_y.id}/login-throttle/clear"
                     ).status_code == 403
        login(client, "teachery")
        assert _post(client, f"/schools/users/{org.student_y.id}/login-throttle/clear"
                     ).status_code == 302
        assert token_login(guesser, "hsy", address="192.0.2.9").status_code == 201


def test_the_admin_user_page_shows_and_clears_the_delay(app, client, org):
    guesser = app.test_client()
    with time_machine.travel(T0, tick=False):
        _lock_out(guesser)
        login(client, "leaderx")
        page = client.get(f"/admin/users/{org.student_a.id}").get_data(as_text=True)
        assert 'data-testid="clear-login-throttle"' in page
        assert _post(client, f"/schools/users/{org.student_a.id}/login-throttle/clear",
                     {"next": f"/admin/users/{org.student_a.id}"}).status_code == 302
        page = client.get(f"/admin/users/{org.student_a.id}").get_data(as_text=True)
        assert 'data-testid="clear-login-throttle"' not in page
        assert token_login(guesser, "hsa", address="192.0.2.9").status_code == 201


def test_the_api_shows_and_clears_the_delay(app, client, org):
    guesser = app.test_client()
    url = f"/api/v1/users/{org.student_a.id}/login-throttle"
    with time_machine.travel(T0, tick=False):
        _lock_out(guesser)
        teacher = {"Authorization": "Bearer " + token_login(client, "teacherx").get_json()["token"]}
        other = {"Authorization": "Bearer " + token_login(client, "teachery").get_json()["token"]}
        shown = client.get(url, headers=teacher).get_json()
        assert shown["failures"] == 5
        assert datetime.fromisoformat(shown["blocked_until"]) == T0 + timedelta(seconds=1)
        assert client.get(url, headers=other).status_code == 403
        assert client.delete(url, headers=other).status_code == 403
        assert client.delete("/api/v1/users/999999/login-throttle",
                             headers=teacher).status_code == 404
        assert token_login(guesser, "hsa", address="192.0.2.9").status_code == 429
        browser = app.test_client()
        login(browser, "teacherx")
        assert browser.delete(url).status_code == 400          # a cookie needs the CSRF header
        assert token_login(guesser, "hsa", address="192.0.2.9").status_code == 429
        assert client.delete(url, headers=teacher).status_code == 204
        assert client.get(url, headers=teacher).get_json() == {"failures": 0,
                                                               "blocked_until": None}
        assert token_login(guesser, "hsa", address="192.0.2.9").status_code == 201


def test_a_password_reset_clears_the_delay(app, client, org):
    guesser = app.test_client()
    with time_machine.travel(T0, tick=False):
        _lock_out(guesser)
        login(client, "teacherx")
        reply = _post(client, f"/schools/users/{org.student_a.id}/reset-password")
        password = reply.get_data(as_text=True).split("Mật khẩu: <code>")[1].split("<")[0]
        assert token_login(guesser, "hsa", password, "192.0.2.9").status_code == 201


def test_the_sweep_forgets_only_keys_with_nothing_left(app, client, org):
    from lms.auth.tasks import sweep_login_throttle

    with time_machine.travel(T0, tick=False) as clock:
        _lock_out(client)                                    # hsa: 5 failures from ATTACKER
        token_login(client, "hsb", "bad", "192.0.2.77")     # hsb: one failure
        assert sweep_login_throttle.delay().get() == 0
        clock.shift(timedelta(minutes=1))                    # the addresses' 6 drained
        assert sweep_login_throttle.delay().get() == 2
        clock.shift(timedelta(minutes=14))                   # the accounts' too
        assert sweep_login_throttle.delay().get() == 2
    assert _db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 0


@pytest.mark.parametrize("field", ["username", "password"])
def test_oversized_credentials_are_a_400_not_a_500(client, org, field):
    body = {"username": "hsa", "password": "secret-pass", field: "x" * 5000}
    reply = client.post(TOKEN, json=body)
    assert reply.status_code == 400
    assert reply.get_json()["error"]["code"] == "validation_error"
