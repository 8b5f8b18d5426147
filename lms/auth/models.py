"""Accounts and their server-side sessions (browser logins and API tokens alike)."""

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.models import utcnow
from lms.kernel import db, db_enum
from lms.kernel.text import collation_key


class User(db.Model):
    """A person. Students log in with their student code; most have no e-mail."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, NFC and lower case: a student code (``hs2025001``) or a chosen name.
    username: Mapped[str] = mapped_column(String(80), unique=True)
    #: Full name as written in Vietnamese (NFC).
    full_name: Mapped[str] = mapped_column(String(200))
    #: Folded full name, for accent-insensitive search.
    name_key: Mapped[str] = mapped_column(String(200), index=True, default="")
    email: Mapped[str | None] = mapped_column(String(254))
    birth_date: Mapped[date | None]
    #: Argon2id hash (``$argon2id$…``).
    password_hash: Mapped[str] = mapped_column(String(255))
    #: Set by an import or a reset: the user must choose a new password after logging in.
    must_change_password: Mapped[bool] = mapped_column(default=False)
    #: Deactivated users cannot log in and their sessions stop working on the next request.
    active: Mapped[bool] = mapped_column(default=True)
    #: ``vi`` or ``en``; empty means the platform default.
    language: Mapped[str] = mapped_column(String(5), default="")
    #: True for the accounts ``flask demo`` creates; production refuses to start while any exist.
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def list_key(self) -> tuple[str, str, int]:
        """Class-list order (danh sách lớp): by given name, then family and middle names, in
        Vietnamese dictionary order (``lms.kernel.text.collation_key``); id breaks ties."""
        words = self.full_name.split()
        return (collation_key(words[-1] if words else ""),
                collation_key(" ".join(words[:-1])), self.id)

    memberships = relationship(
        "Membership", back_populates="user", lazy="select", cascade="all, delete-orphan"
    )
    #: Loaded on first use (one query per request that checks a permission), so requests
    #: that only need to know who is calling — the heartbeat, autosaves — skip it.

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class SessionKind(enum.StrEnum):
    BROWSER = "browser"
    API = "api"


class AuthSession(db.Model):
    """A login: the browser cookie or the Bearer token carries a secret whose hash is stored."""

    __tablename__ = "auth_session"
    __table_args__ = (Index("ix_auth_session_user", "user_id"),)

    #: SHA-256 of the secret, hex. The secret itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[SessionKind] = mapped_column(db_enum(SessionKind, 10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Touched at most every few minutes; a session idle past SESSION_HOURS is dead.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Client address and user agent at login, for the user's "where am I logged in" list.
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")

    user = relationship("User", lazy="joined")


class LoginFailure(db.Model):
    """Guesses of a secret other than a password counted per key in a fixed time window: an
    exam's access code (``exam_code:<exam>:<user>``). Logins use :class:`LoginThrottle`."""

    __tablename__ = "login_failure"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    count: Mapped[int] = mapped_column(default=0)


class LoginThrottle(db.Model):
    """Failed logins not yet forgiven, per key: ``addr:<address>``, ``acct:<username>`` or
    ``dev:<device id>`` (rules in ``lms.auth.throttle``). A key with nothing to remember has
    no row."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    #: The account an ``acct:`` or ``dev:`` key belongs to, so its delays can be cleared.
    username: Mapped[str | None] = mapped_column(String(80), index=True)
    #: When every failure counted so far will have drained (None: nothing counted).
    drained_at: Mapped[datetime | None]
    #: Attempts on this key are refused until then (None: no wait).
    blocked_until: Mapped[datetime | None]
