"""Thông tư 22/2021 applied: averages, comment-only results, learning result with the
one-subject adjustment, year conduct, promotion and awards — plain values in, plain values out.

Every number comes from the rule set (:class:`rulesets.Tt22Rules`); every average is a
``Decimal`` rounded half-up to one decimal, and a year average is computed from the *rounded*
term averages.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from lms.gradebook.circulars.rulesets import CD, D, Tt22Rules
from lms.gradebook.circulars.scores import FOUR_LEVELS, PASS_FAIL, round1

PASS, FAIL = PASS_FAIL.codes  # "Đ", "CĐ"


def regular_count(rules: Tt22Rules, periods: int) -> int:
    """Regular scores (ĐĐGtx) per term for a subject taught ``periods`` periods a year:
    ≤ 35 → 2, 36–70 → 3, > 70 → 4 (Điều 7 khoản 1)."""
    for most, count in rules.regular_counts:
        if most is None or periods <= most:
            return count
    raise AssertionError("the last row of regular_counts has no upper bound")


def term_average(rules: Tt22Rules, regular: Sequence[Decimal | None], mid: Decimal | None,
                 end: Decimal | None, required: int) -> Decimal | None:
    """ĐTBmhk = (ΣĐĐGtx + 2·ĐĐGgk + 3·ĐĐGck) / (n + 5), rounded; None until the ``required``
    regular scores, the mid-term and the end-of-term score are all there."""
    present = [score for score in regular if score is not None]
    if len(present) != required or mid is None or end is None:
        return None
    w_regular, w_mid, w_end = rules.weights
    total = w_regular * sum(present, Decimal(0)) + w_mid * mid + w_end * end
    return round1(total / (w_regular * required + w_mid + w_end))


def year_average(rules: Tt22Rules, term1: Decimal | None, term2: Decimal | None) -> Decimal | None:
    """ĐTBmcn = (ĐTBmhkI + 2·ĐTBmhkII) / 3 from the rounded term averages, rounded again."""
    if term1 is None or term2 is None:
        return None
    w1, w2 = rules.year_weights
    return round1((w1 * round1(term1) + w2 * round1(term2)) / (w1 + w2))


def comment_term_result(ratings: Sequence[str | None], required: int,
                        closed: bool = False) -> str | None:
    """A comment-only subject's term (Điều 9 khoản 1): Đạt when every required assessment
    (``required`` of them: regular, mid-term, end-of-term) is there and Đạt, else Chưa đạt.

    While the term is open, a missing assessment may still come: the result is None; once the
    term is ``closed`` (locked) a missing one makes it Chưa đạt.
    """
    present = [rating for rating in ratings if rating is not None]
    if len(present) < required:
        return FAIL if closed else None
    return PASS if all(rating == PASS for rating in present) else FAIL


def comment_year_result(term2: str | None) -> str | None:
    """The year of a comment-only subject is its term II result."""
    return term2


@dataclass(frozen=True)
class SubjectOutcome:
    """One subject's term or year outcome, as the learning result reads it."""

    code: str
    comment_only: bool
    #: Scored subjects: the (rounded) term or year average.
    average: Decimal | None = None
    #: Comment-only subjects: ``"Đ"`` or ``"CĐ"``.
    result: str | None = None

    @property
    def known(self) -> bool:
        return (self.result if self.comment_only else self.average) is not None


@dataclass(frozen=True)
class LearningResult:
    #: The level given (``"T"``, ``"K"``, ``"Đ"``, ``"CĐ"``), after the adjustment.
    level: str
    #: The level the table alone gives.
    table_level: str
    #: The one subject whose result the adjustment of khoản 3 discounted, if any.
    adjusted_for: str | None = None

    @property
    def word(self) -> str:
        return FOUR_LEVELS.word(self.level)


def table_level(rules: Tt22Rules, outcomes: Sequence[SubjectOutcome]) -> str:
    """The first row of the learning-result table the outcomes meet (Chưa đạt below all)."""
    fails = sum(1 for o in outcomes if o.comment_only and o.result != PASS)
    averages = [o.average for o in outcomes if not o.comment_only]
    for row in rules.learning:
        if (fails <= row.comment_fails and all(a >= row.floor for a in averages)
                and sum(1 for a in averages if a >= row.count_at) >= row.count):
            return row.level
    return CD


def learning_result(rules: Tt22Rules, outcomes: Sequence[SubjectOutcome]) -> LearningResult | None:
    """Kết quả học tập of a term or the year (Điều 9), with the adjustment of khoản 3: when
    the level falls ``adjust_gap`` levels or more below Tốt or Khá because of one single
    subject, it is raised to the next level up. None while any subject is unknown.

    "Because of one subject" means: leaving that subject out, the table gives Tốt or Khá. A
    fall that two subjects cause is therefore never adjusted.
    """
    if not outcomes or not all(o.known for o in outcomes):
        return None
    level = table_level(rules, outcomes)
    rank = FOUR_LEVELS.rank
    if rank(level) - rules.adjust_gap < min(rank(r) for r in rules.adjust_from):
        return LearningResult(level, level)  # not low enough to be adjusted
    best, culprit = level, None
    for index, outcome in enumerate(outcomes):
        without = table_level(rules, [*outcomes[:index], *outcomes[index + 1:]])
        if rank(without) < rank(best):
            best, culprit = without, outcome.code
    if best in rules.adjust_from and rank(level) - rank(best) >= rules.adjust_gap:
        raised = FOUR_LEVELS.codes[rank(level) - 1]
        return LearningResult(raised, level, culprit)
    return LearningResult(level, level)


def conduct_year(rules: Tt22Rules, term1: str | None, term2: str | None) -> str | None:
    """Kết quả rèn luyện of the year from the two terms (Điều 8 khoản 2)."""
    if term1 is None or term2 is None:
        return None
    return rules.conduct_year[(term1, term2)]


@dataclass(frozen=True)
class Promotion:
    """A suggestion the school confirms (Điều 12)."""

    #: ``"promoted"`` (lên lớp), ``"summer"`` (re-test and/or conduct training in the
    #: summer, decided after), ``"repeat"`` (ở lại lớp: too many absences).
    decision: str
    #: Subjects to re-test: year average below 5.0, or comment-only Chưa đạt.
    retest: tuple[str, ...] = ()
    #: Conduct Chưa đạt: training in the summer holidays.
    conduct_training: bool = False


def promotion(rules: Tt22Rules, conduct: str, learning: str, absences: int,
              outcomes: Sequence[SubjectOutcome]) -> Promotion:
    """Lên lớp when the year conduct and learning are at least Đạt and the student missed at
    most ``max_absences`` days (excused or not); more absences → repeat the year; otherwise
    the summer re-test of the failing subjects and/or the conduct training."""
    if absences > rules.max_absences:
        return Promotion("repeat")
    rank = FOUR_LEVELS.rank
    learning_ok, conduct_ok = rank(learning) <= rank(D), rank(conduct) <= rank(D)
    if learning_ok and conduct_ok:
        return Promotion("promoted")
    retest = () if learning_ok else tuple(
        o.code for o in outcomes
        if (o.result == FAIL if o.comment_only
            else o.average is not None and o.average < rules.retest_below))
    return Promotion("summer", retest, conduct_training=not conduct_ok)


def award(rules: Tt22Rules, conduct: str, learning: str,
          outcomes: Sequence[SubjectOutcome]) -> str | None:
    """The best title the year earns (Điều 15), as a suggestion: ``"xuat_sac"``, ``"gioi"``
    or None."""
    for rule in rules.awards:
        high = sum(1 for o in outcomes
                   if not o.comment_only and o.average is not None and o.average >= rule.count_at)
        if conduct == rule.conduct and learning == rule.learning and high >= rule.count:
            return rule.code
    return None
