"""Logging in and out, sessions and tokens, throttling, password changes and resets."""

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.auth import passwords
from lms.auth.models import AuthSession, LoginFailure, SessionKind, User
from lms.auth.permissions import require
from lms.core.errors import DomainError, TooManyRequests, Unauthorized
from lms.core.models import utcnow
from lms.extensions import db
from question_bank import clean_name, fold, nfc

#: One message for unknown user and wrong password, so neither is revealed (security.md 28).
BAD_LOGIN = _l("Tên đăng nhập hoặc mật khẩu không đúng.")
THROTTLED = _l("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau ít phút.")
#: Touch ``last_seen_at`` at most this often, so most requests do not write.
TOUCH_EVERY = timedelta(minutes=5)
MIN_PASSWORD = 8


@dataclass(frozen=True)
class AuthPolicy:
    """The configuration values the auth rules need, read once from ``app.config``."""

    session_hours: int
    api_token_days: int
    max_account: int
    max_address: int
    window_seconds: int
    cost: tuple[int, int, int]

    @classmethod
    def from_config(cls, config) -> "AuthPolicy":
        return cls(
            session_hours=int(config["SESSION_HOURS"]),
            api_token_days=int(config["API_TOKEN_DAYS"]),
            max_account=int(config["LOGIN_MAX_FAILURES_ACCOUNT"]),
            max_address=int(config["LOGIN_MAX_FAILURES_ADDRESS"]),
            window_seconds=int(config["LOGIN_WINDOW_SECONDS"]),
            cost=(int(config["ARGON2_MEMORY_KIB"]), int(config["ARGON2_TIME_COST"]),
                  int(config["ARGON2_PARALLELISM"])),
        )


def normalise_username(username: str) -> str:
    return nfc(username).lower()


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(policy: AuthPolicy, username: str, password: str, address: str) -> User:
    """Check a password, counting every attempt against the account and the address first.

    The counters are bumped in their own committed transaction *before* the password is
    checked, so parallel guesses cannot all slip under the limit.
    """
    username = normalise_username(username)
    account_count = _bump_failures(f"acct:{username}", policy.window_seconds)
    address_count = _bump_failures(f"addr:{address}", policy.window_seconds)
    if account_count > policy.max_account or address_count > policy.max_address:
        raise TooManyRequests(THROTTLED)
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        passwords.burn_time(password)
        raise Unauthorized(BAD_LOGIN, code="bad_credentials")
    if not passwords.verify_password(user.password_hash, password) or not user.active:
        raise Unauthorized(BAD_LOGIN, code="bad_credentials")
    _clear_failures(f"acct:{username}")
    return user


def _bump_failures(key: str, window_seconds: int) -> int:
    """Atomically count one attempt for ``key``; a stale window restarts at one."""
    with db.engine.begin() as conn:
        return conn.execute(_bump_statement(conn.dialect.name, key, window_seconds)).scalar_one()


def _bump_statement(dialect: str, key: str, window_seconds: int):
    now = utcnow()
    stale = now - timedelta(seconds=window_seconds)
    table = LoginFailure.__table__
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    expired = table.c.window_start < stale
    return (
        insert(table)
        .values(key=key, window_start=now, count=1)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={
                "count": case((expired, 1), else_=table.c.count + 1),
                "window_start": case((expired, now), else_=table.c.window_start),
            },
        )
        .returning(table.c.count)
    )


def _clear_failures(key: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(delete(LoginFailure.__table__).where(LoginFailure.__table__.c.key == key))


def start_session(user: User, kind: SessionKind, address: str = "", user_agent: str = "") -> str:
    """Create a server-side session and return its secret (shown to the client once)."""
    secret = secrets.token_urlsafe(32)
    db.session.add(AuthSession(token_hash=token_hash(secret), user_id=user.id, kind=kind,
                               address=address[:64], user_agent=user_agent[:300]))
    db.session.flush()
    return secret


def end_session(secret: str | None) -> None:
    """Delete the session so its cookie or token is dead everywhere at once."""
    if secret:
        db.session.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash(secret)))


def resolve_session(policy: AuthPolicy, secret: str, kind: SessionKind) -> User | None:
    """The active user a live session secret belongs to, or None.

    Every request runs this, so the common case is one statement built once (the user with the
    session's kind and last use; the session row itself is not loaded). Only a session to
    expire or to touch is loaded, at most once per ``TOUCH_EVERY``."""
    hashed = token_hash(secret)
    found = db.session.execute(_session_statement(), {"token_hash": hashed}).first()
    if found is None:
        return None
    user, session_kind, last_seen_at = found
    if session_kind != kind or not user.active:
        return None
    now = utcnow()
    lifetime = (timedelta(hours=policy.session_hours) if kind == SessionKind.BROWSER
                else timedelta(days=policy.api_token_days))
    if now - last_seen_at > lifetime:
        db.session.delete(db.session.get(AuthSession, hashed))
        return None
    if now - last_seen_at > TOUCH_EVERY:
        db.session.get(AuthSession, hashed).last_seen_at = now
    return user


@functools.cache
def _session_statement():
    return (select(User, AuthSession.kind, AuthSession.last_seen_at)
            .join(AuthSession, AuthSession.user_id == User.id)
            .where(AuthSession.token_hash == bindparam("token_hash")))


def change_password(policy: AuthPolicy, user: User, current: str, new: str) -> None:
    """A user changes their own password, proving the current one."""
    if not passwords.verify_password(user.password_hash, current):
        raise DomainError(_l("Mật khẩu hiện tại không đúng."), code="bad_credentials")
    set_password(policy, user, new)
    user.must_change_password = False


def set_password(policy: AuthPolicy, user: User, new: str) -> None:
    if len(new) < MIN_PASSWORD:
        raise DomainError(_l("Mật khẩu phải có ít nhất %(n)d ký tự.", n=MIN_PASSWORD),
                          code="weak_password")
    user.password_hash = passwords.hash_password(new, policy.cost)
    db.session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))


def reset_password(policy: AuthPolicy, actor: User, target: User) -> str:
    """A teacher, leader or admin with ``target`` in scope sets a new random password."""
    require(actor, "user.reset_password", target)
    new = passwords.generate_password()
    set_password(policy, target, new)
    target.must_change_password = True
    return new


def create_user(policy: AuthPolicy, username: str, full_name: str, password: str | None,
                *, password_hash: str | None = None, **fields) -> User:
    """Create an account; the username is NFC, lower case and must be free.

    Give ``password`` to hash it here, or ``password_hash`` when it was hashed in bulk.
    """
    username = normalise_username(username)
    if not username:
        raise DomainError(_l("Thiếu tên đăng nhập."), code="invalid_username")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise DomainError(_l("Tên đăng nhập %(name)s đã có người dùng.", name=username),
                          code="duplicate_user")
    name = clean_name(full_name)
    user = User(username=username, full_name=name, name_key=fold(name),
                password_hash=password_hash or passwords.hash_password(password, policy.cost),
                **fields)
    db.session.add(user)
    db.session.flush()
    return user


def deactivate(actor: User, target: User) -> None:
    """Deactivate an account; its sessions stop working at once."""
    require(actor, "user.manage", target)
    target.active = False
    db.session.execute(delete(AuthSession).where(AuthSession.user_id == target.id))


def count_failure(key: str, window_seconds: int) -> int:
    """The login counter for another guessable secret (an exam's access code), counted in
    the request's own transaction: the upsert is atomic (parallel tries get distinct counts)
    and the caller commits it even when it then refuses the request."""
    statement = _bump_statement(db.engine.dialect.name, key, window_seconds)
    return db.session.execute(statement).scalar_one()


def clear_failure(key: str) -> None:
    """Forget ``key``'s count, in the request's transaction."""
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == key))
