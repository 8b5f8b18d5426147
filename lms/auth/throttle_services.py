"""The login throttle's state in the database (rules in ``lms.auth.throttle``).

The state is in the application database, so every web node sees the same counts.
"""

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.auth import throttle
from lms.auth.models import LoginThrottle, User
from lms.auth.permissions import require
from lms.auth.throttle import KeyState, Limit, Limits
from lms.core.errors import TooManyRequests
from lms.core.models import utcnow
from lms.kernel import db

log = logging.getLogger("hoclieu.auth")


@dataclass(frozen=True)
class Reservation:
    """Failures counted in advance for one attempt: what the count wrote on each key."""

    limits: dict[str, Limit]
    written: dict[str, KeyState]


def throttled_check(limits: Limits, username: str, address: str, device: str | None,
                    check: Callable[[], User | None]) -> User | None:
    """Run ``check`` (a password verification returning the user or None) only when the
    throttle lets this attempt through (else 429), counting it as a failure unless it
    succeeds.

    Only failures count, but each attempt is counted *before* its check, in a transaction
    committed on its own, so parallel guesses see each other's counts and cannot all slip
    under a limit; a success then takes its count back. Call it before the request writes
    anything (with SQLite the count must not wait on the request's own lock)."""
    reservation = reserve(limits, username, address, device)
    user = check()
    if user is not None:
        settle_success(reservation, username)
    return user


def reserve(limits: Limits, username: str, address: str, device: str | None) -> Reservation:
    """A known device of the account is counted on its own key; any other client on the
    account's key and the address's."""
    if device:
        try:
            return _reserve_keys({throttle.device_key(device): limits.device}, username)
        except TooManyRequests:
            pass  # a known device past its own allowance is throttled like an unknown one
    return _reserve_keys({throttle.account_key(username): limits.account,
                          throttle.address_key(address): limits.address}, username)


def _reserve_keys(limits: dict[str, Limit], username: str) -> Reservation:
    """Count one failure on every key, or on none when any key must still wait (429)."""
    now, written = utcnow(), {}
    with db.engine.begin() as conn:
        _refuse_if_waiting(conn, list(limits), now)  # a plain read: refusals write nothing
        for key in sorted(limits):  # one lock order, so two attempts never deadlock
            state = _locked_state(conn, key, None if _is_address(key) else username)
            _refuse_if_blocked(state, now)
            written[key] = throttle.after_failure(state, limits[key], now)
            _store(conn, key, written[key], now)
    return Reservation(limits, written)


def _is_address(key: str) -> bool:
    return key.startswith("addr:")


def _refuse_if_waiting(executor, keys: list[str], now: datetime) -> None:
    rows = executor.execute(select(LoginThrottle.drained_at, LoginThrottle.blocked_until)
                            .where(LoginThrottle.key.in_(keys))).all()
    for row in rows:
        _refuse_if_blocked(KeyState(row.drained_at, row.blocked_until), now)


def _refuse_if_blocked(state: KeyState, now: datetime) -> None:
    delay = throttle.wait(state, now)
    if delay:
        seconds = throttle.retry_seconds(delay)
        raise TooManyRequests(
            _l("Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(seconds)d giây.",
               seconds=seconds),
            details={"retry_after": seconds}, retry_after=seconds)


def _locked_state(executor, key: str, username: str | None) -> KeyState:
    """A key's state, its row locked until the transaction ends (created when missing). An
    upsert that changes nothing takes the lock on both databases: PostgreSQL locks the row,
    SQLite the database; a plain SELECT would lock nothing on SQLite."""
    table = LoginThrottle.__table__
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = (insert(table).values(key=key, username=username)
                 .on_conflict_do_update(index_elements=["key"],
                                        set_={"username": table.c.username})
                 .returning(table.c.drained_at, table.c.blocked_until))
    row = executor.execute(statement).one()
    return KeyState(row.drained_at, row.blocked_until)


def _store(executor, key: str, state: KeyState, now: datetime) -> None:
    """Write a key's new state; a key with nothing left to remember loses its row."""
    if state.is_empty(now):
        executor.execute(delete(LoginThrottle).where(LoginThrottle.key == key))
        return
    executor.execute(update(LoginThrottle).where(LoginThrottle.key == key)
                     .values(drained_at=state.drained_at, blocked_until=state.blocked_until))


def settle_success(reservation: Reservation, username: str) -> None:
    """A right password, in the request's transaction: the account's failures and this
    device's are forgiven; the address only takes back this attempt's count (one right
    password must not wipe out an address's guesses at other accounts)."""
    now = utcnow()
    forgiven = [throttle.account_key(username),
                *(key for key in reservation.limits if not _is_address(key))]
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(forgiven)))
    for key, limit in reservation.limits.items():
        if _is_address(key):
            current = _locked_state(db.session, key, None)
            _store(db.session, key,
                   throttle.refund(current, reservation.written[key], limit, now), now)


@dataclass(frozen=True)
class ThrottleState:
    """What a teacher sees of an account's login throttle."""

    failures: int
    blocked_until: datetime | None


def account_states(limits: Limits, users: list[User]) -> dict[int, ThrottleState]:
    """The account throttle of each of ``users`` with failures still counted, by user id."""
    by_key = {throttle.account_key(u.username): u.id for u in users}
    if not by_key:
        return {}
    now = utcnow()
    rows = db.session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(list(by_key))))
    states = {}
    for row in rows:
        state = KeyState(row.drained_at, row.blocked_until)
        failures = math.ceil(throttle.level(state, limits.account, now) - throttle.EPSILON)
        waiting = throttle.wait(state, now)
        if failures or waiting:
            states[by_key[row.key]] = ThrottleState(failures, now + waiting if waiting else None)
    return states


def clear_login_throttle(actor: User, target: User) -> None:
    """Whoever may reset a user's password may clear that user's login delays (the
    account's and its known devices'); each clearing is logged."""
    require(actor, "user.clear_login_throttle", target)
    forget_account(target.username)
    log.info("login throttle of %s cleared by %s", target.username, actor.username)


def forget_account(username: str) -> None:
    """Drop every failure counted against an account and its known devices."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.username == username))


def sweep() -> int:
    """Delete the rows of keys with nothing left to remember; returns how many."""
    now = utcnow()
    result = db.session.execute(delete(LoginThrottle).where(
        or_(LoginThrottle.drained_at.is_(None), LoginThrottle.drained_at <= now),
        or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until <= now)))
    return result.rowcount
