"""What other areas give the gradebook, without the gradebook importing them.

Filled in one visible place, the application factory (``lms/app.py``):

- **score sources** (``register_source``): an area whose scores can fill a column — the
  exams area's published tests. A source answers in plain values: the tests a class can map,
  a test's title, the students' current scores on a 10-point scale.
- **absence counters** (``register_absences``): how many days each student missed in the
  school year (attendance, when that area exists). Promotion (TT22 Điều 12) reads the sum.
"""

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Protocol


class ScoreSourceAdapter(Protocol):
    """The interface a score source provides (see lms/exams/gradebook_feed.py)."""

    kind: str

    def choices(self, class_id: int, subject_id: int, user_id: int) -> list[dict]:
        """Sources the user may map for this class and subject: ``[{"id", "title"}]``."""

    def title(self, source_id: int) -> str | None:
        """A source's title, or None when it no longer exists."""

    def usable(self, source_id: int, class_id: int, subject_id: int, user_id: int) -> bool:
        """Whether the user may map this source to the class and subject."""

    def scores(self, source_id: int, student_ids: Iterable[int]) -> dict[int, Decimal | None]:
        """Each student's current score on the 10-point scale (not yet rounded)."""

    def follow(self, source_id: int) -> None:
        """A column now follows this source: announce its score changes from now on."""


SOURCES: dict[str, ScoreSourceAdapter] = {}
ABSENCE_COUNTERS: list[Callable[[int, list[int]], dict[int, int]]] = []


def register_source(adapter: ScoreSourceAdapter) -> None:
    SOURCES[adapter.kind] = adapter


def source(kind: str) -> ScoreSourceAdapter:
    """The registered source of ``kind``; an unknown kind fails loudly (KeyError)."""
    return SOURCES[kind]


def describe(kind: str, source_id: int) -> str | None:
    adapter = SOURCES.get(kind)
    return adapter.title(source_id) if adapter else None


def register_absences(counter: Callable[[int, list[int]], dict[int, int]]) -> None:
    """``counter(class_id, student_ids) -> {student_id: days absent}``."""
    if counter not in ABSENCE_COUNTERS:
        ABSENCE_COUNTERS.append(counter)


def absences(class_id: int, student_ids: list[int]) -> dict[int, int]:
    """Days absent per student from every registered counter; empty when none is
    registered (promotion then says absences are unknown)."""
    if not ABSENCE_COUNTERS:
        return {}
    totals = dict.fromkeys(student_ids, 0)
    for counter in ABSENCE_COUNTERS:
        for student_id, days in counter(class_id, student_ids).items():
            totals[student_id] = totals.get(student_id, 0) + days
    return totals
