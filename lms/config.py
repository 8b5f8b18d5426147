"""Configuration: every setting is an environment variable ``HOCLIEU_<NAME>`` with one default.

``create_app`` loads this class, then ``app.config.from_prefixed_env("HOCLIEU")`` so that, for
example, ``HOCLIEU_DATABASE_URL=postgresql+psycopg://…`` switches the database without a code
edit. Values given as JSON (numbers, booleans) are parsed as such by Flask.
"""

import os
from pathlib import Path

#: Folder for the embedded defaults: SQLite files, stored files, the search index, the broker.
INSTANCE = Path(os.environ.get("HOCLIEU_INSTANCE_PATH", Path.cwd() / "instance")).resolve()


def _sqlite(name: str) -> str:
    return f"sqlite:///{INSTANCE / name}"


class Config:
    """Defaults for a laptop or a single school server; see docs/configuration.md."""

    #: ``development`` | ``production`` | ``test``. Production refuses demo accounts.
    ENV = "development"
    #: Signs session cookies and CSRF tokens. Must be set to a long random value in production.
    SECRET_KEY = "dev-only-change-me"  # noqa: S105 — production refuses it
    #: SQLAlchemy URL. Default: SQLite file under instance/. Scale: postgresql+psycopg://…
    DATABASE_URL = _sqlite("hoclieu.sqlite")
    #: Milliseconds a SQLite writer waits for the lock before failing.
    SQLITE_BUSY_TIMEOUT_MS = 15000
    #: PostgreSQL connection pool size per process.
    DB_POOL_SIZE = 10
    #: Celery broker. Default: SQLite through kombu's SQLAlchemy transport. Scale: redis://…
    BROKER_URL = "sqla+" + _sqlite("celery-broker.sqlite")
    #: Celery result backend (task progress itself is kept in the application database).
    RESULT_BACKEND = "db+" + _sqlite("celery-results.sqlite")
    #: Run tasks in-process instead of sending them to a worker (tests, scripts).
    CELERY_EAGER = False
    #: ``local`` (a folder) or ``s3`` (MinIO or any S3 API server).
    STORAGE_BACKEND = "local"
    #: Folder for the ``local`` backend.
    STORAGE_PATH = str(INSTANCE / "files")
    #: S3 endpoint as host:port, bucket, credentials and TLS switch for the ``s3`` backend.
    S3_ENDPOINT = "127.0.0.1:9000"
    S3_BUCKET = "hoclieu"
    S3_ACCESS_KEY = ""
    S3_SECRET_KEY = ""
    S3_SECURE = False
    S3_REGION = "us-east-1"
    #: Seconds a presigned download URL stays valid.
    S3_PRESIGN_SECONDS = 300
    #: Folder of the Whoosh full-text index.
    SEARCH_INDEX_PATH = str(INSTANCE / "search")
    #: Mail: without an SMTP host, mail goes to the outbox table and the log only.
    MAIL_SMTP_HOST = ""
    MAIL_SMTP_PORT = 587
    MAIL_SMTP_USER = ""
    MAIL_SMTP_PASSWORD = ""
    MAIL_FROM = "HocLieu <no-reply@hoclieu.local>"
    #: Language used when the user has not chosen one: ``vi`` or ``en``.
    DEFAULT_LANGUAGE = "vi"
    #: Time zone for displayed dates.
    TIMEZONE = "Asia/Ho_Chi_Minh"
    #: Send session cookies only over HTTPS. Set true behind TLS (production default below).
    SESSION_COOKIE_SECURE = False
    #: Idle lifetime of a login session, in hours.
    SESSION_HOURS = 12
    #: Idle lifetime of an API token, in days.
    API_TOKEN_DAYS = 30
    #: Login throttling (docs/decisions.md, "Login throttling"): only failures count, against
    #: the client address and the account (or the known device). A key's failures drain at its
    #: allowance per window; past the allowance each further failure makes the key wait,
    #: LOGIN_DELAY_SECONDS first, doubling, up to the key's maximum delay.
    LOGIN_WINDOW_SECONDS = 900
    #: Allowance of an account (from devices it does not know); also access-code guesses.
    LOGIN_MAX_FAILURES_ACCOUNT = 5
    #: Allowance of one client address: a school of 1,500 behind one NAT at the start of a test.
    LOGIN_MAX_FAILURES_ADDRESS = 500
    #: Allowance of a known device on its account, after which it counts as unknown.
    LOGIN_MAX_FAILURES_DEVICE = 10
    #: First delay past an allowance, in seconds; it doubles with each further failure.
    LOGIN_DELAY_SECONDS = 1
    #: Longest wait of an account (what its owner on an unknown device may meet), in seconds.
    LOGIN_ACCOUNT_MAX_DELAY_SECONDS = 60
    #: Longest wait of a client address, in seconds.
    LOGIN_ADDRESS_MAX_DELAY_SECONDS = 300
    #: Days a device stays known after its last login there, and accounts it remembers.
    LOGIN_DEVICE_DAYS = 365
    LOGIN_DEVICE_ACCOUNTS = 10
    #: Argon2id cost: memory in KiB, passes, lanes. The default is OWASP's recommended profile
    #: (19 MiB, 2 passes, 1 lane): about 27 ms per hash here, so a 1,000-student roster is
    #: hashed in seconds while a guess still costs 19 MiB of memory.
    ARGON2_MEMORY_KIB = 19456
    ARGON2_TIME_COST = 2
    ARGON2_PARALLELISM = 1
    #: Largest request body accepted, in bytes (uploads stream and have their own limits).
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    #: Deepest nesting of arrays and objects accepted in a JSON body (checked before parsing).
    JSON_MAX_DEPTH = 64
    #: Largest lesson upload (SCORM zip or video), in MiB; checked while streaming to disk.
    MAX_UPLOAD_MB = 2048
    #: Storage each user may fill with lesson files (originals and derived files), in MiB.
    UPLOAD_QUOTA_MB = 20480
    #: Trust X-Forwarded-For from this many proxies (0 when the app faces clients directly).
    PROXY_COUNT = 0
    #: ``Strict-Transport-Security: max-age`` in seconds, sent only when ENV is production
    #: (0 switches it off there too).
    HSTS_SECONDS = 31536000
    #: Chromium that prints paper-mode PDFs (a path or a name on PATH; "" finds ``chromium``).
    PDF_CHROMIUM = ""
    #: Folder for chunked uploads in progress (a shared volume when there are several web
    #: nodes, like the search index).
    UPLOAD_STAGING_PATH = str(INSTANCE / "uploads")
    #: Chunk size a chunked upload uses, in MiB (fractions allowed); also the largest chunk
    #: accepted.
    UPLOAD_CHUNK_MB = 8
    #: Hours without a new chunk after which an upload session is abandoned and swept.
    UPLOAD_EXPIRY_HOURS = 24
    #: Seconds a Redis broker waits for a started job's acknowledgement before giving it to
    #: another worker (a killed worker's job runs again after this). Longer than any job.
    BROKER_VISIBILITY_TIMEOUT = 3600
    #: Pre-generated attempts (Kết quả page, ``POST /api/v1/exams/<id>/pregenerate``) are made
    #: in the request up to this many students; a larger assignment gets a background job.
    EXAM_PREGENERATE_INLINE_MAX = 300
    #: ffmpeg threads per transcode, and its niceness (0..19) so web requests keep priority.
    TRANSCODE_THREADS = 2
    TRANSCODE_NICE = 10


def finalise(config: dict) -> None:
    """Derive Flask and extension settings from the HOCLIEU_ values after env overrides."""
    url = config["DATABASE_URL"]
    config["SQLALCHEMY_DATABASE_URI"] = url
    config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(url, config)
    config["SESSION_COOKIE_SECURE"] = bool(config["SESSION_COOKIE_SECURE"]) or (
        config["ENV"] == "production"
    )
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_NAME"] = "hoclieu_session"
    # Idle expiry is decided server-side (auth_session.last_seen_at): no cookie re-signing.
    config["SESSION_REFRESH_EACH_REQUEST"] = False
    config["BABEL_DEFAULT_LOCALE"] = config["DEFAULT_LANGUAGE"]
    config["BABEL_DEFAULT_TIMEZONE"] = config["TIMEZONE"]
    config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    config["WTF_CSRF_TIME_LIMIT"] = None
    config["WTF_CSRF_SSL_STRICT"] = True


def engine_options(url: str, config: dict) -> dict:
    """SQLite: one pooled file connection per thread, WAL set per connection. PostgreSQL: ping."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": config["SQLITE_BUSY_TIMEOUT_MS"] / 1000,
                                 "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_size": int(config["DB_POOL_SIZE"]), "max_overflow": 20}
