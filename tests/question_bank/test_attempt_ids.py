"""Per-attempt ids: a student sees and answers with ids that are not the stored ones, and
the answer is translated back before scoring."""

import secrets
from decimal import Decimal

import pytest

from question_bank import (
    ResponseError,
    public_keys,
    response_from_public,
    score,
    score_children,
    student_view,
)
from tests.question_bank.payloads import payload


def attempt_map(stored: dict) -> dict[str, str]:
    return {key: secrets.token_hex(4) for key in public_keys(stored)}


def full_marks(type_name: str, m: dict) -> dict:
    """The right answer written the way the student sends it: with per-attempt ids."""
    answers = {
        "single_choice": lambda: {"choice": m["b"]},
        "multiple_response": lambda: {"choices": [m["c"], m["a"], m["b"]]},
        "true_false_4": lambda: {"statements": {m["a"]: True, m["b"]: False, m["c"]: True,
                                                m["d"]: False}},
        "matching": lambda: {"pairs": {m[k]: m[f"right:{k}"] for k in "123"}},
        "ordering": lambda: {"order": [m[k] for k in "abcd"]},
        "cloze": lambda: {"gaps": {m["g1"]: "Hà Nội", m["g2"]: "3,14", m["g3"]: m["g3/a"]}},
    }
    return answers[type_name]()


@pytest.mark.parametrize("type_name", ["single_choice", "multiple_response", "true_false_4",
                                       "matching", "ordering", "cloze"])
def test_answer_in_attempt_ids_scores_full_marks(type_name):
    stored = payload(type_name)
    ids_map = attempt_map(stored)
    view = student_view(stored, ids_map)
    shown = _ids(view)
    assert shown and shown <= set(ids_map.values())
    response = response_from_public(stored, full_marks(type_name, ids_map), ids_map)
    assert score(stored, response) == 1


@pytest.mark.parametrize(("type_name", "response"), [
    ("single_choice", {"choice": "b"}),
    ("multiple_response", {"choices": ["a"]}),
    ("true_false_4", {"statements": {"a": True}}),
    ("matching", {"pairs": {"1": "1"}}),
    ("ordering", {"order": ["a", "b", "c", "d"]}),
    ("cloze", {"gaps": {"g1": "Hà Nội"}}),
])
def test_stored_ids_are_refused_when_the_attempt_showed_others(type_name, response):
    stored = payload(type_name)
    with pytest.raises(ResponseError):
        response_from_public(stored, response, attempt_map(stored))


def test_without_a_map_matching_right_ids_are_positional_and_still_translate():
    stored = payload("matching")
    view = student_view(stored)
    by_text = {item["text_html"]: item["id"] for item in view["right"]}
    assert set(by_text.values()) == {"r1", "r2", "r3", "r4"}
    response = {"pairs": {"1": by_text["Hà Nội"], "2": by_text["Phnôm Pênh"]}}
    assert score(stored, response_from_public(stored, response)) == Decimal(1) / Decimal(3)


def test_stimulus_children_use_their_own_maps():
    stored = payload("stimulus")
    maps = {index: attempt_map(child) for index, child in enumerate(stored["children"])}
    view = student_view(stored, maps)
    assert [o["id"] for o in view["children"][0]["options"]] == \
        [maps[0][k] for k in "abcd"]
    response = response_from_public(stored, {"children": [
        {"choice": maps[0]["b"]}, full_marks("true_false_4", maps[1])]}, maps)
    assert score_children(stored, response["children"]) == [1, 1]
    from_json = {str(index): ids_map for index, ids_map in maps.items()}
    assert student_view(stored, from_json) == view


def _ids(value) -> set[str]:
    if isinstance(value, dict):
        found = {value["id"]} if "id" in value else set()
        return found.union(*(_ids(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_ids(v) for v in value)) if value else set()
    return set()
