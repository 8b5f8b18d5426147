"""Where the shared conformance fixtures live: ../shared/fixtures next to the repository.

Every test reading them goes through this module. A git worktree or CI's clone sits elsewhere,
so ``HOCLIEU_SHARED_FIXTURES`` may name the folder instead. A missing fixture skips the test on
a developer's machine and fails it under ``CI=true`` (tests/environment.py).
"""

import os
from pathlib import Path

from tests.environment import unavailable


def fixtures_folder(environ=os.environ) -> Path:
    """``HOCLIEU_SHARED_FIXTURES`` when set, else ../shared/fixtures beside the checkout."""
    return Path(environ.get("HOCLIEU_SHARED_FIXTURES")
                or Path(__file__).resolve().parents[2].parent / "shared" / "fixtures")


FIXTURES = fixtures_folder()


def fixture_path(relative: str, folder: Path = FIXTURES) -> Path:
    """The path of a shared fixture file, or :func:`unavailable` when it is absent."""
    path = folder / relative
    if not path.is_file():
        unavailable(f"shared fixture {relative} is absent from {folder} "
                    "(set HOCLIEU_SHARED_FIXTURES)")
    return path


def fixture_bytes(relative: str) -> bytes:
    return fixture_path(relative).read_bytes()
