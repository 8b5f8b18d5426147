"""The regrade page's key form: read a corrected key of any objective question type from an
HTML form into a payload for ``grading.regrade`` (the same service the API calls, which
validates it and checks that the ids students answered with are unchanged).

Field names (``p`` is the prefix: "" for the slot, ``c<index>-`` for a stimulus child):

- choice types: ``p correct`` (one value for single choice, several for multiple response);
- ``true_false``: ``p answer`` = true | false; ``true_false_4``: ``p answer-<statement id>``;
- ``short_text`` / ``short_numeric``: answer rows ``p ans-<i>-text`` (or ``-value`` and
  ``-tolerance``) and ``p ans-<i>-fraction``; a row with no text/value is dropped, so the
  page offers a few empty rows to add accepted answers; ``p case_sensitive``,
  ``p ignore_diacritics`` checkboxes (text);
- ``matching``: ``p left-<pair id>``, ``p right-<pair id>``, ``p distractor-<n>`` texts (the
  key of a matching question is which right-side text each pair has: a student's choice is
  counted correct when its text equals the pair's own);
- ``ordering``: ``p pos-<item id>`` = the item's place 1 … n in the correct order;
- ``cloze``: per gap ``p gap-<id>-points``, and the gap's answer rows (prefix
  ``p gap-<id>-``) or its dropdown ``p gap-<id>-correct``;
- ``stimulus``: each objective child with the prefix ``c<index>-``.

Apart from the ordering places (1 … n, each once: ``invalid_order``), nothing here decides
what is valid: a malformed value is passed on and comes back from ``validate_payload`` as
``invalid_payload`` with its problems.
"""

import copy

from flask_babel import lazy_gettext as _l

from lms.core.errors import DomainError
from lms.core.ids import parse_int
from question_bank import get_type

#: Empty rows offered under the accepted answers, to add new ones.
EXTRA_ROWS = 2


def editable(payload: dict) -> bool:
    """True for a payload whose key this form corrects: every objective type, and a stimulus
    with at least one objective child."""
    if payload["type"] == "stimulus":
        return any(editable(child) for child in payload.get("children") or [])
    return get_type(payload["type"]).auto_scored


def answer_rows(answers: list[dict]) -> int:
    """How many answer rows the page shows: the current ones and ``EXTRA_ROWS`` empty."""
    return len(answers) + EXTRA_ROWS


def key_from_form(payload: dict, form, prefix: str = "") -> dict:
    """A copy of ``payload`` with the key the form gives (module docstring)."""
    new = copy.deepcopy(payload)
    kind = payload["type"]
    reader = READERS.get(kind)
    if reader is not None:
        reader(new, form, prefix)
    return new


def _single(new, form, p):
    for option in new["options"]:
        option["correct"] = option["id"] == form.get(f"{p}correct")


def _multiple(new, form, p):
    chosen = set(form.getlist(f"{p}correct"))
    for option in new["options"]:
        option["correct"] = option["id"] in chosen


def _true_false(new, form, p):
    new["answer"] = form.get(f"{p}answer") == "true"


def _true_false_4(new, form, p):
    for statement in new["statements"]:
        statement["answer"] = form.get(f"{p}answer-{statement['id']}") == "true"


def _answers(form, p: str, old: list[dict], numeric: bool) -> list[dict]:
    """The accepted answers from rows ``p ans-<i>-…``; rows without text/value dropped."""
    rows = []
    for i in range(answer_rows(old)):
        field = "value" if numeric else "text"
        given = (form.get(f"{p}ans-{i}-{field}") or "").strip()
        if not given:
            continue
        row = {field: given, "fraction": (form.get(f"{p}ans-{i}-fraction") or "").strip()
               or "1"}
        if numeric:
            row["tolerance"] = (form.get(f"{p}ans-{i}-tolerance") or "").strip() or "0"
        rows.append(row)
    return rows


def _text_options(new, form, p):
    new["case_sensitive"] = bool(form.get(f"{p}case_sensitive"))
    new["ignore_diacritics"] = bool(form.get(f"{p}ignore_diacritics"))


def _short_text(new, form, p):
    new["answers"] = _answers(form, p, new["answers"], numeric=False)
    _text_options(new, form, p)


def _short_numeric(new, form, p):
    new["answers"] = _answers(form, p, new["answers"], numeric=True)


def _matching(new, form, p):
    for pair in new["pairs"]:
        pair["left_html"] = form.get(f"{p}left-{pair['id']}", pair["left_html"])
        pair["right_html"] = form.get(f"{p}right-{pair['id']}", pair["right_html"])
    new["distractors"] = [form.get(f"{p}distractor-{n}", text)
                          for n, text in enumerate(new["distractors"], start=1)]


def _ordering(new, form, p):
    """Items in the order of the places typed, which must be 1 … n, each once."""
    count = len(new["items"])
    places = {}
    for item in new["items"]:
        raw = (form.get(f"{p}pos-{item['id']}") or "").strip()
        places[item["id"]] = parse_int(raw) or 0
    if sorted(places.values()) != list(range(1, count + 1)):
        raise DomainError(_l("Thứ tự đúng: mỗi mục cần một vị trí khác nhau từ 1 đến %(n)s.",
                             n=count), code="invalid_order")
    new["items"] = sorted(new["items"], key=lambda item: places[item["id"]])


def _cloze(new, form, p):
    for gap in new["gaps"]:
        g = f"{p}gap-{gap['id']}-"
        gap["points"] = (form.get(f"{g}points") or "").strip() or gap["points"]
        if gap["kind"] == "dropdown":
            for option in gap["options"]:
                option["correct"] = option["id"] == form.get(f"{g}correct")
        else:
            gap["answers"] = _answers(form, g, gap["answers"], numeric=gap["kind"] == "numeric")
            if gap["kind"] == "text":
                _text_options(gap, form, g)


def _stimulus(new, form, p):
    new["children"] = [key_from_form(child, form, f"{p}c{index}-")
                       if editable(child) else child
                       for index, child in enumerate(new["children"])]


READERS = {"single_choice": _single, "multiple_response": _multiple,
           "true_false": _true_false, "true_false_4": _true_false_4,
           "short_text": _short_text, "short_numeric": _short_numeric,
           "matching": _matching, "ordering": _ordering, "cloze": _cloze,
           "stimulus": _stimulus}
