"""security.md case 7: the student view of any valid payload, of every type, contains no
correct flag, answer, fraction, feedback or solution — neither as a key nor as a value."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank import QUESTION_TYPES, student_view, validate_payload
from tests.question_bank.strategies import ANY_PAYLOAD, LEAVES

SECRET_KEYS = ("correct", "answer", "fraction", "feedback", "solution", "reference", "rubric")


def keys(value) -> list[str]:
    """Every key of every object inside ``value``."""
    if isinstance(value, dict):
        return [*value, *(k for v in value.values() for k in keys(v))]
    if isinstance(value, list):
        return [k for v in value for k in keys(v)]
    return []


def test_the_strategies_cover_every_type():
    assert set(LEAVES) | {"stimulus"} == set(QUESTION_TYPES)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=ANY_PAYLOAD, seed=st.integers(0, 2**16))
def test_student_view_never_contains_secrets(raw, seed):
    stored = validate_payload(raw)
    attempt_ids = {key: f"p{seed}-{n}" for n, key in enumerate(
        ["i0", "i1", "i2", "i3", "a", "b", "c", "d", "right:i0", "right:i1", "right:x1"])}
    for ids_map in (None, attempt_ids):
        view = student_view(stored, ids_map)
        text = json.dumps(view, ensure_ascii=False)
        leaked = [key for key in keys(view) if any(word in key for word in SECRET_KEYS)]
        assert leaked == []
        assert "zq" not in text
        assert view["type"] == stored["type"]
