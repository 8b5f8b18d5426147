"""Moodle XML import against Moodle 5.x's import tests and Behat fixtures; hostile XML."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from question_bank.formats import ExportError, ParsedQuestion, export_moodlexml, parse_moodlexml

from .fixtures import fixture_bytes
from .payload_strategies import XML_TYPES, ordering, questions


def read(name):
    return parse_moodlexml(fixture_bytes(f"moodlexml/{name}"))


def only(name):
    result = read(name)
    assert not result.errors
    (question,) = result.questions
    return question


def test_truefalse_with_embedded_files():
    result = read("truefalse.xml")
    assert not result.errors
    assert [q.title for q in result.questions] == ["Moodle acronym (False)",
                                                   "Moodle acronym (True)"]
    false, true = (q.payload for q in result.questions)
    assert (false["answer"], true["answer"]) == (False, True)
    assert '<img src="@@PLUGINFILE@@/logo.jpg" alt="Moodle logo"' in true["text_html"]
    files = {a.name: a.data for a in result.questions[0].attachments}
    assert set(files) == {"logo.jpg", "infos.jpg", "thumbup.jpg", "thumbdown.jpg"}
    assert all(data.startswith(b"\xff\xd8") for data in files.values())  # JPEG


def test_invalid_grade_is_reported_with_the_question_name():
    result = read("error_invalid_grades.xml")
    assert result.questions == []
    (error,) = result.errors
    assert error.code == "invalidgradequestion" and "0.33" in error.message
    assert error.question == "Question with <strong>invalid grades</strong> : x > 1 & x < 2"


def test_invalid_fraction_sums():
    result = read("error_invalid_fraction_sum.xml")
    assert result.questions == []
    assert [e.code for e in result.errors] == [
        "errfractionsaddwrong", "errfractionsaddwrong", "errfractionsnomax"]
    assert ["200%" in result.errors[0].message, "60%" in result.errors[1].message,
            "50%" in result.errors[2].message] == [True, True, True]
    assert [e.line for e in result.errors] == [4, 53, 102]


def test_unknown_type_is_an_error_and_the_rest_imports():
    result = read("partial_invalid_export.xml")
    assert len(result.questions) == 3
    (error,) = result.errors
    assert error.code == "xmltypeunsupported" and "unknownquestiontype" in error.message
    assert error.location == "dòng 68"


def test_empty_quiz_has_no_questions():
    result = read("export_without_question.xml")
    assert [e.code for e in result.errors] == ["noquestionsinfile"]


@pytest.mark.parametrize("name", ["category_with_description.xml", "deprecated_category.xml"])
def test_category_with_info_and_idnumber(name):
    result = read(name)
    (category,) = result.categories
    assert (category.path, category.info_html, category.idnumber) == (
        "Alpha", "This is Alpha category for test", "alpha-idnumber")
    (question,) = result.questions
    assert question.category == "Alpha" and question.payload["type"] == "true_false"


@pytest.mark.parametrize("name, categories, placed", [
    ("nested_categories.xml", ["Delta", "Delta/Epsilon", "Delta/Epsilon/Zeta"],
     {"Zeta Question": "Delta/Epsilon/Zeta"}),
    ("nested_categories_with_questions.xml", ["Iota", "Iota/Kappa", "Iota/Kappa/Lambda", "Iota/Mu"],
     {"Iota Question": "Iota", "Kappa Essay Question": "Iota/Kappa",
      "Kappa Question": "Iota/Kappa", "Lambda Question": "Iota/Kappa/Lambda",
      "Mu Question": "Iota/Mu"}),
    ("old_format_file.xml", ["Pi", "Pi/Rho"], {"Pi Question": "Pi", "Rho Question": "Pi/Rho"}),
    ("categories_reverse_order.xml", ["Sigma/Tau", "Sigma"],
     {"Tau Question": "Sigma/Tau", "Sigma Question": "Sigma"}),
])
def test_nested_categories(name, categories, placed):
    result = read(name)
    assert not result.errors
    assert [c.path for c in result.categories] == categories
    assert {q.title: q.category for q in result.questions} == placed


def test_reverse_order_shortanswer_answers():
    sigma = {q.title: q.payload for q in read("categories_reverse_order.xml").questions}
    assert sigma["Sigma Question"]["answers"] == [
        {"text": "yes", "fraction": "1"}, {"text": "no", "fraction": "0"},
        {"text": "may be", "fraction": "0"}]


def test_broken_cloze_questions_each_fail_for_moodles_reason():
    result = read("broken_cloze_questions.xml")
    assert result.questions == []
    assert [e.code for e in result.errors] == [
        "qtextmissingembedded", "qtextmissingembedded", "notenoughanswers", "fractionsnomax",
        "notnumeric"]


def test_multianswer_becomes_cloze_with_gaps_and_files():
    question = only("multianswer.xml")
    payload = question.payload
    assert question.title == "cloze with images"
    assert [g["kind"] for g in payload["gaps"]] == ["dropdown"] * 4 + ["text"]
    assert all(f"[[g{i}]]" in payload["text_html"] for i in range(1, 6))
    assert [o["text"] for o in payload["gaps"][1]["options"]] == ["California", "Arizona"]
    assert [o["correct"] for o in payload["gaps"][1]["options"]] == [False, True]
    assert payload["gaps"][4]["answers"] == [
        {"text": "Paris", "fraction": "1"}, {"text": "Marseille", "fraction": "0.5"},
        {"text": "*", "fraction": "0"}]
    assert {a.name for a in question.attachments} == {
        "arizona_2.png", "california-state-flag.png", "moodle.png"}
    assert "@@PLUGINFILE@@/moodle.png" in payload["feedback_html"]


def test_old_image_tag_is_attached():
    result = read("sample_questions_with_old_image_tag.xml")
    assert [q.title for q in result.questions] == ["cloze question with image", "mcq with image"]
    mcq = result.questions[1]
    assert [a.name for a in mcq.attachments] == ["moodle.png"]
    assert mcq.attachments[0].data.startswith(b"\x89PNG")
    assert [o["correct"] for o in mcq.payload["options"]] == [False, False, True]


def test_question_type_fixtures():
    multi = only("multichoice-testquestion.moodle.xml").payload
    assert multi["type"] == "multiple_response"
    assert [(o["text_html"], o["correct"]) for o in multi["options"]] == [
        ("Tokyo", False), ("Spain", False), ("London", True), ("Barcelona", False),
        ("Paris", True)]
    match = only("match-testquestion.moodle.xml").payload
    assert [(p["left_html"], p["right_html"]) for p in match["pairs"]] == [
        ("frog", "amphibian"), ("cat", "mammal"), ("newt", "amphibian")]
    assert match["distractors"] == ["insect"]
    gaps = only("gapselect-testquestion.moodle.xml").payload
    assert gaps["text_html"] == "The [[g1]] [[g2]] on the [[g3]]."
    assert [[o["text"] for o in g["options"] if o["correct"]] for g in gaps["gaps"]] == [
        ["cat"], ["sat"], ["mat"]]
    assert [o["text"] for o in gaps["gaps"][0]["options"]] == ["cat", "sat", "mat", "dog", "table"]
    assert only("truefalse-testquestion.moodle.xml").payload["answer"] is True
    short = only("shortanswer-testquestion.moodle.xml")
    assert short.title == "shortanswer-001"
    assert [(a["text"], a["fraction"]) for a in short.payload["answers"]] == [
        ("frog", "1"), ("toad", "0.8"), ("*", "0")]
    numeric = only("numerical-testquestion.moodle.xml").payload
    assert numeric["answers"] == [{"value": "6.25", "tolerance": "0.05", "fraction": "1"}]
    essay = only("essay-testquestion.moodle.xml").payload
    assert (essay["type"], essay["text_html"]) == ("essay", "Write an essay with 500 words.")


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<quiz><question type="description"><questiontext><text>&lol3;</text></questiontext>
</question></quiz>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<quiz><question type="description"><questiontext><text>&xxe;</text></questiontext>
</question></quiz>"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_hostile_xml_is_refused_with_a_clear_message(document):
    result = parse_moodlexml(document)
    assert result.questions == []
    (error,) = result.errors
    assert error.code == "xmlunsafe"
    assert "an toàn" in error.message and "ENTITY" in error.message
    assert "root:" not in error.message


def test_external_entity_message_names_the_target():
    (error,) = parse_moodlexml(EXTERNAL_ENTITY).errors
    assert "file:///etc/passwd" in error.message


def test_broken_xml_reports_the_line():
    (error,) = parse_moodlexml(b"<quiz>\n<question type='essay'>\n</quiz>").errors
    assert (error.code, error.line) == ("xmlinvalid", 3)


@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: f"<quiz>{t}</quiz>"))
@settings(max_examples=150, deadline=None, database=None)
def test_garbage_never_raises(data):
    result = parse_moodlexml(data)
    assert result.questions or result.errors


# --- export ----------------------------------------------------------------------------------

@given(questions(XML_TYPES))
@settings(max_examples=120, deadline=None, database=None)
def test_export_then_import_gives_the_same_questions(items):
    parsed = [ParsedQuestion(payload=p, title=t, category=c, tags=tags, idnumber=i)
              for p, t, c, tags, i in items]
    result = parse_moodlexml(export_moodlexml(parsed))
    assert not result.errors
    assert [(q.payload, q.title, q.category, q.tags, q.idnumber) for q in result.questions] \
        == [(p, t, c, tags, i) for p, t, c, tags, i in items]


@pytest.mark.parametrize("name", ["multianswer.xml", "gapselect-testquestion.moodle.xml",
                                  "nested_categories_with_questions.xml", "truefalse.xml",
                                  "match-testquestion.moodle.xml"])
def test_fixture_round_trip(name):
    result = read(name)
    again = parse_moodlexml(export_moodlexml(result.questions))
    assert [(q.payload, q.category) for q in again.questions] == [
        (q.payload, q.category) for q in result.questions]


def test_export_escapes_html_characters_in_idnumbers():
    question = ParsedQuestion(payload={"schema": 1, "type": "description", "text_html": "x",
                                       "feedback_html": "", "solution_html": ""},
                              title="T", idnumber="T & F")
    assert "<idnumber>T &amp; F</idnumber>" in export_moodlexml([question])


def test_export_refuses_types_moodle_cannot_express():
    with pytest.raises(ExportError, match="true_false_4"):
        export_moodlexml([{"type": "true_false_4"}])


# --- names, hints and feedbacks, ordering; what each fixture accepts, refuses and warns ----------

# (file, questions accepted, codes of the questions refused, (line, code) of every warning)
XML_COUNTS = [
    # "{1:MULTICHOICE}" with no choices is not an embedded answer at all (no second colon).
    ("broken_cloze_questions.xml", 0, ["qtextmissingembedded", "qtextmissingembedded",
                                       "notenoughanswers", "fractionsnomax", "notnumeric"], []),
    ("categories_reverse_order.xml", 2, [], []),
    ("category_with_description.xml", 1, [], []),
    ("deprecated_category.xml", 1, [], []),
    ("error_invalid_fraction_sum.xml", 0,
     ["errfractionsaddwrong", "errfractionsaddwrong", "errfractionsnomax"], []),
    ("error_invalid_grades.xml", 0, ["invalidgradequestion"], []),
    ("essay-testquestion.moodle.xml", 1, [], []),
    ("export_category.xml", 1, [], []),
    ("export_without_question.xml", 0, ["noquestionsinfile"], []),
    ("gapselect-testquestion.moodle.xml", 1, [], [(12, "feedbackdropped"), (12, "hintdropped")]),
    ("html_chars_in_idnumbers.xml", 1, [], []),
    ("match-testquestion.moodle.xml", 1, [], [(12, "feedbackdropped")]),
    ("multianswer.xml", 1, [], [(12, "feedbackdropped")]),
    ("multichoice-testquestion.moodle.xml", 1, [], [(12, "feedbackdropped"),
                                                    (12, "hintdropped")]),
    ("nested_categories.xml", 1, [], []),
    ("nested_categories_with_questions.xml", 5, [], []),
    ("numerical-testquestion.moodle.xml", 1, [], [(12, "hintdropped")]),
    ("old_format_file.xml", 2, [], []),
    ("partial_invalid_export.xml", 3, ["xmltypeunsupported"], []),
    ("sample_questions_with_old_image_tag.xml", 2, [], [(16, "feedbackdropped")]),
    ("shortanswer-testquestion.moodle.xml", 1, [], [(12, "feedbackdropped")]),
    ("truefalse-testquestion.moodle.xml", 1, [], []),
    ("truefalse.xml", 2, [], []),
]


@pytest.mark.parametrize("name, accepted, refused, warned", XML_COUNTS)
def test_what_each_fixture_accepts_refuses_and_warns(name, accepted, refused, warned):
    result = read(name)
    assert len(result.questions) == accepted
    assert [e.code for e in result.errors] == refused
    assert sorted((w.line, w.code) for q in result.questions for w in q.warnings) == warned
    assert result.warnings == []


def test_dropped_hints_and_feedbacks_are_named_per_question():
    """Moodle's multichoice fixture: 2 hints and the three combined feedbacks have no place in
    the payload."""
    question = only("multichoice-testquestion.moodle.xml")
    hints, combined = question.warnings
    assert (hints.location, hints.question) == ("dòng 12", "Multi-choice-001")
    assert hints.message.startswith("2 gợi ý")
    assert all(words in combined.message for words in ("đúng", "đúng một phần", "sai"))


def test_option_feedback_has_a_place_and_is_kept_without_a_warning():
    data = (b'<quiz><question type="multichoice"><name><text>M</text></name><questiontext>'
            b"<text>Q</text></questiontext><single>true</single>"
            b'<answer fraction="100"><text>A</text><feedback><text>Hay</text></feedback></answer>'
            b'<answer fraction="0"><text>B</text><feedback><text>Sai</text></feedback></answer>'
            b"</question></quiz>")
    (question,) = parse_moodlexml(data).questions
    assert [o["feedback_html"] for o in question.payload["options"]] == ["Hay", "Sai"]
    assert question.warnings == []


def test_per_answer_feedback_of_short_answers_is_reported_not_silently_dropped():
    (warning,) = only("shortanswer-testquestion.moodle.xml").warnings
    assert warning.code == "feedbackdropped" and "từng đáp án" in warning.message


def question_xml(body: str, kind: str = "ordering", name: str | None = "Sắp xếp") -> bytes:
    named = f"<name><text>{name}</text></name>" if name is not None else ""
    return (f'<quiz><question type="{kind}">{named}<questiontext format="html">'
            f"<text>Xếp theo thứ tự</text></questiontext>{body}</question></quiz>").encode()


def answer(place: str, text: str, feedback: str = "") -> str:
    extra = f"<feedback><text>{feedback}</text></feedback>" if feedback else ""
    return f'<answer fraction="{place}" format="html"><text>{text}</text>{extra}</answer>'


def test_ordering_questions_import_in_the_order_of_their_fractions():
    data = question_xml(answer("3.0000000", "Ba") + answer("1.0000000", "Một")
                        + answer("2.0000000", "Hai")
                        + "<gradingtype>ABSOLUTE_POSITION</gradingtype>"
                        + "<selecttype>ALL</selecttype>")
    (question,) = parse_moodlexml(data).questions
    assert question.title == "Sắp xếp" and question.warnings == []
    assert question.payload["type"] == "ordering"
    assert question.payload["items"] == [{"id": "1", "text_html": "Một"},
                                         {"id": "2", "text_html": "Hai"},
                                         {"id": "3", "text_html": "Ba"}]


def test_ordering_reports_what_it_cannot_keep():
    data = question_xml(answer("1", "A", "đúng") + answer("2", "B")
                        + "<gradingtype>ALL_OR_NOTHING</gradingtype><selecttype>RANDOM</selecttype>"
                        "<correctfeedback><text>Giỏi</text></correctfeedback>"
                        "<hint><text>Bắt đầu từ A</text></hint><hint><text></text></hint>")
    (question,) = parse_moodlexml(data).questions
    assert sorted(w.code for w in question.warnings) == [
        "feedbackdropped", "feedbackdropped", "hintdropped", "orderinggrading", "orderingsubset"]
    assert next(w for w in question.warnings if w.code == "hintdropped").message.startswith(
        "1 gợi ý")  # the empty hint is not counted


def test_ordering_needs_two_items():
    result = parse_moodlexml(question_xml(answer("1", "Chỉ một") + answer("2", "")))
    assert result.questions == []
    assert [(e.code, e.question) for e in result.errors] == [("notenoughanswers", "Sắp xếp")]


def test_a_question_without_a_name_has_no_title_but_is_named_in_errors():
    result = parse_moodlexml(question_xml(answer("1", "A") + answer("2", "B"), name=None)
                             .replace(b"</quiz>", b'<question type="bogus"></question></quiz>'))
    assert [q.title for q in result.questions] == [""]
    assert [e.question for e in result.errors] == ["Câu 2"]


@given(questions([*XML_TYPES, ordering(True)]))
@settings(max_examples=60, deadline=None, database=None)
def test_ordering_and_every_other_type_round_trip_with_their_names(items):
    parsed = [ParsedQuestion(payload=p, title=t, category=c, tags=tags, idnumber=i)
              for p, t, c, tags, i in items]
    result = parse_moodlexml(export_moodlexml(parsed))
    assert not result.errors and all(not q.warnings for q in result.questions)
    assert [(q.payload, q.title) for q in result.questions] == [(p, t) for p, t, *_ in items]
