"""Hypothesis strategies: valid raw payloads of every question type, with every secret text
containing "zq" and no visible text containing "z" or "q"; and responses to a stored payload."""

from hypothesis import strategies as st

from question_bank.types.arrange import right_side

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




def response_to(draw, stored: dict):
    """A well-formed (not necessarily right) response to a stored payload."""
    kind = stored["type"]
    if kind == "single_choice":
        return {"choice": draw(st.sampled_from([o["id"] for o in stored["options"]]))}
    if kind == "multiple_response":
        return {"choices": draw(st.lists(st.sampled_from([o["id"] for o in stored["options"]]),
                                         unique=True))}
    if kind == "true_false":
        return {"value": draw(st.booleans())}
    if kind == "true_false_4":
        return {"statements": draw(st.dictionaries(st.sampled_from("abcd"), st.booleans()))}
    if kind == "short_text":
        return {"text": draw(st.text(max_size=20))}
    if kind == "short_numeric":
        return {"text": draw(numeric_text(stored["format_2025"]))}
    if kind == "matching":
        rights = st.none() | st.sampled_from(list(right_side(stored)))
        return {"pairs": draw(st.dictionaries(st.sampled_from([p["id"] for p in stored["pairs"]]),
                                              rights))}
    if kind == "ordering":
        return {"order": draw(st.permutations([i["id"] for i in stored["items"]]))}
    if kind == "cloze":
        return {"gaps": {gap["id"]: draw(gap_value(gap)) for gap in stored["gaps"]}}
    if kind == "stimulus":
        return {"children": [response_to(draw, child) for child in stored["children"]]}
    if kind == "essay":
        return {"text": draw(st.text(max_size=50))}
    return None


def numeric_text(format_2025: bool):
    return st.text(alphabet="0123456789-,.", max_size=4) if format_2025 else \
        st.one_of(st.decimals(-100, 100, places=2).map(str), st.text(max_size=8))


def gap_value(gap: dict):
    if gap["kind"] == "dropdown":
        return st.sampled_from([o["id"] for o in gap["options"]])
    if gap["kind"] == "numeric":
        return numeric_text(gap["format_2025"])
    return st.text(max_size=20)
