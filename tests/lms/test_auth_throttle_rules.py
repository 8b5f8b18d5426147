"""The login throttle's rules and device tokens as plain functions (no app, no database)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from lms.auth import devices
from lms.auth.throttle import (
    MAX_DOUBLINGS,
    KeyState,
    Limit,
    address_key,
    after_failure,
    delay_after,
    level,
    refund,
    retry_seconds,
    wait,
)

T0 = datetime(2026, 12, 1, 7, 0, 0)
ACCOUNT = Limit(allowance=5, window=timedelta(minutes=15), first_delay=timedelta(seconds=1),
                max_delay=timedelta(seconds=60))


def fail(times: int, state: KeyState | None = None, limit: Limit = ACCOUNT, now=T0) -> KeyState:
    state = state or KeyState()
    for _ in range(times):
        state = after_failure(state, limit, now)
    return state


@pytest.mark.parametrize(("failures", "seconds"), [
    (0, 0), (4, 0), (4.99, 0), (5, 1), (5.5, 2), (6, 2), (7, 4), (10, 32), (11, 60), (500, 60)])
def test_delay_starts_at_the_allowance_doubles_and_is_capped(failures, seconds):
    assert delay_after(failures, ACCOUNT) == timedelta(seconds=seconds)


def test_failures_below_the_allowance_never_wait():
    state = fail(4)
    assert level(state, ACCOUNT, T0) == pytest.approx(4)
    assert wait(state, T0) == timedelta(0)
    fifth = after_failure(state, ACCOUNT, T0)
    assert wait(fifth, T0) == timedelta(seconds=1)
    assert wait(after_failure(fifth, ACCOUNT, T0 + timedelta(seconds=1)),
                T0 + timedelta(seconds=1)) == timedelta(seconds=2)


def test_failures_drain_at_the_allowance_per_window():
    state = fail(5)
    interval = ACCOUNT.window / 5
    assert level(state, ACCOUNT, T0 + interval) == pytest.approx(4)
    assert level(state, ACCOUNT, T0 + ACCOUNT.window) == 0
    assert not state.is_empty(T0) and state.is_empty(T0 + ACCOUNT.window)
    # Spread out at the drain rate, failures never add up to a wait.
    spread = KeyState()
    for n in range(50):
        spread = after_failure(spread, ACCOUNT, T0 + n * interval)
        assert wait(spread, T0 + n * interval) == timedelta(0)


def test_a_long_attack_is_forgotten_in_bounded_time():
    state = fail(10_000)
    bound = ACCOUNT.interval * (ACCOUNT.allowance + MAX_DOUBLINGS)
    assert state.drained_at == T0 + bound
    assert wait(state, T0) == ACCOUNT.max_delay


def test_refund_takes_back_one_count_and_only_its_own_wait():
    before = fail(4)
    reserved = after_failure(before, ACCOUNT, T0)            # the 5th attempt: waits 1 s
    assert refund(reserved, reserved, ACCOUNT, T0) == KeyState(before.drained_at, None)
    # Someone else's later failure imposed its own wait: it stays.
    later = T0 + timedelta(seconds=2)
    theirs = after_failure(reserved, ACCOUNT, later)
    back = refund(theirs, reserved, ACCOUNT, later)
    assert back.blocked_until == theirs.blocked_until
    assert level(back, ACCOUNT, later) == pytest.approx(level(theirs, ACCOUNT, later) - 1)
    assert refund(after_failure(KeyState(), ACCOUNT, T0), after_failure(KeyState(), ACCOUNT, T0),
                  ACCOUNT, T0).is_empty(T0)


@pytest.mark.parametrize(("address", "key"), [
    ("203.0.113.7", "addr:203.0.113.7"),
    ("2001:db8:1:2:aaaa::1", "addr:2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff::9", "addr:2001:db8:1:2::/64"),
    ("::ffff:203.0.113.7", "addr:203.0.113.7"),
    ("unknown", "addr:unknown"),
    ("x" * 500, "addr:" + "x" * 64),
])
def test_address_keys_group_an_ipv6_subscriber(address, key):
    assert address_key(address) == key


def test_retry_seconds_round_up():
    assert retry_seconds(timedelta(milliseconds=1)) == 1
    assert retry_seconds(timedelta(seconds=1.2)) == 2
    assert retry_seconds(timedelta(seconds=60)) == 60


def test_device_tokens_are_signed_and_bound_to_their_accounts():
    token = devices.remember("k1", [], "hsa", keep=3)
    entries = devices.read("k1", token, 3600)
    device = devices.device_id(entries, "hsa")
    assert device and devices.device_id(entries, "hsb") is None
    assert devices.read("another-secret", token, 3600) == []
    assert devices.read("k1", token[:-2] + "xx", 3600) == []
    assert devices.read("k1", "garbage", 3600) == []
    assert devices.read("k1", None, 3600) == []
    # The same device keeps its id for an account; the latest accounts are kept.
    again = devices.read("k1", devices.remember("k1", entries, "hsa", keep=3), 3600)
    assert devices.device_id(again, "hsa") == device
    for name in ("hsb", "hsc", "hsd"):
        again = devices.read("k1", devices.remember("k1", again, name, keep=3), 3600)
    assert [name for name, _ in again] == ["hsd", "hsc", "hsb"]


def test_device_tokens_expire():
    token = devices.remember("k1", [], "hsa", keep=3)
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=3601)):
        assert devices.read("k1", token, 3600) == []
        assert devices.read("k1", token, 7200) != []
