"""Students' question views built once per published snapshot (issue 4 §6 S2: a start showed
40 questions, and building each view — type dispatch, rendered texts, the per-attempt ids — was
most of the payload's CPU).

A slot's view depends on its payload (fixed for a ``snapshot_rev``) and on the attempt's random
ids. So the view is built once with placeholder ids (``\\x00<n>\\x00``, never in a sanitised
text) and each attempt copies it with its own ids put in — where an id is a whole value
(``"id"``) or inside a text (a cloze's ``[[gap]]`` markers). A view whose *shape* depends on the
ids (an ordering question whose items have equal texts is listed by id among them) is detected
when the template is made: it is built a second time with the placeholders in reverse order,
and if that is not the first build with the placeholders swapped, the slot has no template and
is built directly for each attempt, as before. So the cached path gives exactly what
``student_view(payload, ids_map)`` gives (tests/lms/test_exams_views_cache.py compares both for
every type).

Parts of a view that hold no id (texts, media, a numeric gap's settings) are shared between
attempts, so views are read-only: the top-level dict is each attempt's own (``question_views``
replaces its ``options`` with the attempt's order), nothing below it may be changed in place.

Templates are kept per (exam id, ``snapshot_rev``) — the key of ``snapshots`` — and used only
when the exam's snapshot is the cached list of that key (a request that edited its snapshot
copies it first, so it never meets a template of the old one).
"""

import re
import threading
from collections import OrderedDict

from lms.exams import snapshots
from question_bank import public_keys, student_view

_MARK = "\x00"
_PLACEHOLDER = re.compile("\x00[0-9]+\x00")

_templates: OrderedDict[tuple[int, int], dict] = OrderedDict()
_lock = threading.Lock()


def _keys(payload: dict) -> list[tuple[str | None, str]]:
    """(child index or None, stored key) of every id an attempt's ``ids_map`` holds for the
    slot, in the order ``_new_attempt`` makes them."""
    if payload["type"] == "stimulus":
        return [(str(i), key) for i, child in enumerate(payload["children"])
                for key in public_keys(child)]
    return [(None, key) for key in public_keys(payload)]


def _ids_map(keys: list, tokens: list[str]) -> dict:
    ids: dict = {}
    for (child, key), token in zip(keys, tokens, strict=True):
        (ids if child is None else ids.setdefault(child, {}))[key] = token
    return ids


def fill(node, ids: dict, marked: set[int] | None = None):
    """A copy of ``node`` with every placeholder replaced by ``ids[placeholder]``. With
    ``marked`` (the ids of the lists and dicts that hold a placeholder somewhere), a list or
    dict outside it is shared rather than copied."""
    kind = type(node)
    if kind is str:
        if _MARK not in node:
            return node
        found = ids.get(node)
        return found if found is not None else _PLACEHOLDER.sub(lambda m: ids[m[0]], node)
    if marked is not None and id(node) not in marked:
        return node
    if kind is dict:
        return {(fill(k, ids) if type(k) is str and _MARK in k else k): fill(v, ids, marked)
                for k, v in node.items()}
    if kind is list:
        return [fill(item, ids, marked) for item in node]
    return node


def _marked(node, found: set[int]) -> bool:
    """Whether ``node`` holds a placeholder; adds the ids of the containers that do."""
    kind = type(node)
    if kind is str:
        return _MARK in node
    if kind is dict:
        inside = [_marked(k, found) | _marked(v, found) for k, v in node.items()]
    elif kind is list:
        inside = [_marked(item, found) for item in node]
    else:
        return False
    if any(inside):
        found.add(id(node))
        return True
    return False


class Template:
    """One slot's view with placeholder ids, or ``view is None`` when the view's shape depends
    on the ids."""

    __slots__ = ("keys", "marked", "placeholders", "view")

    def __init__(self, payload: dict):
        self.keys = _keys(payload)
        count = len(self.keys)
        self.placeholders = [f"{_MARK}{n:05d}{_MARK}" for n in range(count)]
        view = student_view(payload, _ids_map(self.keys, self.placeholders))
        backwards = self.placeholders[::-1]
        swapped = fill(view, dict(zip(self.placeholders, backwards, strict=True)))
        same = swapped == student_view(payload, _ids_map(self.keys, backwards))
        self.view = view if same else None
        self.marked: set[int] = set()
        _marked(view, self.marked)
        self.marked.add(id(view))           # the top level is always a fresh dict

    def render(self, payload: dict, ids_map: dict | None) -> dict:
        """The student's view with this attempt's ids (the direct build when the attempt's
        map is not the one this template expects)."""
        if self.view is None or ids_map is None:
            return student_view(payload, ids_map)
        try:
            ids = {placeholder: (ids_map[key] if child is None else ids_map[child][key])
                   for placeholder, (child, key) in zip(self.placeholders, self.keys,
                                                        strict=True)}
        except (KeyError, TypeError):   # an id missing: the direct build shows the stored key
            return student_view(payload, ids_map)
        # ids the view does not use change nothing; parts without ids are shared (read-only)
        return fill(self.view, ids, self.marked)


def templates(exam) -> dict[int, Template] | None:
    """slot → template for a published exam whose snapshot is the cached one, else None."""
    key = (exam.id, exam.snapshot_rev)
    snapshot = exam.snapshot
    if not exam.snapshot_rev or snapshots.get(*key) is not snapshot:
        return None
    with _lock:
        found = _templates.get(key)
        if found is not None:
            _templates.move_to_end(key)
            return found
    made = {entry["slot"]: Template(entry["payload"]) for entry in snapshot}
    with _lock:
        _templates[key] = made
        while len(_templates) > snapshots.MAX_EXAMS:
            _templates.popitem(last=False)
    return made


def clear() -> None:
    with _lock:
        _templates.clear()
