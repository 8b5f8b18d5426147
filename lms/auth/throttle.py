"""Login throttling rules as plain functions of a key's state and the time (no database).

Every failed login is counted against keys: the client address, the account (when the client
is not a known device of that account) or the known device. A key's count drains at
``allowance`` failures per ``window``, so a key only ever holds failures that are not yet
forgiven (a leaky bucket). The state is one moment, ``drained_at``: when everything counted
so far will have drained. ``level = (drained_at - now) / interval`` with
``interval = window / allowance``.

Once a failure brings a key's level to its allowance, the key waits: the next attempt is
refused with a delay that starts at ``first_delay`` and doubles with each further failure,
up to ``max_delay``. Refused attempts never reach the password check and are not counted.
"""

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

#: Delays stop doubling after this many failures past the allowance, and a key's level stops
#: rising there too, so a key forgets a long attack within a bounded time.
MAX_DOUBLINGS = 20
#: Float tolerance on levels computed from microsecond timestamps.
EPSILON = 1e-9


@dataclass(frozen=True)
class Limit:
    """How many failures a key is allowed per window, and the delays past that."""

    allowance: int
    window: timedelta
    first_delay: timedelta
    max_delay: timedelta

    @property
    def interval(self) -> timedelta:
        """How long one counted failure takes to drain."""
        return self.window / max(self.allowance, 1)


@dataclass(frozen=True)
class KeyState:
    """What is stored for a key: when its failures drain, and until when it must wait."""

    drained_at: datetime | None = None
    blocked_until: datetime | None = None

    def is_empty(self, now: datetime) -> bool:
        """Nothing left to remember: no failure still counted, no wait."""
        return ((self.drained_at is None or self.drained_at <= now)
                and (self.blocked_until is None or self.blocked_until <= now))


def level(state: KeyState, limit: Limit, now: datetime) -> float:
    """Failures of this key not yet forgiven (fractional while draining)."""
    if state.drained_at is None or state.drained_at <= now:
        return 0.0
    return (state.drained_at - now) / limit.interval


def wait(state: KeyState, now: datetime) -> timedelta:
    """How long an attempt on this key must still wait (zero: it may try now)."""
    if state.blocked_until is None or state.blocked_until <= now:
        return timedelta(0)
    return state.blocked_until - now


def delay_after(failures: float, limit: Limit) -> timedelta:
    """The wait imposed after a failure that leaves ``failures`` counted: none below the
    allowance, then ``first_delay`` doubling per further failure, capped at ``max_delay``."""
    past = failures - limit.allowance
    if past < -EPSILON:
        return timedelta(0)
    # Rounded up: a failure a moment after the last one, when a sliver has drained, still
    # counts as one more past the allowance.
    doublings = min(max(math.ceil(past - EPSILON), 0), MAX_DOUBLINGS)
    return min(limit.first_delay * (2 ** doublings), limit.max_delay)


def after_failure(state: KeyState, limit: Limit, now: datetime) -> KeyState:
    """The state once one more failure is counted (the caller checked ``wait`` is zero)."""
    start = max(state.drained_at or now, now)
    ceiling = now + limit.interval * (limit.allowance + MAX_DOUBLINGS)
    drained_at = min(start + limit.interval, ceiling)
    delay = delay_after(level(KeyState(drained_at), limit, now), limit)
    return KeyState(drained_at, now + delay if delay else None)


def refund(current: KeyState, reserved: KeyState, limit: Limit, now: datetime) -> KeyState:
    """Take back one failure counted in advance (``reserved`` is what that count wrote):
    the attempt succeeded, so it was no failure. A wait that count imposed is lifted; a
    later one, imposed by someone else's failure, stays."""
    drained_at = current.drained_at - limit.interval if current.drained_at else None
    blocked_until = current.blocked_until
    if blocked_until is not None and blocked_until == reserved.blocked_until:
        blocked_until = None
    return KeyState(drained_at if drained_at and drained_at > now else None, blocked_until)


def address_key(address: str) -> str:
    """The throttle key of a client address. IPv6 clients are counted per /64 network, the
    block one subscriber usually holds; anything unparseable is used as given."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"addr:{address[:64]}"
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.version == 6:
        return f"addr:{ipaddress.ip_network(f'{ip}/64', strict=False)}"
    return f"addr:{ip}"


def account_key(username: str) -> str:
    return f"acct:{username}"


def device_key(nonce: str) -> str:
    return f"dev:{nonce}"


def retry_seconds(delay: timedelta) -> int:
    """Whole seconds for a ``Retry-After`` header: rounded up, at least one."""
    return max(1, math.ceil(delay.total_seconds()))


@dataclass(frozen=True)
class Limits:
    """The limits of the three kinds of key, from the ``LOGIN_*`` settings."""

    account: Limit
    address: Limit
    device: Limit

    @classmethod
    def from_config(cls, config) -> "Limits":
        window = timedelta(seconds=float(config["LOGIN_WINDOW_SECONDS"]))
        first = timedelta(seconds=float(config["LOGIN_DELAY_SECONDS"]))
        account_cap = timedelta(seconds=float(config["LOGIN_ACCOUNT_MAX_DELAY_SECONDS"]))
        address_cap = timedelta(seconds=float(config["LOGIN_ADDRESS_MAX_DELAY_SECONDS"]))
        return cls(
            account=Limit(int(config["LOGIN_MAX_FAILURES_ACCOUNT"]), window, first, account_cap),
            address=Limit(int(config["LOGIN_MAX_FAILURES_ADDRESS"]), window, first, address_cap),
            # A device past its allowance only falls back to the account's rules, so its own
            # delays need no separate ceiling.
            device=Limit(int(config["LOGIN_MAX_FAILURES_DEVICE"]), window, first, account_cap),
        )
