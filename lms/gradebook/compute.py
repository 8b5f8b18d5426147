"""From stored cells to results: a subject's term and year, a student's learning result,
conduct, promotion and award — by the class's rule set, with no database access.

Input rows only need the attributes of ``GradebookEntry`` (``regular``, ``mid_term``,
``end_term``, ``mid_test``, ``end_test``), so the benchmark and the pages share this code.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from lms.gradebook.book import SubjectSetup
from lms.gradebook.circulars import FOUR_LEVELS, tt22, tt27
from lms.gradebook.circulars.rulesets import Tt22Rules, Tt27Rules
from lms.gradebook.circulars.tt22 import LearningResult, Promotion, SubjectOutcome


@dataclass(frozen=True)
class SubjectResult:
    """A subject's term or year: an average (scored, TT22), or a rating (comment-only TT22:
    Đ/CĐ; TT27: T/H/C), and TT27's periodic test score."""

    average: Decimal | None = None
    result: str | None = None
    test: int | None = None

    @property
    def empty(self) -> bool:
        return self.average is None and self.result is None and self.test is None


EMPTY = SubjectResult()


def number(text: str | None) -> Decimal | None:
    return None if text is None else _decimal(text)


@lru_cache(maxsize=512)
def _decimal(text: str) -> Decimal:
    """Stored scores repeat ("7.5", "8"): each text is parsed once (Decimals are immutable)."""
    return Decimal(text)


def regular_cells(setup: SubjectSetup, entry) -> list[str | None]:
    """The regular column of an entry as ``regular_count`` positions (None: not entered)."""
    stored = list(entry.regular or []) if entry is not None else []
    return (stored + [None] * setup.regular_count)[:setup.regular_count]


def term_result(rules: Tt22Rules | Tt27Rules, setup: SubjectSetup, entry,
                closed: bool = False) -> SubjectResult:
    """A subject's term from its entry (None: nothing entered yet); ``closed``: the term is
    locked, so a missing comment-only assessment counts as Chưa đạt."""
    if setup.primary:
        if entry is None or entry.end_term is None:
            return EMPTY
        test = int(entry.end_test) if entry.end_test is not None else None
        return SubjectResult(result=entry.end_term, test=test)
    regular = regular_cells(setup, entry)
    mid = entry.mid_term if entry is not None else None
    end = entry.end_term if entry is not None else None
    if setup.comment_only:
        required = setup.regular_count + 2
        return SubjectResult(result=tt22.comment_term_result([*regular, mid, end], required,
                                                             closed))
    average = tt22.term_average(rules, [number(r) for r in regular], number(mid), number(end),
                                setup.regular_count)
    return SubjectResult(average=average)


def year_result(rules: Tt22Rules | Tt27Rules, setup: SubjectSetup, term1: SubjectResult,
                term2: SubjectResult) -> SubjectResult:
    """The year of a subject: ĐTBmcn from the rounded term averages; a comment-only subject's
    (and a primary subject's) year is its term II."""
    if setup.primary or setup.comment_only:
        return term2
    return SubjectResult(average=tt22.year_average(rules, term1.average, term2.average))


def outcome(setup: SubjectSetup, result: SubjectResult) -> SubjectOutcome:
    return SubjectOutcome(setup.code, setup.comment_only, result.average, result.result)


def learning(rules: Tt22Rules, setups: Sequence[SubjectSetup],
             results: Mapping[str, SubjectResult]) -> LearningResult | None:
    """Kết quả học tập over every subject of the class (None until each is known)."""
    return tt22.learning_result(rules, [outcome(s, results.get(s.code, EMPTY)) for s in setups])


@dataclass(frozen=True)
class YearSuggestion:
    """TT22 Điều 12 and 15, as suggestions for the school to confirm."""

    promotion: Promotion
    award: str | None
    #: False when no attendance is recorded: absences were taken as 0.
    absences_known: bool


def year_suggestion(rules: Tt22Rules, setups: Sequence[SubjectSetup],
                    results: Mapping[str, SubjectResult], learning_year: LearningResult | None,
                    conduct_year: str | None, absences: int | None) -> YearSuggestion | None:
    """Promotion and award once the year's learning result and conduct are known."""
    if learning_year is None or conduct_year is None:
        return None
    outcomes = [outcome(s, results.get(s.code, EMPTY)) for s in setups]
    promotion = tt22.promotion(rules, conduct_year, learning_year.level, absences or 0, outcomes)
    award = tt22.award(rules, conduct_year, learning_year.level, outcomes)
    return YearSuggestion(promotion, award, absences is not None)


def conduct_word(code: str | None) -> str | None:
    return FOUR_LEVELS.word(code)


def primary_year(rules: Tt27Rules, setups: Sequence[SubjectSetup],
                 results: Mapping[str, SubjectResult],
                 qualities: Mapping[str, str | None]) -> tt27.YearEvaluation | None:
    """TT27's year-end evaluation from the end-of-year ratings, tests and qualities."""
    subjects = {s.code: results.get(s.code, EMPTY).result for s in setups}
    tests = {s.code: results.get(s.code, EMPTY).test for s in setups if s.end_test}
    wanted = {code: qualities.get(code) for code, _name in rules.qualities}
    return tt27.year_evaluation(rules, subjects, wanted, tests)
