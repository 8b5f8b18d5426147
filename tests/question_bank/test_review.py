"""review_response: the correct answer it shows is a response that earns full marks, in the
attempt's ids; parts and feedback follow the response; every type has a review."""

import random
from decimal import Decimal

import pytest

from question_bank import (
    QUESTION_TYPES,
    UnknownQuestionType,
    public_keys,
    response_from_public,
    review_response,
    score,
)
from question_bank.types.review import REVIEWS
from tests.question_bank.payloads import RAW, payload

SCORED = [name for name in RAW if QUESTION_TYPES[name].auto_scored]


def random_ids(keys: list[str], rng: random.Random) -> dict[str, str]:
    return {key: f"{n:02d}{rng.getrandbits(24):06x}" for n, key in enumerate(keys)}


def _ids(question: dict) -> dict:
    rng = random.Random(7)
    if question["type"] == "stimulus":
        return {str(i): random_ids(public_keys(child), rng)
                for i, child in enumerate(question["children"])}
    return random_ids(public_keys(question), rng)


def test_every_question_type_has_a_review():
    assert set(REVIEWS) | {"stimulus"} == set(QUESTION_TYPES)
    with pytest.raises(UnknownQuestionType):
        review_response({"type": "hotspot", "text_html": "?"}, None)


@pytest.mark.parametrize("name", [*SCORED, "stimulus"])
def test_the_correct_answer_earns_full_marks_in_the_attempts_ids(name):
    question = payload(name)
    ids = _ids(question)
    shown = review_response(question, None, ids)["correct_answer"]
    stored = response_from_public(question, shown, ids)       # ids the attempt showed
    if name == "stimulus":
        assert review_response(question, stored, ids)["fraction"] == "1"
        return
    assert score(question, stored) == Decimal(1)
    reviewed = review_response(question, stored, ids)
    assert Decimal(reviewed["fraction"]) == 1
    if reviewed["parts"] is not None:
        assert all(reviewed["parts"].values()) and set(reviewed["parts"]) <= set(ids.values())


def test_unanswered_gets_zero_and_only_the_general_feedback():
    question = payload("single_choice", feedback_html="Xem lại bài 3", solution_html="$x=1$")
    reviewed = review_response(question, None, _ids(question))
    assert reviewed["fraction"] == "0" and reviewed["parts"] is None
    assert reviewed["feedback"]["feedback"] == "Xem lại bài 3"
    assert "<math" in reviewed["feedback"]["solution"] and "options" not in reviewed["feedback"]


def test_parts_and_feedback_follow_the_response():
    question = payload("true_false_4")
    ids = _ids(question)
    judged = review_response(question, {"statements": {"a": True, "b": True}}, ids)
    assert judged["parts"] == {ids["a"]: True, ids["b"]: False, ids["c"]: False,
                               ids["d"]: False}
    assert judged["fraction"] == "0.1"
    true_false = payload("true_false")
    assert review_response(true_false, {"value": False})["feedback"] == {
        "answer_html": "Sai rồi"}
    essay = review_response(payload("essay"), {"text": "bài làm"})
    assert essay["fraction"] is None and essay["feedback"] == {"reference_html": "Bài mẫu"}


def test_a_response_with_unknown_ids_is_reviewed_as_unanswered():
    question = payload("single_choice")
    assert review_response(question, {"choice": "zz"})["fraction"] == "0"
