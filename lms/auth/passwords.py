"""Password hashing with Argon2id (memory-hard); cost comes from the configuration."""

import os
import secrets
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hashers: dict[tuple[int, int, int], PasswordHasher] = {}
#: Unambiguous characters for generated passwords (no 0/O, 1/l/I).
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def hasher(memory_kib: int, time_cost: int, parallelism: int) -> PasswordHasher:
    key = (memory_kib, time_cost, parallelism)
    if key not in _hashers:
        _hashers[key] = PasswordHasher(
            memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism
        )
    return _hashers[key]


def hash_password(password: str, cost: tuple[int, int, int]) -> str:
    return hasher(*cost).hash(password)


def hash_many(secrets_: list[str], cost: tuple[int, int, int]) -> list[str]:
    """Hash many passwords on every core (Argon2 releases the GIL): roster imports."""
    if len(secrets_) < 2:
        return [hash_password(s, cost) for s in secrets_]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(lambda s: hash_password(s, cost), secrets_))


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; any malformed hash counts as a mismatch."""
    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


#: Hashes to verify against when the user does not exist, one per cost.
_dummies: dict[tuple[int, int, int], str] = {}


def dummy_hash(cost: tuple[int, int, int]) -> str:
    """A hash made with the same Argon2 parameters as real ones (``cost``), so verifying
    against it costs what a real check costs."""
    if cost not in _dummies:
        _dummies[cost] = hash_password(secrets.token_urlsafe(16), cost)
    return _dummies[cost]


def burn_time(password: str, cost: tuple[int, int, int]) -> None:
    """Spend what checking ``password`` against a real hash of ``cost`` spends, so an
    unknown username answers as slowly as a wrong password (no enumeration by timing)."""
    verify_password(dummy_hash(cost), password)


def generate_password(length: int = 8) -> str:
    """A readable random password for credential slips."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
