"""Where the shared conformance fixtures live: ../shared/fixtures next to the repository.

A git worktree sits elsewhere, so ``HOCLIEU_SHARED_FIXTURES`` may name the folder instead.
"""

import os
from pathlib import Path

import pytest

FIXTURES = Path(os.environ.get("HOCLIEU_SHARED_FIXTURES")
                or Path(__file__).resolve().parents[2].parent / "shared" / "fixtures")


def fixture_bytes(relative: str) -> bytes:
    """The bytes of a shared fixture, or skip the test when the fixtures are absent."""
    path = FIXTURES / relative
    if not path.is_file():
        pytest.skip(f"shared fixture {relative} is absent")
    return path.read_bytes()
