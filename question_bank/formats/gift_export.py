"""GIFT export: every payload type GIFT can express, so that ``parse_gift(export_gift(x))``
gives ``x`` back for the fields GIFT carries.

Texts are written as ``[html]`` with GIFT's special characters backslash-escaped and newlines
as ``\\n``. A stem holding the blank ``_____`` gets the braces there (missing word). Not
expressible (lost): ``solution_html``; per-answer feedback of short/numeric answers; option
pinning and ``shuffle: false``; ``case_sensitive``/``ignore_diacritics``; ``format_2025``;
essay rubric and word limits; and the types ``true_false_4``, ``ordering``, ``cloze``,
``stimulus`` (refused with ExportError).
"""

from __future__ import annotations

from .export_common import percent_text, share, unpack, unsupported
from .gift import BLANK
from .markup import html_to_text

_SPECIAL = "\\~=#{}:"


def escape(text: str) -> str:
    """GIFT escapes for ~ = # { } : and backslash; newlines become \\n."""
    out = "".join("\\" + ch if ch in _SPECIAL else ch for ch in text)
    return out.replace("\r\n", "\n").replace("\n", "\\n")


def _html(text: str) -> str:
    """An HTML field: escaped, with a leading '[' or '%' written as an entity so it is never
    read as a format prefix or a weight."""
    if text[:1] == "[":
        text = "&#91;" + text[1:]
    elif text[:1] == "%":
        text = "&#37;" + text[1:]
    return escape(text)


def _feedback(html: str) -> str:
    return f"#{_html(html)}" if html else ""


def _general(payload: dict) -> str:
    general = payload.get("feedback_html", "")
    return f"####{_html(general)}" if general else ""


def _choices(payload: dict) -> str:
    lines = [("=" if o["correct"] else "~") + _html(o["text_html"]) + _feedback(o["feedback_html"])
             for o in payload["options"]]
    return "\n".join(lines)


def _weighted_choices(payload: dict) -> str:
    correct = [o for o in payload["options"] if o["correct"]]
    right = percent_text(share(len(correct)))
    lines = [f"~%{right if o['correct'] else '-' + right}%" + _html(o["text_html"])
             + _feedback(o["feedback_html"]) for o in payload["options"]]
    return "\n".join(lines)


def _true_false(payload: dict) -> str:
    right, wrong = payload["feedback_true_html"], payload["feedback_false_html"]
    if not payload["answer"]:
        right, wrong = wrong, right
    parts = ["TRUE" if payload["answer"] else "FALSE"]
    if wrong or right:
        parts.append(_html(wrong))
    if right:
        parts.append(_html(right))
    return "#".join(parts)


def _short(payload: dict) -> str:
    return "\n".join(f"=%{percent_text(a['fraction'])}%{escape(a['text'])}"
                     for a in payload["answers"])


def _numeric(payload: dict) -> str:
    return "#" + "\n".join(f"=%{percent_text(a['fraction'])}%{a['value']}:{a['tolerance']}"
                           for a in payload["answers"])


def _matching(payload: dict) -> str:
    lines = [f"={_html(p['left_html'])} -> {escape(html_to_text(p['right_html']))}"
             for p in payload["pairs"]]
    lines += [f"= -> {escape(html_to_text(d))}" for d in payload.get("distractors", [])]
    return "\n".join(lines)


_ANSWERS = {
    "single_choice": _choices,
    "multiple_response": _weighted_choices,
    "true_false": _true_false,
    "short_text": _short,
    "short_numeric": _numeric,
    "matching": _matching,
    "essay": lambda payload: "",
}


def question_gift(payload: dict, title: str = "") -> str:
    """One question in GIFT (without category or comment lines)."""
    head = f"::{escape(title)}::" if title else ""
    stem = "[html]" + _html(payload["text_html"])
    if payload["type"] == "description":
        return head + stem
    answers = "\n".join(part for part in (_ANSWERS[payload["type"]](payload), _general(payload))
                        if part)
    block = "{\n" + answers + "\n}" if answers else "{}"
    before, blank, after = stem.partition(BLANK)
    if blank and after.strip():
        return head + before + block + after
    return head + stem + block


def export_gift(questions, skip_unsupported: bool = False) -> str:
    """Write payloads (or ParsedQuestions) as a GIFT file; categories become $CATEGORY lines and
    titles ``::name::`` (an untitled question is written without one, as GIFT allows).

    A type GIFT cannot express raises ExportError, or with ``skip_unsupported`` is left out
    with a comment saying so."""
    blocks, category = [], None
    for number, item in enumerate(questions, 1):
        payload, title, item_category, tags, idnumber = unpack(item)
        kind = payload.get("type")
        if kind not in _ANSWERS and kind != "description":
            if not skip_unsupported:
                raise unsupported(number, kind, "GIFT")
            blocks.append(f"// Câu {number}: loại '{kind}' không ghi được sang GIFT, bỏ qua.")
            continue
        if item_category and item_category != category:
            category = item_category
            blocks.append(f"$CATEGORY: $course$/{item_category}")
        marks = [f"[tag:{t}]" for t in tags] + ([f"[id:{idnumber}]"] if idnumber else [])
        comment = f"// {' '.join(marks)}\n" if marks else ""
        blocks.append(comment + question_gift(payload, title))
    return "\n\n".join(blocks) + "\n"
