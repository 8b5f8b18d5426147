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


#: A hash to verify against when the user does not exist, so timing does not reveal it.
_DUMMY = PasswordHasher(memory_cost=8192, time_cost=1, parallelism=1).hash("dummy")


def burn_time(password: str) -> None:
    verify_password(_DUMMY, password)


def generate_password(length: int = 8) -> str:
    """A readable random password for credential slips."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
