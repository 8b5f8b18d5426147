"""Fixtures: ``app``, ``db``, ``client``, login helpers and factories.

The suite runs on SQLite by default. With ``HOCLIEU_TEST_DATABASE_URL`` pointing at a
PostgreSQL server (CI: ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) a fresh
database is created for the session, migrated, and dropped afterwards.
"""

import os
import re
import uuid

import pytest
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lms.app import create_app
from lms.kernel import db as _db
from tests.environment import require_binary, unavailable

FAST_ARGON2 = {"ARGON2_MEMORY_KIB": 1024, "ARGON2_TIME_COST": 1, "ARGON2_PARALLELISM": 1}
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'name="csrf_token" value="([^"]+)"|'
                     r'<meta name="csrf-token" content="([^"]+)"')


def _database_url(tmp_path_factory) -> tuple[str, callable]:
    """A database for this test session and a function that removes it."""
    server = os.environ.get("HOCLIEU_TEST_DATABASE_URL")
    if not server:
        path = tmp_path_factory.mktemp("db") / "test.sqlite"
        return f"sqlite:///{path}", lambda: None
    url = make_url(server)
    name = f"hoclieu_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


class FreshContextClient(FlaskClient):
    """Each request gets its own app context, as in production.

    Tests hold an app context for direct database access; without this, requests would share
    its ``g`` (the acting user, the CSRF token) and its database session.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url, drop = _database_url(tmp_path_factory)
    files = tmp_path_factory.mktemp("files")
    config = {
        "ENV": "test",
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": url,
        "CELERY_EAGER": True,
        "BROKER_URL": "memory://",
        "RESULT_BACKEND": "cache+memory://",
        "STORAGE_PATH": str(files / "storage"),
        "UPLOAD_STAGING_PATH": str(files / "uploads"),
        "SEARCH_INDEX_PATH": str(files / "search"),
        **FAST_ARGON2,
    }
    application = create_app(config)
    application.test_client_class = FreshContextClient
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        _db.engine.dispose()
    drop()


@pytest.fixture(autouse=True)
def _settings_restored(request):
    """Every test shares one app: a test that changes its settings must put back the previous
    values (``monkeypatch.setitem(app.config, key, value)`` does), or it fails here."""
    if "app" not in request.fixturenames:
        yield
        return
    config = request.getfixturevalue("app").config
    before = dict(config)
    yield
    changed = sorted(key for key in before.keys() | config.keys()
                     if key not in before or key not in config or before[key] != config[key])
    assert not changed, f"the test left app.config changed: {changed}"


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    """The ffmpeg executable; without it the test skips (fails under ``CI=true``)."""
    return require_binary("ffmpeg", "apt-get install ffmpeg")


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium that prints PDFs (``lms.core.pdf``); skips (fails on CI) without it."""
    from lms.core.pdf import chromium_binary

    return chromium_binary() or unavailable("no Chromium: install it with `make e2e-deps`")


@pytest.fixture(scope="session")
def pdftotext() -> str:
    """poppler's pdftotext, which reads the printed PDFs back as text."""
    return require_binary("pdftotext", "apt-get install poppler-utils")


@pytest.fixture
def db(app):
    """The database inside an app context, emptied after the test."""
    with app.app_context():
        yield _db
        _db.session.remove()
        _truncate_all()


def _truncate_all() -> None:
    tables = list(reversed(_db.metadata.sorted_tables))
    if _db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        with _db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        return
    with _db.engine.connect() as conn:
        # Outside a transaction, so the pragma takes effect (question ⇄ version is a cycle).
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for table in tables:
            conn.execute(table.delete())
        conn.commit()
        conn.exec_driver_sql("PRAGMA foreign_keys=ON")
        conn.commit()


@pytest.fixture
def client(app, db):
    return app.test_client()


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return next(group for group in match.groups() if group)


def login(client, username: str, password: str = "secret-pass", follow: bool = False):
    """Log in through the real form, CSRF token included; returns the POST response."""
    page = client.get("/login")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token}, follow_redirects=follow)


def api_token(client, username: str, password: str = "secret-pass") -> str:
    response = client.post("/api/v1/auth/token", json={"username": username,
                                                       "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]


@pytest.fixture
def org(db):
    """A small province: see tests/factories.build_org."""
    from tests.factories import build_org

    world = build_org()
    _db.session.commit()
    return world
