"""Builders for schema-1 question payloads (docs/question-payloads.md) from what the formats
read, and the rules that map Moodle's graded answers onto our types.

Moodle grades every choice; our ``single_choice`` has exactly one correct option and our
``multiple_response`` scores by right/wrong options. Grades that do not fit are reported.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from decimal import Decimal

from . import grades
from .markup import decimal_string

MAX_OPTIONS = 8
OPTION_IDS = string.ascii_lowercase


def base(kind: str, text_html: str, feedback_html: str = "") -> dict:
    """Fields every payload has."""
    return {"schema": 1, "type": kind, "text_html": text_html, "feedback_html": feedback_html,
            "solution_html": ""}


def true_false(text_html, answer: bool, feedback_true="", feedback_false="", general=""):
    """A ``true_false`` payload."""
    return {**base("true_false", text_html, general), "answer": answer,
            "feedback_true_html": feedback_true, "feedback_false_html": feedback_false}


def short_text(text_html, answers: list[tuple[str, Decimal]], general="", case_sensitive=False):
    """A ``short_text`` payload; answers are (text, fraction)."""
    return {**base("short_text", text_html, general),
            "answers": [{"text": t, "fraction": decimal_string(f)} for t, f in answers],
            "case_sensitive": case_sensitive, "ignore_diacritics": False}


def short_numeric(text_html, answers: list[tuple[Decimal, Decimal, Decimal]], general=""):
    """A ``short_numeric`` payload; answers are (value, tolerance, fraction)."""
    return {**base("short_numeric", text_html, general),
            "answers": [{"value": decimal_string(v), "tolerance": decimal_string(t),
                         "fraction": decimal_string(f)} for v, t, f in answers],
            "format_2025": False}


def matching(text_html, pairs: list[tuple[str, str]], distractors: list[str], general="",
             shuffle=True):
    """A ``matching`` payload; pairs are (left_html, right_html), ids '1', '2', …"""
    return {**base("matching", text_html, general),
            "pairs": [{"id": str(i), "left_html": left, "right_html": right}
                      for i, (left, right) in enumerate(pairs, 1)],
            "distractors": distractors, "shuffle": shuffle}


def essay(text_html, general="", reference_html=""):
    """An ``essay`` payload (manual grading, no rubric)."""
    return {**base("essay", text_html, general), "rubric": [], "min_words": 0, "max_words": 0,
            "reference_html": reference_html}


def description(text_html, general=""):
    """A ``description`` payload (information only)."""
    return base("description", text_html, general)


@dataclass
class Choice:
    """A graded choice as Moodle stores it."""

    text_html: str
    fraction: Decimal
    feedback_html: str = ""


@dataclass
class Outcome:
    """A payload, or the errors that stopped it; warnings either way: (code, message)."""

    payload: dict | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)


def check_grades(fractions: list[Decimal]) -> tuple[str, str] | None:
    """``invalidgradequestion`` when a fraction is not one of Moodle's grade options."""
    invalid = [f for f in fractions if grades.match_grade(f) is None]
    if invalid:
        return ("invalidgradequestion", grades.invalid_grades_message(invalid))
    return None


def choice_question(text_html, choices: list[Choice], single: bool, general="",
                    shuffle=True) -> Outcome:
    """Moodle multichoice → ``single_choice`` (single) or ``multiple_response`` (multiple)."""
    count_problem = _count_problem(len(choices))
    if count_problem:
        return Outcome(errors=[count_problem])
    fractions = [c.fraction for c in choices]
    problem = check_grades(fractions) or (
        grades.single_answer_problem(fractions) if single
        else grades.multiple_answer_problem(fractions))
    if problem:
        return Outcome(errors=[problem])
    return _single(text_html, choices, general, shuffle) if single else _multiple(
        text_html, choices, general, shuffle)


def _count_problem(count: int) -> tuple[str, str] | None:
    if count < 2:
        return ("notenoughanswers",
                f"Câu trắc nghiệm cần ít nhất 2 phương án; tìm thấy {count}.")
    if count > MAX_OPTIONS:
        return ("toomanyanswers",
                f"Câu trắc nghiệm có tối đa {MAX_OPTIONS} phương án; tìm thấy {count}.")
    return None


def _options(choices: list[Choice], correct: list[bool]) -> list[dict]:
    pairs = enumerate(zip(choices, correct, strict=True))
    return [{"id": OPTION_IDS[i], "text_html": c.text_html, "correct": ok,
             "feedback_html": c.feedback_html} for i, (c, ok) in pairs]


def _single(text_html, choices, general, shuffle) -> Outcome:
    correct = [c.fraction == 1 for c in choices]
    if sum(correct) > 1:
        return Outcome(errors=[("multiplecorrect",
                                "Câu một đáp án chỉ được có đúng một phương án 100%; tìm thấy "
                                f"{sum(correct)}. Hãy dùng trọng số %…% cho câu nhiều đáp án.")])
    outcome = Outcome(payload={**base("single_choice", text_html, general),
                               "options": _options(choices, correct), "shuffle": shuffle,
                               "pinned": []})
    if any(0 < c.fraction < 1 for c in choices):
        outcome.warnings.append(("partialcredit", "Điểm một phần (0 < điểm < 100%) không được "
                                 "hỗ trợ ở câu một đáp án; các phương án đó được tính là sai."))
    return outcome


def _multiple(text_html, choices, general, shuffle) -> Outcome:
    correct = [c.fraction > 0 for c in choices]
    outcome = Outcome(payload={**base("multiple_response", text_html, general),
                               "options": _options(choices, correct), "shuffle": shuffle,
                               "pinned": []})
    if len({c.fraction for c in choices if c.fraction > 0}) > 1:
        outcome.warnings.append(("unequalweights", "Các phương án đúng có trọng số khác nhau; "
                                 "câu nhiều đáp án chấm đều nhau nên trọng số bị bỏ qua."))
    return outcome
