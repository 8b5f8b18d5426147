"""What the suite needs from the machine, and what happens when something is missing.

On a developer's machine a missing tool (Chromium, pdftotext, ffmpeg) or the absent shared
fixtures (a fresh clone has no ../shared) skips the tests that need it, with the reason. On CI
(``CI=true``) every one of them must be there: a missing one fails the run instead of hiding
the tests behind a skip.
"""

import os
import shutil
from typing import NoReturn

import pytest


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def unavailable(reason: str) -> NoReturn:
    """Skip the test for ``reason``; under ``CI=true`` fail it instead."""
    if on_ci():
        pytest.fail(f"CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def require_binary(name: str, install: str) -> str:
    """The path of the executable ``name`` on PATH, else :func:`unavailable`."""
    found = shutil.which(name)
    if found is None:
        unavailable(f"{name} is not installed ({install})")
    return found
