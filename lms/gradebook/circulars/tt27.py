"""Thông tư 27/2020 (tiểu học) applied: which tests a subject has, and the year-end
evaluation of a pupil — plain values in, plain values out.

Subjects and activities are rated Hoàn thành tốt (T) / Hoàn thành (H) / Chưa hoàn thành (C);
qualities and competences Tốt (T) / Đạt (Đ) / Cần cố gắng (C); periodic tests are whole
numbers 0–10 (:func:`scores.parse_score` with ``whole=True``).
"""

from collections.abc import Mapping
from dataclasses import dataclass

from lms.gradebook.circulars.rulesets import Tt27Rules


def has_test(rules: Tt27Rules, subject: str, grade: int, mid_term: bool = False) -> bool:
    """Whether ``subject`` has a periodic test in ``grade``: at the end of term I and of the
    year for the tested subjects, also at mid-term for Tiếng Việt and Toán in grades 4–5."""
    if mid_term:
        return subject in rules.mid_tested and grade in rules.mid_test_grades
    return subject in rules.tested


@dataclass(frozen=True)
class YearEvaluation:
    code: str
    title: str


def year_evaluation(rules: Tt27Rules, subjects: Mapping[str, str | None],
                    qualities: Mapping[str, str | None],
                    tests: Mapping[str, int | None]) -> YearEvaluation | None:
    """The year-end level (Điều 14): ``subjects`` are the end-of-year ratings of every subject
    and activity, ``qualities`` of every quality and competence, ``tests`` the end-of-year
    test scores of the tested subjects. None while anything is missing."""
    values = [*subjects.values(), *qualities.values(), *tests.values()]
    if not subjects or not qualities or any(value is None for value in values):
        return None
    for level in rules.levels:
        if (all(r in level.subjects for r in subjects.values())
                and all(r in level.qualities for r in qualities.values())
                and all(score >= level.min_test for score in tests.values())):
            return YearEvaluation(level.code, level.title)
    return YearEvaluation(*rules.fallback)
