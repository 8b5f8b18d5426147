"""security.md case 7: the student view of any valid payload, of every type, contains no
correct flag, answer, fraction, feedback or solution — neither as a key nor as a value."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank import QUESTION_TYPES, student_view, validate_payload

SECRET_KEYS = ("correct", "answer", "fraction", "feedback", "solution", "reference", "rubric")
# Visible text never contains "z" or "q"; every secret text contains "zq".
visible = st.text(alphabet="abcdeghiklmnoprstuvy ăâđêôơưạốữ0123456789&'\">", max_size=12) \
    .map(lambda text: f"v{text}")
secret = st.text(alphabet="0123456789abc", max_size=6).map(lambda text: f"zq{text}")
flag = st.booleans()


def ids(count: int) -> list[str]:
    return [f"i{n}" for n in range(count)]


def common(draw, type_name: str) -> dict:
    return {"type": type_name, "text_html": draw(visible),
            "feedback_html": draw(secret), "solution_html": draw(secret)}


@st.composite
def choice(draw, type_name: str) -> dict:
    count = draw(st.integers(2, 8))
    right = draw(st.integers(0, count - 1))
    extra = set(draw(st.lists(st.integers(0, count - 1)))) if type_name != "single_choice" \
        else set()
    return {**common(draw, type_name), "shuffle": draw(flag), "options": [
        {"id": i, "text_html": draw(visible), "correct": n == right or n in extra,
         "feedback_html": draw(secret)} for n, i in enumerate(ids(count))]}


@st.composite
def true_false(draw) -> dict:
    return {**common(draw, "true_false"), "answer": draw(flag),
            "feedback_true_html": draw(secret), "feedback_false_html": draw(secret)}


@st.composite
def true_false_4(draw) -> dict:
    return {**common(draw, "true_false_4"), "statements": [
        {"id": i, "text_html": draw(visible), "answer": draw(flag)} for i in "abcd"]}


@st.composite
def text_answers(draw) -> list[dict]:
    answers = draw(st.lists(st.fixed_dictionaries(
        {"text": secret, "fraction": st.sampled_from(["0", "0.5", "1"])}), max_size=3))
    return [*answers, {"text": draw(secret), "fraction": "1"}]


@st.composite
def numeric_answers(draw) -> list[dict]:
    number = st.decimals(min_value=-9, max_value=99, places=1).map(str)
    return [{"value": draw(number), "tolerance": draw(st.sampled_from(["0", "0.5"])),
             "fraction": "1"}]


@st.composite
def short_text(draw) -> dict:
    return {**common(draw, "short_text"), "answers": draw(text_answers()),
            "case_sensitive": draw(flag), "ignore_diacritics": draw(flag)}


@st.composite
def short_numeric(draw) -> dict:
    return {**common(draw, "short_numeric"), "answers": draw(numeric_answers()),
            "format_2025": draw(flag)}


@st.composite
def matching(draw) -> dict:
    count = draw(st.integers(2, 6))
    return {**common(draw, "matching"), "pairs": [
        {"id": i, "left_html": draw(visible), "right_html": draw(visible)} for i in ids(count)],
        "distractors": draw(st.lists(visible, max_size=2))}


@st.composite
def ordering(draw) -> dict:
    return {**common(draw, "ordering"), "items": [
        {"id": i, "text_html": draw(visible)} for i in ids(draw(st.integers(2, 6)))]}


@st.composite
def cloze(draw) -> dict:
    gaps = []
    for gap_id in ids(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["text", "numeric", "dropdown"]))
        gap = {"id": gap_id, "kind": kind, "points": draw(st.sampled_from(["1", "2", "0.5"]))}
        if kind == "text":
            gap["answers"] = draw(text_answers())
        elif kind == "numeric":
            gap["answers"] = draw(numeric_answers())
        else:
            gap["options"] = [{"id": "o1", "text": draw(visible), "correct": True},
                              {"id": "o2", "text": draw(visible), "correct": False}]
        gaps.append(gap)
    stem = " ".join(f"{draw(visible)} [[{gap['id']}]]" for gap in gaps)
    return {**common(draw, "cloze"), "text_html": stem, "gaps": gaps}


@st.composite
def essay(draw) -> dict:
    return {**common(draw, "essay"), "rubric": [{"criterion": draw(secret), "points": "2"}],
            "reference_html": draw(secret), "min_words": draw(st.integers(0, 50))}


@st.composite
def description(draw) -> dict:
    return common(draw, "description")


LEAVES = {"single_choice": choice("single_choice"),
          "multiple_response": choice("multiple_response"),
          "true_false": true_false(), "true_false_4": true_false_4(), "short_text": short_text(),
          "short_numeric": short_numeric(), "matching": matching(), "ordering": ordering(),
          "cloze": cloze(), "essay": essay(), "description": description()}


@st.composite
def stimulus(draw) -> dict:
    children = draw(st.lists(st.one_of(*LEAVES.values()), min_size=1, max_size=3))
    return {**common(draw, "stimulus"), "children": children,
            "media": [{"kind": "audio", "key": "bai-nghe.mp3"}]}


ANY_PAYLOAD = st.one_of(*LEAVES.values(), stimulus())


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
