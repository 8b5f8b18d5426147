"""Logging in and out, sessions and tokens, throttling, password changes and resets."""

import functools
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.auth import devices, passwords
from lms.auth.models import AuthSession, LoginFailure, SessionKind, User
from lms.auth.permissions import require
from lms.auth.throttle import Limits
from lms.auth.throttle_services import forget_account, throttled_check
from lms.core.errors import DomainError, Unauthorized
from lms.core.models import utcnow
from lms.kernel import db
from lms.kernel.text import clean_name, fold, nfc

#: One message for unknown user and wrong password, so neither is revealed (security.md 28).
BAD_LOGIN = _l("Tên đăng nhập hoặc mật khẩu không đúng.")
#: Touch ``last_seen_at`` at most this often, so most requests do not write.
TOUCH_EVERY = timedelta(minutes=5)
MIN_PASSWORD = 8


@dataclass(frozen=True)
class AuthPolicy:
    """The configuration values the auth rules need, read once from ``app.config``."""

    session_hours: int
    api_token_days: int
    #: Access-code guesses (lms.exams.access) count against these two.
    max_account: int
    window_seconds: int
    cost: tuple[int, int, int]
    limits: Limits
    device_days: int
    device_accounts: int
    #: Signs device tokens: the app's secret key.
    secret: str = field(repr=False)

    @classmethod
    def from_config(cls, config) -> "AuthPolicy":
        return cls(
            session_hours=int(config["SESSION_HOURS"]),
            api_token_days=int(config["API_TOKEN_DAYS"]),
            max_account=int(config["LOGIN_MAX_FAILURES_ACCOUNT"]),
            window_seconds=int(config["LOGIN_WINDOW_SECONDS"]),
            cost=(int(config["ARGON2_MEMORY_KIB"]), int(config["ARGON2_TIME_COST"]),
                  int(config["ARGON2_PARALLELISM"])),
            limits=Limits.from_config(config),
            device_days=int(config["LOGIN_DEVICE_DAYS"]),
            device_accounts=int(config["LOGIN_DEVICE_ACCOUNTS"]),
            secret=str(config["SECRET_KEY"]),
        )


def normalise_username(username: str) -> str:
    return nfc(username).lower()


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Login:
    """A successful login: the user, and the device token the client keeps (the device is
    now known for this account)."""

    user: User
    device_token: str


def authenticate(policy: AuthPolicy, username: str, password: str, address: str,
                 device_token: str | None = None) -> Login:
    """Check a password under the login throttle: one rule for the form and the API.

    Only failures count. A client whose device token names this account is throttled on that
    device's key alone, so guesses elsewhere never slow its owner down; any other client on
    the account's and the address's keys (``throttle_services.throttled_check``).
    """
    username = normalise_username(username)
    known = devices.read(policy.secret, device_token, policy.device_days * 86400)
    user = throttled_check(policy.limits, username, address, devices.device_id(known, username),
                           lambda: _user_with_password(policy, username, password))
    if user is None:
        raise Unauthorized(BAD_LOGIN, code="bad_credentials")
    return Login(user, devices.remember(policy.secret, known, username,
                                        policy.device_accounts))


def _user_with_password(policy: AuthPolicy, username: str, password: str) -> User | None:
    """The active user whose password this is. An unknown user costs the same Argon2 work."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        passwords.burn_time(password, policy.cost)
        return None
    if not passwords.verify_password(user.password_hash, password) or not user.active:
        return None
    return user


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


def change_password(policy: AuthPolicy, user: User, current: str, new: str,
                    address: str) -> None:
    """A user changes their own password, proving the current one; wrong current passwords
    are throttled like failed logins (a borrowed session must not become a guessing oracle)."""
    def check():
        return user if passwords.verify_password(user.password_hash, current) else None

    if throttled_check(policy.limits, user.username, address, None, check) is None:
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
    """A teacher, leader or admin with ``target`` in scope sets a new random password; the
    account's login delays are cleared with it, so the new password works at once."""
    require(actor, "user.reset_password", target)
    new = passwords.generate_password()
    set_password(policy, target, new)
    target.must_change_password = True
    forget_account(target.username)
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
