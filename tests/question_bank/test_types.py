"""Scoring rules of every question type (docs/question-payloads.md), response checks and
payload validation messages."""

from decimal import Decimal

import pytest

from question_bank import (
    QUESTION_TYPES,
    PayloadError,
    ResponseError,
    UnknownQuestionType,
    get_type,
    score,
    score_children,
    student_view,
    teacher_view,
    validate_payload,
    validate_response,
)
from tests.question_bank.payloads import RAW, options, payload

D = Decimal


def test_registry_covers_every_documented_type():
    assert set(QUESTION_TYPES) == {
        "single_choice", "multiple_response", "true_false", "true_false_4", "short_text",
        "short_numeric", "matching", "ordering", "cloze", "essay", "stimulus", "description",
    }


@pytest.mark.parametrize("name", [None, "", "numeric", "Single_Choice", 3])
def test_unknown_type_fails_loudly(name):
    with pytest.raises(UnknownQuestionType):
        get_type(name)
    with pytest.raises(UnknownQuestionType):
        validate_payload({"type": name, "text_html": "x"})
    with pytest.raises(UnknownQuestionType):
        score({"schema": 1, "type": name}, None)


def test_unknown_schema_fails_loudly():
    stored = payload("true_false")
    with pytest.raises(UnknownQuestionType, match="lược đồ"):
        student_view({**stored, "schema": 2})
    with pytest.raises(UnknownQuestionType, match="lược đồ"):
        validate_payload({**RAW["true_false"], "schema": 2})


SCORES = [
    # single_choice: 1 for the correct option, else 0
    ("single_choice", {"choice": "b"}, "1"),
    ("single_choice", {"choice": "a"}, "0"),
    ("single_choice", None, "0"),
    # multiple_response: correct a, b, c of a–e: (right − wrong) / 3, floored at 0
    ("multiple_response", {"choices": ["a", "b", "c"]}, "1"),
    ("multiple_response", {"choices": ["a", "b"]}, str(D(2) / D(3))),
    ("multiple_response", {"choices": ["a", "b", "c", "d"]}, str(D(2) / D(3))),
    ("multiple_response", {"choices": ["a", "d"]}, "0"),
    ("multiple_response", {"choices": ["a", "d", "e"]}, "0"),
    ("multiple_response", {"choices": ["d", "e"]}, "0"),
    ("multiple_response", {"choices": []}, "0"),
    # true_false
    ("true_false", {"value": True}, "1"),
    ("true_false", {"value": False}, "0"),
    # true_false_4: answers a=T b=F c=T d=F
    ("true_false_4", {"statements": {"a": False, "b": True, "c": False, "d": True}}, "0"),
    ("true_false_4", {"statements": {"a": True, "b": True, "c": False, "d": True}}, "0.1"),
    ("true_false_4", {"statements": {"a": True, "b": False, "c": False, "d": True}}, "0.25"),
    ("true_false_4", {"statements": {"a": True, "b": False, "c": True, "d": True}}, "0.5"),
    ("true_false_4", {"statements": {"a": True, "b": False, "c": True, "d": False}}, "1"),
    ("true_false_4", {"statements": {"a": True, "b": False}}, "0.25"),
    ("true_false_4", {"statements": {"a": True, "b": None, "c": True}}, "0.25"),
    # short_text: variants, wildcard with partial credit, whitespace collapsed, NFC
    ("short_text", {"text": "Hà Nội"}, "1"),
    ("short_text", {"text": "  hà   nội "}, "1"),
    ("short_text", {"text": "Thành phố Hà Nội"}, "1"),
    ("short_text", {"text": "Ha\u0300 Nô\u0323i"}, "1"),
    ("short_text", {"text": "Hà Giang"}, "0.5"),
    ("short_text", {"text": "ha noi"}, "0"),
    ("short_text", {"text": ""}, "0"),
    # short_numeric (format 2025): both decimal marks
    ("short_numeric", {"text": "27,5"}, "1"),
    ("short_numeric", {"text": "27.5"}, "1"),
    ("short_numeric", {"text": "27,6"}, "0"),
    ("short_numeric", {"text": "2-75"}, "0"),
    # matching: pairs right / pairs
    ("matching", {"pairs": {"1": "1", "2": "2", "3": "3"}}, "1"),
    ("matching", {"pairs": {"1": "1", "2": "3", "3": "2"}}, str(D(1) / D(3))),
    ("matching", {"pairs": {"1": "x1", "2": "2"}}, str(D(1) / D(3))),
    ("matching", {"pairs": {"1": None}}, "0"),
    # ordering: whole order 1, else items in place / items
    ("ordering", {"order": ["a", "b", "c", "d"]}, "1"),
    ("ordering", {"order": ["a", "b", "d", "c"]}, "0.5"),
    ("ordering", {"order": ["b", "a", "d", "c"]}, "0"),
    ("ordering", {"order": ["d", "b", "c", "a"]}, "0.5"),
    # cloze: points 1, 2, 1
    ("cloze", {"gaps": {"g1": "ha noi", "g2": "3,15", "g3": "a"}}, "1"),
    ("cloze", {"gaps": {"g1": "Hà Nội", "g2": "3.2", "g3": "a"}}, "0.5"),
    ("cloze", {"gaps": {"g2": "3.13"}}, "0.5"),
    ("cloze", {"gaps": {"g1": "Huế", "g2": "3", "g3": "b"}}, "0"),
]


@pytest.mark.parametrize(("type_name", "response", "expected"), SCORES)
def test_score_table(type_name, response, expected):
    result = score(payload(type_name), response)
    assert isinstance(result, Decimal)
    assert result == D(expected)
    assert D(0) <= result <= D(1)


@pytest.mark.parametrize(("case_sensitive", "ignore_diacritics", "typed", "expected"), [
    (False, False, "hà nội", "1"),
    (False, False, "ha noi", "0"),
    (False, True, "ha noi", "1"),
    (False, True, "HA NOI", "1"),
    (False, True, "Ha Nọi", "1"),
    (True, False, "hà nội", "0"),
    (True, False, "Hà Nội", "1"),
    (True, True, "Ha Noi", "1"),
    (True, True, "ha noi", "0"),
    (False, True, "đà nẵng", "0"),
])
def test_short_text_case_and_diacritics_options(case_sensitive, ignore_diacritics, typed,
                                                expected):
    question = payload("short_text", answers=[{"text": "Hà Nội", "fraction": "1"}],
                       case_sensitive=case_sensitive, ignore_diacritics=ignore_diacritics)
    assert score(question, {"text": typed}) == D(expected)


def test_short_text_dj_folds_to_d_and_star_is_escapable():
    question = payload("short_text", ignore_diacritics=True,
                       answers=[{"text": "Đà Nẵng", "fraction": "1"},
                                {"text": r"a\*b", "fraction": "1"}])
    assert score(question, {"text": "da nang"}) == 1
    assert score(question, {"text": "a*b"}) == 1
    assert score(question, {"text": "axxb"}) == 0


@pytest.mark.parametrize(("value", "tolerance", "typed", "expected"), [
    ("27.5", "0", "27,5", "1"),
    ("27.5", "0", "27.50", "1"),
    ("0", "0", "-0", "1"),
    ("0", "0", "0", "1"),
    ("-0", "0", "0", "1"),
    ("0.5", "0", ",5", "1"),
    ("-1.5", "0", "-1,5", "1"),
    ("-1.5", "0", "1,5", "0"),
    ("10", "0.5", "10.5", "1"),
    ("10", "0.5", "9,5", "1"),
    ("10", "0.5", "10.6", "0"),
    ("10", "0.5", "9.49", "0"),
    ("0.1", "0", "0.1", "1"),
    ("12", "0", "1,2,", "0"),
    ("12", "0", "", "0"),
])
def test_short_numeric_marks_zero_and_tolerance_edges(value, tolerance, typed, expected):
    question = payload("short_numeric", format_2025=False,
                       answers=[{"value": value, "tolerance": tolerance, "fraction": "1"}])
    assert score(question, {"text": typed}) == D(expected)


def test_short_numeric_best_fraction_wins():
    question = payload("short_numeric", format_2025=False, answers=[
        {"value": "100", "tolerance": "10", "fraction": "0.5"},
        {"value": "100", "tolerance": "1", "fraction": "1"},
    ])
    assert score(question, {"text": "105"}) == D("0.5")
    assert score(question, {"text": "100.5"}) == 1
    assert score(question, {"text": "12345"}) == 0


@pytest.mark.parametrize("typed", ["12345", "1,234", "abc", "1e3", "+12"])
def test_format_2025_rejects_long_or_foreign_responses(typed):
    with pytest.raises(ResponseError):
        score(payload("short_numeric"), {"text": typed})


def test_format_2025_rejects_answers_that_cannot_be_written():
    with pytest.raises(PayloadError) as caught:
        payload("short_numeric", answers=[{"value": "12345", "fraction": "1"}])
    assert [p.path for p in caught.value.problems] == ["answers[0].value"]


@pytest.mark.parametrize(("type_name", "response"), [
    ("single_choice", {"choice": "z"}),
    ("single_choice", {"choice": 1}),
    ("single_choice", {"choice": "a", "score": 1}),
    ("single_choice", ["a"]),
    ("multiple_response", {"choices": "a"}),
    ("multiple_response", {"choices": ["a", "a"]}),
    ("multiple_response", {"choices": ["a", "q"]}),
    ("true_false", {"value": "true"}),
    ("true_false_4", {"statements": {"e": True}}),
    ("true_false_4", {"statements": {"a": 1}}),
    ("true_false_4", {"statements": ["a"]}),
    ("short_text", {"text": 5}),
    ("short_text", {"text": "x" * 10_001}),
    ("matching", {"pairs": {"9": "1"}}),
    ("matching", {"pairs": {"1": "x2"}}),
    ("ordering", {"order": ["a", "b", "c"]}),
    ("ordering", {"order": ["a", "a", "b", "c"]}),
    ("ordering", {"order": ["a", "b", "c", "z"]}),
    ("cloze", {"gaps": {"g9": "x"}}),
    ("cloze", {"gaps": {"g3": "c"}}),
    ("cloze", {"gaps": {"g1": ["x"]}}),
    ("essay", {"text": "x" * 10_001}),
    ("description", {"text": "x"}),
    ("stimulus", {"children": [{"choice": "z"}]}),
    ("stimulus", {"children": [None, None, None]}),
])
def test_malformed_responses_are_refused(type_name, response):
    with pytest.raises(ResponseError):
        validate_response(payload(type_name), response)


def test_longest_allowed_text_is_accepted():
    assert score(payload("short_text"), {"text": "x" * 10_000}) == 0


def test_manual_and_unscored_types_score_none():
    assert score(payload("essay"), {"text": "Bài làm"}) is None
    assert score(payload("description"), None) is None
    assert score(payload("stimulus"), None) is None


def test_stimulus_children_are_scored_one_by_one():
    stimulus = payload("stimulus")
    assert score_children(stimulus, [{"choice": "b"}]) == [D(1), D(0)]
    both = [{"choice": "a"}, {"statements": {"a": True, "b": False, "c": True, "d": False}}]
    assert score_children(stimulus, both) == [D(0), D(1)]
    with pytest.raises(UnknownQuestionType):
        score_children(payload("essay"), [])


def test_validation_reports_every_problem_with_its_path():
    raw = {"type": "single_choice", "text_html": "<p></p>", "extra": 1,
           "options": [*options("ab"), {"id": "a", "text_html": "", "correct": "yes"}]}
    with pytest.raises(PayloadError) as caught:
        validate_payload(raw)
    messages = [str(p) for p in caught.value.problems]
    assert messages == [
        "extra: trường không có trong lược đồ",
        "text_html: không được để trống",
        "options[4].id: mã 'a' bị trùng",
        "options[4].text_html: không được để trống",
        "options[4].correct: phải là true hoặc false",
        "options: câu hỏi một lựa chọn cần đúng 1 phương án đúng, đang có 2",
    ]


@pytest.mark.parametrize(("raw", "path", "fragment"), [
    ({**RAW["single_choice"], "options": options("a", "a")}, "options", "ít nhất 2"),
    ({**RAW["single_choice"], "options": options("a", "abcdefghi")}, "options", "tối đa 8"),
    ({**RAW["multiple_response"], "options": options("")}, "options", "ít nhất 1"),
    ({**RAW["single_choice"], "pinned": ["z"]}, "pinned[0]", "không có phương án"),
    ({**RAW["true_false"], "answer": None}, "answer", "true hoặc false"),
    ({**RAW["true_false_4"], "statements": RAW["true_false_4"]["statements"][:3]},
     "statements", "ít nhất 4"),
    ({**RAW["true_false_4"], "statements": RAW["true_false_4"]["statements"][::-1]},
     "statements", "a, b, c, d"),
    ({**RAW["short_text"], "answers": [{"text": "x", "fraction": "0.5"}]}, "answers",
     "trọn điểm"),
    ({**RAW["short_text"], "answers": [{"text": "x", "fraction": "1.5"}]},
     "answers[0].fraction", "nhỏ hơn hoặc bằng 1"),
    ({**RAW["short_numeric"], "answers": [{"value": 27.5}]}, "answers[0].value",
     "chuỗi"),
    ({**RAW["short_numeric"], "answers": [{"value": "1", "tolerance": "-1"}]},
     "answers[0].tolerance", "lớn hơn hoặc bằng 0"),
    ({**RAW["matching"], "pairs": RAW["matching"]["pairs"][:1]}, "pairs", "ít nhất 2"),
    ({**RAW["matching"], "pairs": [*RAW["matching"]["pairs"],
                                   {"id": "x1", "left_html": "a", "right_html": "b"}]},
     "pairs[3].id", "phương án nhiễu"),
    ({**RAW["ordering"], "items": [{"id": "a", "text_html": "x"}]}, "items", "ít nhất 2"),
    ({**RAW["cloze"], "text_html": "[[g1]] [[g2]] [[g4]]"}, "text_html", "[[g3]]"),
    ({**RAW["cloze"], "text_html": "[[g1]] [[g2]] [[g3]] [[g4]]"}, "text_html", "[[g4]]"),
    ({**RAW["cloze"], "text_html": r"\([[g1]] + 1\) [[g2]] [[g3]]"}, "text_html", "công thức"),
    ({**RAW["cloze"], "gaps": [{**RAW["cloze"]["gaps"][0], "kind": "essay"}],
      "text_html": "[[g1]]"}, "gaps[0].kind", "loại ô trống"),
    ({**RAW["essay"], "min_words": 600}, "max_words", "min_words"),
    ({**RAW["stimulus"], "children": [RAW["stimulus"]]}, "children[0].type", "không hợp lệ"),
    ({**RAW["stimulus"], "children": [{**RAW["single_choice"], "options": options("")}]},
     "children[0].options", "đúng 1 phương án"),
    ({**RAW["stimulus"], "text_html": "", "media": []}, "text_html", "đoạn dẫn"),
])
def test_validation_problems(raw, path, fragment):
    with pytest.raises(PayloadError) as caught:
        validate_payload(raw)
    assert any(p.path == path and fragment in p.message for p in caught.value.problems), \
        caught.value.problems


@pytest.mark.parametrize("type_name", sorted(RAW))
def test_validation_is_idempotent_and_teacher_view_keeps_everything(type_name):
    stored = payload(type_name)
    assert validate_payload(stored) == stored
    assert teacher_view(stored) == stored


def test_validation_normalises_text_and_numbers():
    stored = payload("short_numeric", text_html="  Ti\u0301nh ",
                     answers=[{"value": "27,5", "tolerance": 1}])
    assert stored["text_html"] == "Tính"
    assert stored["answers"] == [{"value": "27.5", "tolerance": "1", "fraction": "1"}]
    decomposed = payload("short_text", text_html="Ha\u0300 Nô\u0323i")
    assert decomposed["text_html"] == "Hà Nội"


def test_student_view_maps_ids_and_keeps_stored_option_order():
    stored = payload("single_choice")
    view = student_view(stored, {"a": "k7", "b": "p2", "c": "z1", "d": "m0"})
    assert [o["id"] for o in view["options"]] == ["k7", "p2", "z1", "m0"]
    assert [o["text_html"] for o in view["options"]] == [
        "Phương án A", "Phương án B", "Phương án C", "Phương án D"]


def test_matching_and_ordering_views_do_not_reveal_the_key_by_position_or_id():
    matching = student_view(payload("matching"))
    left_ids = {item["id"] for item in matching["left"]}
    assert not left_ids & {item["id"] for item in matching["right"]}
    assert [r["text_html"] for r in matching["right"]] == [
        "Băng Cốc", "Hà Nội", "Phnôm Pênh", "Viêng Chăn"]
    ordering = student_view(payload("ordering"))
    assert [i["text_html"] for i in ordering["items"]] == [
        "Nhà Lê", "Nhà Lý", "Nhà Nguyễn", "Nhà Trần"]


def test_cloze_view_renames_markers_with_the_ids_map():
    view = student_view(payload("cloze"), {"g1": "q", "g2": "r", "g3": "s", "g3/a": "t"})
    assert view["text_html"] == "Thủ đô [[q]], số [[r]], chọn [[s]]"
    assert view["gaps"][2] == {"id": "s", "kind": "dropdown",
                               "options": [{"id": "t", "text": "đúng"}, {"id": "b", "text": "sai"}]}
