"""Aiken import against Moodle's aikenformat_test and Behat expectations; export round trip."""

import html

from hypothesis import given, settings
from hypothesis import strategies as st

from lms.kernel.text import nfc
from question_bank.formats import ExportError, export_aiken, parse_aiken

from .fixtures import fixture_bytes


def test_aiken_errors_gives_exactly_three_questions_and_moodles_errors():
    result = parse_aiken(fixture_bytes("aiken/aiken_errors.txt"))
    assert [(e.code, e.line) for e in result.errors] == [
        ("questionmissinganswers", 3), ("questionnotstarted", 5), ("questionnotstarted", 7),
        ("questionnotcompleted", 18)]
    assert result.errors[0].question == "A question with too few answers"
    assert result.errors[3].question == "A question started but not finished"
    assert result.errors[1].location == "dòng 5" and "ANSWER" in result.errors[1].message
    answers = [[(o["text_html"], o["correct"]) for o in q.payload["options"]]
               for q in result.questions]
    assert answers == [
        [("Correct", True), ("Incorrect", False)],
        [("Incorrect (No space)", False), ("Correct (No space)", True)],
        [("Correct (&lt; &gt; &amp;)", True), ("Incorrect (&lt; &gt; &amp;)", False)]]
    assert result.questions[2].title == "A third good question with HTML chars such as > < &"


def test_questions_aiken_imports_two_questions():
    result = parse_aiken(fixture_bytes("aiken/questions.aiken.txt"))
    assert not result.errors
    first, second = (q.payload for q in result.questions)
    assert first["text_html"] == "The Moodle project was started by:"
    assert [o["correct"] for o in first["options"]] == [False, True, False, False]
    assert first["options"][1]["text_html"] == "Martin Dougiamas"
    assert "&lt;html class=\"cool\"&gt; &amp; images" in second["text_html"]
    assert [o["text_html"] for o in second["options"]] == ["True", "False"]


def test_answer_letter_outside_the_options_is_an_error():
    result = parse_aiken("Câu hỏi?\nA) Một\nB) Hai\nANSWER: D\n")
    assert [(e.code, e.line) for e in result.errors] == [("invalidanswer", 4)]


def test_export_refuses_other_types():
    try:
        export_aiken([{"type": "essay", "text_html": "x"}])
    except ExportError as exc:
        assert "single_choice" in str(exc)
    else:
        raise AssertionError("essay exported as Aiken")


plain = st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), min_size=2,
                max_size=30).map(lambda s: nfc(" ".join(s.split()))).filter(lambda s: len(s) >= 2)


@st.composite
def single_choices(draw):
    texts = draw(st.lists(plain, min_size=2, max_size=8))
    right = draw(st.integers(0, len(texts) - 1))
    stem = draw(plain.filter(lambda s: not s.startswith("ANSWER:") and not (
        len(s) > 1 and s[0].isupper() and s[0].isascii() and s[1] in ").")))
    return stem, texts, right


@given(single_choices())
@settings(max_examples=60, deadline=None, database=None)
def test_export_then_import_gives_the_same_question(case):
    stem, texts, right = case
    escape = lambda s: html.escape(s, quote=False)  # noqa: E731
    (question,) = parse_aiken(export_aiken([{
        "type": "single_choice", "text_html": escape(stem),
        "options": [{"text_html": escape(t), "correct": i == right}
                    for i, t in enumerate(texts)]}])).questions
    assert question.payload["text_html"] == html.escape(stem, quote=False)
    assert [o["text_html"] for o in question.payload["options"]] == [escape(t) for t in texts]
    assert [o["correct"] for o in question.payload["options"]] == [
        i == right for i in range(len(texts))]


@given(st.binary(max_size=300))
@settings(max_examples=100, deadline=None, database=None)
def test_garbage_never_raises(data):
    result = parse_aiken(data)
    assert result.questions or result.errors
