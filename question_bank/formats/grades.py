"""Moodle's rules for answer grades (fractions), shared by the GIFT and Moodle XML readers.

A grade must be one of Moodle's fixed options (100 %, 90 %, 83.33333 %, …, their negatives),
within 0.00001; a single-answer question needs one 100 % answer (``errfractionsnomax``); the
positive grades of a multiple-answer question must add up to 100 % (``errfractionsaddwrong``).
"""

from __future__ import annotations

from decimal import Decimal

_POSITIVE = ("1", "0.9", "0.8333333", "0.8", "0.75", "0.7", "0.6666667", "0.6", "0.5", "0.4",
             "0.3333333", "0.3", "0.25", "0.2", "0.1666667", "0.1428571", "0.125",
             "0.1111111", "0.1", "0.05", "0")
GRADE_OPTIONS = tuple(Decimal(g) for g in _POSITIVE) + tuple(-Decimal(g) for g in _POSITIVE[:-1])
_TOLERANCE = Decimal("0.00001")


def match_grade(fraction: Decimal) -> Decimal | None:
    """The Moodle grade option equal to ``fraction`` (±0.00001), or None if there is none."""
    for option in GRADE_OPTIONS:
        if abs(fraction - option) < _TOLERANCE:
            return option
    return None


def percent(fraction: Decimal) -> str:
    """A fraction as Moodle prints a percentage: 2 → '200', 0.6 → '60'."""
    value = (fraction * 100).quantize(Decimal("0.00001")).normalize()
    return format(value, "f")


def invalid_grades_message(invalid: list[Decimal]) -> str:
    """Vietnamese form of Moodle's ``invalidgradequestion``."""
    listed = ", ".join(format(g.normalize(), "f") for g in invalid)
    return (f"Điểm của phương án không hợp lệ: {listed}. Điểm phải là một mức của Moodle "
            "(100%, 90%, 83.33333%, 80%, 75%, 70%, 66.66667%, 60%, 50%, 40%, 33.33333%, 30%, "
            "25%, 20%, 16.66667%, 14.28571%, 12.5%, 11.11111%, 10%, 5%, 0% hoặc số âm tương "
            "ứng); câu hỏi bị bỏ qua.")


def single_answer_problem(fractions: list[Decimal]) -> tuple[str, str] | None:
    """``errfractionsnomax`` when no answer of a single-answer question is worth 100 %."""
    best = max(fractions, default=Decimal(0))
    if best == 1:
        return None
    return ("errfractionsnomax",
            f"Phải có một phương án đạt 100% để có thể được điểm tối đa; phương án tốt nhất "
            f"hiện chỉ đạt {percent(best)}%.")


def multiple_answer_problem(fractions: list[Decimal]) -> tuple[str, str] | None:
    """``errfractionsaddwrong`` when positive grades do not add up to 100 % (to 2 decimals)."""
    total = sum((f for f in fractions if f > 0), Decimal(0))
    if round(total, 2) == 1:
        return None
    return ("errfractionsaddwrong",
            f"Tổng điểm các phương án đúng (điểm dương) phải bằng 100%; hiện tổng là "
            f"{percent(total)}%.")
