"""Published exam snapshots, parsed once per process (issue 4 §6: every attempt request
needs the 40-question snapshot, and decoding its JSON was the largest item of an autosave).

The key is (exam id, ``snapshot_rev``). ``snapshot_rev`` gets a new random value whenever the
snapshot is written — ``services.publish`` sets it with the snapshot, and an ORM write (the
regrade in ``lms/exams/grading.py``) gets one on flush (``models._snapshot_rev``) — so a
request that reads the exam row sees either the key of what it would read or a miss, never an
old snapshot. Random rather than a counter: SQLite may give a deleted exam's id to a new one,
and a counter restarting at 1 would meet the old entry.

``Exam.snapshot`` is a deferred column: loading an exam attaches the cached list when there is
one (``attach``); otherwise the first read of ``exam.snapshot`` loads the column and keeps it
(``loaded``). The cached lists are shared by every request of the process: never mutate them
(copy first, as the regrade does).
"""

import secrets
import threading
from collections import OrderedDict

from sqlalchemy import inspect
from sqlalchemy.orm.attributes import set_committed_value

#: Exams kept per process (least recently used dropped first); a 40-question snapshot is a few
#: hundred kB parsed, and a school runs a handful of tests at once.
MAX_EXAMS = 64

_cache: OrderedDict[tuple[int, int], list] = OrderedDict()
_lock = threading.Lock()


def new_rev() -> int:
    """A fresh non-zero cache key part (0 means: never written)."""
    return secrets.randbelow(2**31 - 2) + 1


def get(exam_id: int, rev: int) -> list | None:
    with _lock:
        snapshot = _cache.get((exam_id, rev))
        if snapshot is not None:
            _cache.move_to_end((exam_id, rev))
        return snapshot


def remember(exam_id: int, rev: int, snapshot: list) -> None:
    """Keep ``snapshot`` (as it reads back from the database) for (exam_id, rev)."""
    if not rev or not isinstance(snapshot, list):
        return
    with _lock:
        _cache[(exam_id, rev)] = snapshot
        _cache.move_to_end((exam_id, rev))
        while len(_cache) > MAX_EXAMS:
            _cache.popitem(last=False)


def clear() -> None:
    with _lock:
        _cache.clear()


def attach(exam) -> None:
    """Give a just-loaded exam its cached snapshot (no query) when its key is cached."""
    values = exam.__dict__
    if "snapshot" in values or "snapshot_rev" not in values or "id" not in values:
        return
    snapshot = get(values["id"], values["snapshot_rev"])
    if snapshot is not None:
        set_committed_value(exam, "snapshot", snapshot)


def loaded(exam) -> None:
    """The deferred column was just read: keep it under the key read with the row."""
    values = exam.__dict__
    if "snapshot_rev" in values and "id" in values and "snapshot" in values:
        remember(values["id"], values["snapshot_rev"], values["snapshot"])


def written(exam) -> bool:
    """True when this flush writes ``snapshot`` (a new exam with one, or a changed one)."""
    return bool(inspect(exam).attrs.snapshot.history.added)
