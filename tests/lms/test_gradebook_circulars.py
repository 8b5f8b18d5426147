"""The gradebook rules of TT22/2021 and TT27/2020, case by case (docs/gradebook-rules)."""

from decimal import Decimal

import pytest

from lms.gradebook.circulars import (
    COMPLETION,
    FOUR_LEVELS,
    PASS_FAIL,
    QUALITY,
    TT22,
    TT27,
    ScoreError,
    average_text,
    parse_rating,
    parse_score,
    round1,
    rule_set_for,
    score_text,
    tt22,
    tt27,
)
from lms.gradebook.circulars.tt22 import SubjectOutcome


def d(text) -> Decimal:
    return Decimal(str(text))


def scores(*values):
    return [None if v is None else d(v) for v in values]


# ------------------------------------------------------------------ rounding and averages


@pytest.mark.parametrize(("raw", "rounded"), [
    ("7.6875", "7.7"), ("8.25", "8.3"), ("8.24", "8.2"), ("8.35", "8.4"), ("0.05", "0.1"),
    ("9.95", "10.0"), ("6.45", "6.5"), ("5", "5.0"), ("4.9999", "5.0"),
])
def test_round_half_up_to_one_decimal(raw, rounded):
    assert str(round1(d(raw))) == rounded


def test_binary_float_rounding_would_be_wrong_for_the_worked_example():
    assert round(8.25, 1) == 8.2  # why every number here is a Decimal
    assert round1(d("8.25")) == d("8.3")


@pytest.mark.parametrize(("periods", "count"), [
    (1, 2), (35, 2), (36, 3), (70, 3), (71, 4), (105, 4), (140, 4),
])
def test_regular_count_from_periods(periods, count):
    assert tt22.regular_count(TT22, periods) == count


def test_worked_example_7_6875_gives_7_7():
    average = tt22.term_average(TT22, scores(6, 8, 7.5), d(5), d(10), required=3)
    assert average_text(average) == "7.7"


def test_worked_example_8_25_gives_8_3():
    average = tt22.term_average(TT22, scores(7, 8, 9), d(9), d(8), required=3)
    assert average_text(average) == "8.3"


@pytest.mark.parametrize(("regular", "mid", "end", "required", "expected"), [
    ((8, 9), 7, 6, 2, "7.0"),              # 17 + 14 + 18 = 49 / 7
    ((10, 10, 10, 10), 10, 10, 4, "10.0"),
    ((0, 0), 0, 0, 2, "0.0"),
    ((5, 6, 7, 8), 6.5, 7.5, 4, "6.8"),    # 26 + 13 + 22.5 = 61.5 / 9 = 6.833…
    ((9, 9), 9, 8.5, 2, "8.8"),            # 18 + 18 + 25.5 = 61.5 / 7 = 8.785…
])
def test_term_average_other_counts(regular, mid, end, required, expected):
    average = tt22.term_average(TT22, scores(*regular), d(mid), d(end), required)
    total = sum(d(r) for r in regular) + 2 * d(mid) + 3 * d(end)
    assert average == round1(total / (required + 5))
    assert average_text(average) == expected


@pytest.mark.parametrize(("regular", "mid", "end"), [
    ((6, 8), 5, 10),          # one regular score missing (3 required)
    ((6, 8, None), 5, 10),    # a gap in the list
    ((6, 8, 7.5), None, 10),  # no mid-term
    ((6, 8, 7.5), 5, None),   # no end-of-term
    ((), None, None),
])
def test_term_average_is_none_until_complete(regular, mid, end):
    mid = None if mid is None else d(mid)
    end = None if end is None else d(end)
    assert tt22.term_average(TT22, scores(*regular), mid, end, required=3) is None


def test_year_average_is_computed_from_the_rounded_term_averages():
    # Term II raw 8.25 counts as 8.3: (8.2 + 2·8.3) / 3 = 8.27 → 8.3; unrounded it would be
    # (8.2 + 2·8.25) / 3 = 8.23 → 8.2.
    assert tt22.year_average(TT22, d("8.2"), d("8.25")) == d("8.3")
    assert tt22.year_average(TT22, d("7.7"), d("8.3")) == d("8.1")
    assert tt22.year_average(TT22, d("7.5"), d("7.0")) == d("7.2")
    assert tt22.year_average(TT22, None, d("8")) is None
    assert tt22.year_average(TT22, d("8"), None) is None


# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(("value", "expected"), [
    (7, "7"), ("7", "7"), ("7,5", "7.5"), ("7.5", "7.5"), (7.5, "7.5"), ("10", "10"),
    (0, "0"), ("0", "0"), (" 8 ", "8"), ("7.50", "7.5"), ("10.0", "10"), ("9,9", "9.9"),
])
def test_parse_score_accepts(value, expected):
    assert score_text(parse_score(value, "mid")) == expected


@pytest.mark.parametrize(("value", "code"), [
    ("8.25", "too_many_decimals"), (8.25, "too_many_decimals"), ("7,55", "too_many_decimals"),
    ("abc", "not_a_number"), ("", "not_a_number"), ("7.5.1", "not_a_number"),
    ("1E+999999", "not_a_number"), ("NaN", "not_a_number"), (float("nan"), "not_a_number"),
    (float("inf"), "not_a_number"), (True, "not_a_number"), (None, "not_a_number"),
    ([7], "not_a_number"), ({"v": 7}, "not_a_number"), ("7 5", "not_a_number"),
    ("11", "out_of_range"), (-1, "out_of_range"), ("-0.5", "out_of_range"),
    ("10.1", "out_of_range"), (10**30, "out_of_range"), (1e300, "out_of_range"),
])
def test_parse_score_refuses_with_the_field_named(value, code):
    with pytest.raises(ScoreError) as caught:
        parse_score(value, "regular[2]")
    assert (caught.value.field, caught.value.code) == ("regular[2]", code)


def test_parse_whole_score_for_primary_tests():
    assert parse_score("9", "end_test", whole=True) == 9
    assert parse_score(0, "end_test", whole=True) == 0
    with pytest.raises(ScoreError) as caught:
        parse_score("7,5", "end_test", whole=True)
    assert caught.value.code == "not_whole"


@pytest.mark.parametrize(("value", "code"), [
    ("Đ", "Đ"), ("đ", "Đ"), ("D", "Đ"), ("Đạt", "Đ"), ("đạt", "Đ"),
    ("Đa\u0323t", "Đ"),  # NFD
    ("CĐ", "CĐ"), ("cđ", "CĐ"), ("Chưa đạt", "CĐ"), (" chua dat ", "CĐ"),
])
def test_parse_pass_fail_rating(value, code):
    assert parse_rating(value, "end", PASS_FAIL) == code


@pytest.mark.parametrize("value", ["X", "", "Tốt", 1, None, "Đạt lắm"])
def test_parse_pass_fail_rating_refuses(value):
    with pytest.raises(ScoreError) as caught:
        parse_rating(value, "regular[1]", PASS_FAIL)
    assert (caught.value.field, caught.value.code) == ("regular[1]", "not_a_rating")


@pytest.mark.parametrize(("scale", "value", "code"), [
    (FOUR_LEVELS, "Khá", "K"), (FOUR_LEVELS, "tot", "T"), (FOUR_LEVELS, "Chưa đạt", "CĐ"),
    (COMPLETION, "Hoàn thành tốt", "T"), (COMPLETION, "HT", "H"), (COMPLETION, "cht", "C"),
    (QUALITY, "Cần cố gắng", "C"), (QUALITY, "Đạt", "Đ"), (QUALITY, "T", "T"),
])
def test_parse_other_scales(scale, value, code):
    assert parse_rating(value, "field", scale) == code


# ------------------------------------------------------------------ comment-only subjects


@pytest.mark.parametrize(("ratings", "closed", "expected"), [
    (("Đ", "Đ", "Đ", "Đ", "Đ"), False, "Đ"),
    (("Đ", "Đ", "CĐ", "Đ", "Đ"), False, "CĐ"),
    (("Đ", "Đ", "Đ", "Đ", "CĐ"), True, "CĐ"),
    (("Đ", "Đ", None, "Đ", "Đ"), False, None),   # still open: the missing one may come
    (("Đ", "Đ", None, "Đ", "Đ"), True, "CĐ"),    # locked: missing means Chưa đạt
    ((), True, "CĐ"),
])
def test_comment_term_result(ratings, closed, expected):
    assert tt22.comment_term_result(list(ratings), required=5, closed=closed) == expected


def test_comment_year_result_is_term_two():
    assert tt22.comment_year_result("Đ") == "Đ"
    assert tt22.comment_year_result("CĐ") == "CĐ"
    assert tt22.comment_year_result(None) is None


# ------------------------------------------------------------------ learning result


def outcomes(*averages, comments=("Đ", "Đ", "Đ")):
    scored = [SubjectOutcome(f"S{i}", False, average=d(a)) for i, a in enumerate(averages)]
    rated = [SubjectOutcome(f"C{i}", True, result=r) for i, r in enumerate(comments)]
    return scored + rated


@pytest.mark.parametrize(("averages", "comments", "level"), [
    # Tốt: all comment Đạt, all ≥ 6.5, at least 6 ≥ 8.0
    ((8, 8, 8, 8, 8, 8, 6.5, 6.5), ("Đ", "Đ"), "T"),
    ((8, 8, 8, 8, 8, 7.9, 7, 7), ("Đ", "Đ"), "K"),     # only 5 ≥ 8.0
    ((8, 8, 8, 8, 8, 8, 8, 8), ("Đ", "CĐ"), "Đ"),      # a comment subject Chưa đạt
    ((8, 8, 8, 8, 8, 8, 6.4, 9), ("Đ", "Đ"), "K"),     # one below 6.5
    # Khá: all comment Đạt, all ≥ 5.0, at least 6 ≥ 6.5
    ((6.5, 6.5, 6.5, 6.5, 6.5, 6.5, 5, 5), ("Đ", "Đ"), "K"),
    ((6.5, 6.5, 6.5, 6.5, 6.5, 6.4, 5, 5), ("Đ", "Đ"), "Đ"),  # only 5 ≥ 6.5
    ((6.5, 6.5, 6.5, 6.5, 6.5, 6.5, 4.9, 5), ("Đ", "Đ"), "Đ"),  # one below 5.0
    # Đạt: at most 1 comment Chưa đạt, at least 6 ≥ 5.0, none < 3.5
    ((5, 5, 5, 5, 5, 5, 3.5, 3.5), ("Đ", "CĐ"), "Đ"),
    ((5, 5, 5, 5, 5, 4.9, 4.9, 3.5), ("Đ", "Đ"), "CĐ"),  # only 5 ≥ 5.0
    ((5, 5, 5, 5, 5, 5, 3.4, 5), ("Đ", "Đ"), "CĐ"),    # one below 3.5
    ((5, 5, 5, 5, 5, 5, 5, 5), ("CĐ", "CĐ"), "CĐ"),    # two comment subjects Chưa đạt
    # Chưa đạt otherwise
    ((2, 2, 2, 2, 2, 2, 2, 2), ("Đ", "Đ"), "CĐ"),
])
def test_learning_table_rows(averages, comments, level):
    assert tt22.table_level(TT22, outcomes(*averages, comments=comments)) == level


def test_learning_table_row_counting_six_at_five():
    # 5, 5, 5, 5, 5, 9 are six subjects at 5.0 or more: Đạt, although one is 4.9 and one 3.5.
    assert tt22.table_level(TT22, outcomes(5, 5, 5, 5, 5, 4.9, 9, 3.5)) == "Đ"


def test_adjustment_would_be_tot_pulled_to_chua_dat_by_one_subject_gives_dat():
    subjects = outcomes(9, 9, 9, 9, 9, 9, 8, 3.0)
    result = tt22.learning_result(TT22, subjects)
    assert (result.table_level, result.level, result.adjusted_for) == ("CĐ", "Đ", "S7")
    assert result.word == "Đạt"


def test_adjustment_would_be_tot_pulled_to_dat_by_one_comment_subject_gives_kha():
    result = tt22.learning_result(TT22, outcomes(9, 9, 9, 9, 9, 9, 8, 8,
                                                 comments=("Đ", "CĐ", "Đ")))
    assert (result.table_level, result.level, result.adjusted_for) == ("Đ", "K", "C1")


def test_adjustment_would_be_tot_pulled_to_dat_by_one_scored_subject_gives_kha():
    result = tt22.learning_result(TT22, outcomes(9, 9, 9, 9, 9, 9, 8, 4.0))
    assert (result.table_level, result.level, result.adjusted_for) == ("Đ", "K", "S7")


def test_adjustment_would_be_kha_pulled_to_chua_dat_by_one_subject_gives_dat():
    result = tt22.learning_result(TT22, outcomes(7, 7, 7, 7, 7, 7, 6, 3.0))
    assert (result.table_level, result.level, result.adjusted_for) == ("CĐ", "Đ", "S7")


def test_two_subjects_pulling_down_are_not_adjusted():
    result = tt22.learning_result(TT22, outcomes(9, 9, 9, 9, 9, 9, 3.0, 3.0))
    assert (result.table_level, result.level, result.adjusted_for) == ("CĐ", "CĐ", None)
    result = tt22.learning_result(TT22, outcomes(9, 9, 9, 9, 9, 9, 8, 8,
                                                 comments=("CĐ", "CĐ", "Đ")))
    assert (result.level, result.adjusted_for) == ("CĐ", None)


def test_a_one_level_fall_is_not_adjusted():
    # Would-be Tốt pulled to Khá by one subject at 6.0: one level only.
    result = tt22.learning_result(TT22, outcomes(9, 9, 9, 9, 9, 9, 8, 6.0))
    assert (result.table_level, result.level, result.adjusted_for) == ("K", "K", None)
    # Would-be Khá pulled to Đạt by one subject at 4.0: one level only.
    result = tt22.learning_result(TT22, outcomes(7, 7, 7, 7, 7, 7, 6, 4.0))
    assert (result.level, result.adjusted_for) == ("Đ", None)


def test_a_would_be_dat_pulled_to_chua_dat_is_not_adjusted():
    result = tt22.learning_result(TT22, outcomes(5, 5, 5, 5, 5, 5, 4, 3.0))
    assert (result.table_level, result.level) == ("CĐ", "CĐ")


def test_learning_result_is_none_while_a_subject_is_unknown():
    subjects = outcomes(9, 9, 9, 9, 9, 9, 8, 8)
    assert tt22.learning_result(TT22, [*subjects, SubjectOutcome("X", False)]) is None
    assert tt22.learning_result(TT22, [*subjects, SubjectOutcome("Y", True)]) is None
    assert tt22.learning_result(TT22, []) is None


# ------------------------------------------------------------------ conduct, promotion, awards


@pytest.mark.parametrize(("term1", "term2", "year"), [
    ("T", "T", "T"), ("K", "T", "T"), ("Đ", "T", "K"), ("CĐ", "T", "K"),
    ("T", "K", "K"), ("K", "K", "K"), ("Đ", "K", "K"), ("CĐ", "K", "Đ"),
    ("T", "Đ", "K"), ("K", "Đ", "Đ"), ("Đ", "Đ", "Đ"), ("CĐ", "Đ", "Đ"),
    ("T", "CĐ", "CĐ"), ("K", "CĐ", "CĐ"), ("Đ", "CĐ", "CĐ"), ("CĐ", "CĐ", "CĐ"),
])
def test_conduct_year_table(term1, term2, year):
    assert tt22.conduct_year(TT22, term1, term2) == year


def test_conduct_year_needs_both_terms():
    assert tt22.conduct_year(TT22, None, "T") is None
    assert tt22.conduct_year(TT22, "T", None) is None


def test_promotion():
    year = outcomes(6, 6, 4.5, 6, 6, 6, 6, 6, comments=("Đ", "CĐ"))
    assert tt22.promotion(TT22, "Đ", "Đ", 45, year).decision == "promoted"
    assert tt22.promotion(TT22, "T", "T", 46, year).decision == "repeat"
    retest = tt22.promotion(TT22, "K", "CĐ", 0, year)
    assert (retest.decision, retest.retest, retest.conduct_training) == (
        "summer", ("S2", "C1"), False)
    training = tt22.promotion(TT22, "CĐ", "K", 3, year)
    assert (training.decision, training.retest, training.conduct_training) == (
        "summer", (), True)
    both = tt22.promotion(TT22, "CĐ", "CĐ", 3, year)
    assert (both.retest, both.conduct_training) == (("S2", "C1"), True)


def test_awards():
    six_nines = outcomes(9, 9, 9, 9, 9, 9, 8, 8)
    five_nines = outcomes(9, 9, 9, 9, 9, 8.9, 8, 8)
    assert tt22.award(TT22, "T", "T", six_nines) == "xuat_sac"
    assert tt22.award(TT22, "T", "T", five_nines) == "gioi"
    assert tt22.award(TT22, "K", "T", six_nines) is None
    assert tt22.award(TT22, "T", "K", six_nines) is None


# ------------------------------------------------------------------ TT27 (primary)


SUBJECTS_T = {"TIENGVIET": "T", "TOAN": "T", "DAODUC": "T", "GDTC": "T"}
QUALITIES_T = {code: "T" for code, _name in TT27.qualities}


def evaluate(subjects=None, qualities=None, tests=None):
    result = tt27.year_evaluation(TT27, subjects or SUBJECTS_T, qualities or QUALITIES_T,
                                  tests or {"TIENGVIET": 9, "TOAN": 10})
    return result and result.code


@pytest.mark.parametrize(("changes", "level"), [
    ({}, "HTXS"),
    ({"tests": {"TIENGVIET": 8, "TOAN": 10}}, "HTT"),
    ({"tests": {"TIENGVIET": 7, "TOAN": 7}}, "HTT"),
    ({"tests": {"TIENGVIET": 6, "TOAN": 10}}, "HT"),
    ({"subjects": {**SUBJECTS_T, "DAODUC": "H"}}, "HT"),
    ({"qualities": {**QUALITIES_T, "CHAMCHI": "Đ"}}, "HT"),
    ({"tests": {"TIENGVIET": 5, "TOAN": 5}}, "HT"),
    ({"tests": {"TIENGVIET": 4, "TOAN": 10}}, "CHT"),
    ({"subjects": {**SUBJECTS_T, "TOAN": "C"}}, "CHT"),
    ({"qualities": {**QUALITIES_T, "TRUNGTHUC": "C"}}, "CHT"),
])
def test_tt27_year_evaluation_rows(changes, level):
    assert evaluate(**changes) == level


def test_tt27_year_evaluation_needs_everything():
    assert evaluate(tests={"TIENGVIET": None, "TOAN": 9}) is None
    assert evaluate(subjects={**SUBJECTS_T, "TOAN": None}) is None
    assert tt27.year_evaluation(TT27, {}, QUALITIES_T, {}) is None


@pytest.mark.parametrize(("subject", "grade", "mid", "expected"), [
    ("TOAN", 1, False, True), ("TOAN", 3, True, False), ("TOAN", 4, True, True),
    ("TIENGVIET", 5, True, True), ("TIENGANH", 5, True, False), ("KHOAHOC", 4, False, True),
    ("DAODUC", 5, False, False), ("GDTC", 2, False, False),
])
def test_tt27_which_subjects_have_tests(subject, grade, mid, expected):
    assert tt27.has_test(TT27, subject, grade, mid_term=mid) is expected


# ------------------------------------------------------------------ rule sets per year and grade


@pytest.mark.parametrize(("year", "grade", "code"), [
    (2021, 6, "TT22"), (2020, 6, None), (2021, 7, None), (2022, 7, "TT22"),
    (2022, 10, "TT22"), (2021, 10, None), (2023, 11, "TT22"), (2024, 12, "TT22"),
    (2023, 12, None), (2025, 9, "TT22"),
    (2020, 1, "TT27"), (2019, 1, None), (2023, 4, "TT27"), (2023, 5, None), (2024, 5, "TT27"),
    (2025, 0, None),
])
def test_rule_set_for_year_and_grade(year, grade, code):
    rules = rule_set_for(year, grade)
    assert (rules.code if rules else None) == code


def test_one_school_runs_two_rule_sets_in_one_year():
    # 2022-23 at a THCS: grade 7 on TT22, grade 8 still on the previous circular.
    assert rule_set_for(2022, 7) is TT22
    assert rule_set_for(2022, 8) is None
