"""Pure rules: deadlines, late policy boundaries (security.md 10), review policy, totals."""

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from lms.exams import logic

T0 = datetime(2026, 12, 1, 7, 0, 0)
S = timedelta(seconds=1)


def test_deadline_is_the_earlier_of_time_limit_and_close_and_extra_time_moves_both():
    close = T0 + timedelta(minutes=30)
    assert logic.deadline_for(T0, 45 * 60, close) == close
    assert logic.deadline_for(T0, 15 * 60, close) == T0 + timedelta(minutes=15)
    assert logic.deadline_for(T0, 45 * 60, close, extra_time_s=600) == close + 600 * S
    assert logic.deadline_for(T0, 15 * 60, None, extra_time_s=60) == T0 + 16 * 60 * S
    assert logic.deadline_for(T0, None, None) is None


DEADLINE = T0 + timedelta(minutes=15)
# (mode, grace_s, seconds after the deadline, accepted, counted)
BOUNDARIES = [
    ("auto_submit", 30, -1, True, True),
    ("auto_submit", 30, 0, True, True),
    ("auto_submit", 30, 1, False, True),
    ("grace", 30, 0, True, True),
    ("grace", 30, 30, True, True),
    ("grace", 30, 31, False, True),
    ("not_counted", 30, 0, True, True),
    ("not_counted", 30, 1, True, False),
    ("not_counted", 30, 30, True, False),
    ("not_counted", 30, 31, False, False),
    ("grace", 0, 0, True, True),                # no grace set: not even one second more
    ("grace", 0, 1, False, True),
    ("grace", None, 1, False, True),
    ("not_counted", 0, 1, False, False),
]


@pytest.mark.parametrize(("mode", "grace", "after", "accepted", "counted"), BOUNDARIES)
def test_late_policy_boundary_table(mode, grace, after, accepted, counted):
    decision = logic.late_decision({"mode": mode, "grace_s": grace}, DEADLINE, DEADLINE + after * S)
    assert (decision.accepted, decision.counted) == (accepted, counted)


def test_review_policy_decides_each_item_by_when():
    policy = {"responses": "during", "correctness": "after_submit", "score": "after_close",
              "correct_answers": "never", "feedback": "after_close"}
    close = T0 + timedelta(hours=1)
    assert logic.what_may_show(policy, False, T0, close) == {"responses"}
    assert logic.what_may_show(policy, True, T0, close) == {"responses", "correctness"}
    assert logic.what_may_show(policy, True, close, close) == {
        "responses", "correctness", "score", "feedback"}
    assert "score" not in logic.what_may_show(policy, True, close, None)


@pytest.mark.parametrize(("score", "total", "rounding", "grade"), [
    (Decimal(2), Decimal(3), "0.01", Decimal("6.67")),
    (Decimal(1), Decimal(8), "0.01", Decimal("1.25")),
    (Decimal(1), Decimal(16), "0.1", Decimal("0.6")),     # 0.625 → 0.6, 0.0625·10 half-up
    (Decimal(5), Decimal(8), "0.25", Decimal("6.25")),
    (Decimal(13), Decimal(16), "0.5", Decimal("8.0")),    # 8.125 → 8.0
    (Decimal(7), Decimal(16), "0.5", Decimal("4.5")),     # 4.375 → 4.5
    (Decimal(1), Decimal(40), "0.1", Decimal("0.3")),     # 0.25 → 0.3 half-up, not banker's
])
def test_ten_point_scale_rounds_half_up(score, total, rounding, grade):
    assert logic.to_scale(score, total, 10, rounding) == grade


def test_grading_methods():
    grades = [Decimal(6), Decimal(9), Decimal(7)]
    assert logic.final_grade(grades, "highest") == 9
    assert logic.final_grade(grades, "first") == 6
    assert logic.final_grade(grades, "last") == 7
    assert logic.final_grade(grades, "average") == Decimal(22) / 3


def test_shuffle_keeps_pinned_options_and_sections_in_place():
    rng = random.Random(7)
    items = ["a", "b", "c", "d", "e"]
    for _ in range(20):
        out = logic.shuffled(items, rng, {"e"})
        assert out[-1] == "e" and sorted(out) == items
    order = logic.shuffle_by_section([(1, "I"), (2, "I"), (3, "I"), (4, "II"), (5, "II")], rng)
    assert set(order[:3]) == {1, 2, 3} and set(order[3:]) == {4, 5}


def test_random_ids_are_unique_and_unrelated_to_keys():
    ids = logic.random_ids(["a", "b", "c", "d"], random.Random(1))
    assert len(set(ids.values())) == 4
    assert not set(ids.values()) & {"a", "b", "c", "d"}


def test_a_setting_missing_from_an_older_document_takes_its_default():
    stored = {"navigation": "sequential"}          # saved before "late" and "mode" existed
    assert logic.setting(stored, "navigation") == "sequential"
    assert logic.setting(stored, "mode") == "test"
    assert logic.setting(stored, "late") == {"mode": "auto_submit", "grace_s": 0}
