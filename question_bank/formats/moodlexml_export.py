"""Moodle XML export: every payload type Moodle can express, so that
``parse_moodlexml(export_moodlexml(x))`` gives ``x`` back for the fields Moodle XML carries.

Mapping: single_choice/multiple_response → multichoice (single true/false; a multiple
response's correct options share 100 %, wrong ones take the same share off); true_false →
truefalse; short_text → shortanswer (usecase); short_numeric → numerical; matching →
matching (distractors are subquestions with empty text); essay → essay (graderinfo = reference,
min/max word limits); description; cloze → cloze with embedded answers; ordering → ordering
(qtype_ordering). The title is the ``<name>`` (the start of the text when there is none: Moodle
needs one). Not expressible: ``solution_html``, pinning, ``ignore_diacritics``, ``format_2025``,
essay rubric, and the types ``true_false_4``, ``stimulus`` (refused with ExportError).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 — building XML only; parsing uses defusedxml

from .cloze import gap_markup
from .export_common import percent_text, share, title_for, unpack, unsupported
from .markup import html_to_text


def _text_element(parent: ET.Element, tag: str, text: str, fmt: str | None = "html"):
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = text
    return element


def _answer(parent, fraction, text, feedback="", fmt="html"):
    answer = ET.SubElement(parent, "answer", {"fraction": percent_text(fraction), "format": fmt})
    ET.SubElement(answer, "text").text = text
    _text_element(answer, "feedback", feedback)
    return answer


def _flag(parent, tag: str, value: bool) -> None:
    ET.SubElement(parent, tag).text = "true" if value else "false"


def _choices(question, payload):
    single = payload["type"] == "single_choice"
    correct = sum(o["correct"] for o in payload["options"])
    right = 1 if single else share(correct)
    wrong = 0 if single else -right
    _flag(question, "single", single)
    _flag(question, "shuffleanswers", payload.get("shuffle", True))
    ET.SubElement(question, "answernumbering").text = "abc"
    for option in payload["options"]:
        _answer(question, right if option["correct"] else wrong, option["text_html"],
                option["feedback_html"])
    return "multichoice"


def _true_false(question, payload):
    for value in (True, False):
        feedback = payload["feedback_true_html" if value else "feedback_false_html"]
        _answer(question, 1 if payload["answer"] == value else 0, "true" if value else "false",
                feedback, "moodle_auto_format")
    return "truefalse"


def _short(question, payload):
    ET.SubElement(question, "usecase").text = "1" if payload.get("case_sensitive") else "0"
    for answer in payload["answers"]:
        _answer(question, answer["fraction"], answer["text"], fmt="moodle_auto_format")
    return "shortanswer"


def _numeric(question, payload):
    for item in payload["answers"]:
        answer = _answer(question, item["fraction"], item["value"], fmt="moodle_auto_format")
        ET.SubElement(answer, "tolerance").text = item["tolerance"]
    return "numerical"


def _matching(question, payload):
    _flag(question, "shuffleanswers", payload.get("shuffle", True))
    rights = [(p["left_html"], p["right_html"]) for p in payload["pairs"]]
    rights += [("", d) for d in payload.get("distractors", [])]
    for left, right in rights:
        sub = _text_element(question, "subquestion", left)
        ET.SubElement(ET.SubElement(sub, "answer"), "text").text = html_to_text(right)
    return "matching"


def _essay(question, payload):
    ET.SubElement(question, "responseformat").text = "editor"
    ET.SubElement(question, "responserequired").text = "1"
    ET.SubElement(question, "responsefieldlines").text = "15"
    for field, tag in (("min_words", "minwordlimit"), ("max_words", "maxwordlimit")):
        if payload.get(field):
            ET.SubElement(question, tag).text = str(payload[field])
    ET.SubElement(question, "attachments").text = "0"
    _text_element(question, "graderinfo", payload.get("reference_html", ""))
    return "essay"


def _ordering(question, payload):
    """qtype_ordering: every item is an <answer> whose fraction is its place (1, 2, …); all
    items shown, scored by the items in their right place, as our ``ordering`` is."""
    for tag, value in (("layouttype", "VERTICAL"), ("selecttype", "ALL"), ("selectcount", "0"),
                       ("gradingtype", "ABSOLUTE_POSITION"), ("showgrading", "SHOW"),
                       ("numberingstyle", "none")):
        ET.SubElement(question, tag).text = value
    for place, item in enumerate(payload["items"], 1):
        answer = ET.SubElement(question, "answer", {"fraction": str(place), "format": "html"})
        ET.SubElement(answer, "text").text = item["text_html"]
    return "ordering"


_WRITERS = {
    "single_choice": _choices,
    "multiple_response": _choices,
    "true_false": _true_false,
    "short_text": _short,
    "short_numeric": _numeric,
    "matching": _matching,
    "essay": _essay,
    "description": lambda question, payload: "description",
    "cloze": lambda question, payload: "cloze",
    "ordering": _ordering,
}


def _stem(payload: dict) -> str:
    """The question text; cloze gap markers become Moodle embedded answers."""
    if payload["type"] != "cloze":
        return payload["text_html"]
    gaps = {g["id"]: g for g in payload["gaps"]}
    return re.sub(r"\[\[(\w+)\]\]",
                  lambda m: gap_markup(gaps[m.group(1)]) if m.group(1) in gaps else m.group(0),
                  payload["text_html"])


def _question(quiz, payload, title, tags, idnumber) -> None:
    question = ET.SubElement(quiz, "question")
    _text_element(question, "name", title_for(payload, title), None)
    _text_element(question, "questiontext", _stem(payload))
    _text_element(question, "generalfeedback", payload.get("feedback_html", ""))
    ET.SubElement(question, "defaultgrade").text = "1"
    ET.SubElement(question, "penalty").text = "1" if payload["type"] == "true_false" else \
        "0.3333333"
    ET.SubElement(question, "hidden").text = "0"
    ET.SubElement(question, "idnumber").text = idnumber or ""
    question.set("type", _WRITERS[payload["type"]](question, payload))
    if tags:
        holder = ET.SubElement(question, "tags")
        for tag in tags:
            ET.SubElement(ET.SubElement(holder, "tag"), "text").text = tag


def _category(quiz, path: str) -> None:
    question = ET.SubElement(quiz, "question", {"type": "category"})
    ET.SubElement(ET.SubElement(question, "category"), "text").text = f"$course$/{path}"


def export_moodlexml(questions, skip_unsupported: bool = False) -> str:
    """Write payloads (or ParsedQuestions) as a Moodle XML <quiz>; a type Moodle cannot
    express raises ExportError, or with ``skip_unsupported`` is left out with a comment."""
    quiz, category = ET.Element("quiz"), None
    for number, item in enumerate(questions, 1):
        payload, title, item_category, tags, idnumber = unpack(item)
        if payload.get("type") not in _WRITERS:
            if not skip_unsupported:
                raise unsupported(number, payload.get("type"), "Moodle XML")
            quiz.append(ET.Comment(f" Câu {number}: loại '{payload.get('type')}' bị bỏ qua "))
            continue
        if item_category and item_category != category:
            category = item_category
            _category(quiz, item_category)
        _question(quiz, payload, title, tags, idnumber)
    ET.indent(quiz)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, encoding="unicode") \
        + "\n"
