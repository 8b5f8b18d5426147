"""The SCORM content token (lms.lessons.content): it opens one lesson's files, for six hours,
and nothing signed for another purpose with the same secret key passes for it."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import time_machine
from itsdangerous import URLSafeTimedSerializer

from lms.lessons.content import TOKEN_MAX_AGE, content_token, launch_url, token_allows

NOON = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)


def test_a_token_opens_its_own_lesson_only(app):
    with app.app_context():
        token = content_token(7)
        assert token_allows(token, 7)
        assert not token_allows(token, 8)
        assert not token_allows(token + "x", 7)


def test_a_token_expires_after_its_lifetime(app):
    with app.app_context():
        with time_machine.travel(NOON, tick=False):
            token = content_token(7)
        with time_machine.travel(NOON + timedelta(seconds=TOKEN_MAX_AGE - 1), tick=False):
            assert token_allows(token, 7)
        with time_machine.travel(NOON + timedelta(seconds=TOKEN_MAX_AGE + 1), tick=False):
            assert not token_allows(token, 7)


def test_a_value_signed_with_the_same_key_for_another_purpose_is_refused(app):
    with app.app_context():
        secret = app.config["SECRET_KEY"]
        for salt in (None, b"itsdangerous", "hoclieu.other-purpose"):
            assert not token_allows(URLSafeTimedSerializer(secret, salt=salt).dumps(7), 7)


def test_the_launch_url_keeps_the_whole_query_of_the_launch_line(app):
    with app.test_request_context():
        url = launch_url(SimpleNamespace(launch="index.html"), 7, "sco/page.html?next=a?b")
        assert url.endswith("/sco/page.html?next=a?b")
        assert launch_url(SimpleNamespace(launch="index.html?x=1"), 7).endswith("/index.html?x=1")
