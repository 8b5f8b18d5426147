"""Word import fidelity (docs/import-formats.md, "Import fidelity"): an option ends with its
paragraph, a key taken from bold alone is a warning (several bold options an error),
numbered instructions before the first question are not questions, and no message names an
internal field."""

import base64
import io
import re

import pytest

from question_bank.formats import read_docx

from .test_docx import build, correct_ids, only


def test_a_trailing_line_is_not_glued_onto_the_last_option():
    """The reported file: an "ID: 776" line after option D of every question."""
    questions = []
    for number, right in ((1, "B"), (2, "C")):
        questions += [f"Câu {number}. Chọn số chẵn", "A. 1", *(
            f"{'*' if letter == right else ''}{letter}. {n}"
            for letter, n in zip("BCD", (2, 4, 6), strict=True)), f"ID: 77{number}"]
    result = read_docx(build(*questions), "de.docx")
    assert result.errors == []
    first, second = result.questions
    assert [o["text_html"] for o in first.payload["options"]] == ["1", "2", "4", "6"]
    assert correct_ids(second.payload) == ["c"]
    assert [w.code for w in first.warnings] == ["textafteroptions"]
    assert "ID: 771" in first.warnings[0].message
    assert "text_html" not in first.warnings[0].message


def test_an_empty_paragraph_ends_the_option():
    data = build("Câu 1. Hình nào là hình vuông?", "A.",
                 lambda d: d.add_paragraph().add_run().add_picture(_png(), width=None),
                 "*B. Hình tròn", "", "Ghi chú cuối đề")
    result = read_docx(data, "")
    (question,) = result.questions
    options = question.payload["options"]
    assert "<img" in options[0]["text_html"]  # a picture alone under a bare "A." is option A
    assert options[1]["text_html"] == "Hình tròn"
    assert [w.code for w in question.warnings] == ["textafteroptions"]
    assert "Ghi chú cuối đề" in question.warnings[0].message


def test_a_manual_line_break_inside_an_option_paragraph_continues_it():
    def option_with_break(document):
        paragraph = document.add_paragraph("*A. Dòng một")
        paragraph.add_run().add_break()
        paragraph.add_run("dòng hai")
    payload = only(read_docx(build("Câu 1. Chọn", option_with_break, "B. Khác"), ""))
    assert payload["options"][0]["text_html"] == "Dòng một<br>dòng hai"


def test_sub_questions_of_an_essay_keep_their_following_lines():
    data = build("PHẦN IV. Tự luận", "Bài 1. Cho hàm số y = x².", "a) Tính y'.", "b) Vẽ đồ thị.",
                 "Biết đồ thị qua gốc tọa độ.")
    payload = only(read_docx(data, ""))
    assert payload["type"] == "essay" and "Biết đồ thị qua gốc tọa độ." in payload["text_html"]


def test_a_key_taken_from_bold_alone_is_a_warning():
    data = build("Câu 1. Thủ đô?", "A. Huế", [("B. Hà Nội", "b")], "C. Vinh")
    (question,) = read_docx(data, "").questions
    assert correct_ids(question.payload) == ["b"]
    (warning,) = question.warnings
    assert warning.code == "boldanswer" and "in đậm" in warning.message
    # positive control: the same key given by underline gives no warning
    underlined = build("Câu 1. Thủ đô?", "A. Huế", [("B. Hà Nội", "u")], "C. Vinh")
    assert read_docx(underlined, "").questions[0].warnings == []


def test_several_bold_options_with_no_other_key_are_an_error():
    data = build("Câu 1. Thủ đô?", [("A. Huế", "b")], [("B. Hà Nội", "b")], "C. Vinh", "D. Huế")
    result = read_docx(data, "")
    assert result.questions == []
    (error,) = result.errors
    assert error.code == "multiplecorrect" and "in đậm" in error.message
    # positive control: an answer line settles it
    answered = build("Câu 1. Thủ đô?", [("A. Huế", "b")], [("B. Hà Nội", "b")], "C. Vinh",
                     "Đáp án: B")
    assert correct_ids(only(read_docx(answered, ""))) == ["b"]


def test_true_false_statements_from_bold_alone_are_a_warning():
    data = build("PHẦN II. Câu trắc nghiệm đúng sai", "Câu 1. Xét hàm số.",
                 [("a) Đồng biến.", "b")], "b) Nghịch biến.", [("c) Liên tục.", "b")],
                 "d) Có cực trị.")
    (question,) = read_docx(data, "").questions
    assert [s["answer"] for s in question.payload["statements"]] == [True, False, True, False]
    assert [w.code for w in question.warnings] == ["boldanswer"]


@pytest.mark.parametrize("question_start", ["Câu 1.", "1."])
def test_numbered_instructions_before_the_first_question_are_not_questions(question_start):
    data = build("ĐỀ KIỂM TRA 15 PHÚT", "1. Thời gian làm bài: 15 phút.",
                 "2. Thí sinh không được sử dụng tài liệu.",
                 f"{question_start} Thủ đô của Việt Nam là", "A. Huế", "*B. Hà Nội",
                 "2. 1 + 1 bằng", "*A. 2", "B. 3")
    result = read_docx(data, "")
    assert result.errors == []
    assert [q.payload["text_html"] for q in result.questions] == [
        "Thủ đô của Việt Nam là", "1 + 1 bằng"]


def test_numbered_questions_without_instructions_still_start_at_one():
    data = build("1. Thủ đô?", "A. Huế", "*B. Hà Nội", "2. Không có phương án")
    result = read_docx(data, "")
    assert len(result.questions) == 1
    assert [e.code for e in result.errors] == ["questionmissinganswers"]


def test_no_message_names_an_internal_field():
    """A question whose option is empty: the message says which option, in words."""
    result = read_docx(build("Câu 1. Trống", "A. ", "*B. x"), "")
    (error,) = result.errors
    assert error.code == "invalidquestion"
    assert "phương án A" in error.message
    assert not re.search(r"text_html|options\[|_html|statements\[", error.message)


def _png() -> io.BytesIO:
    """A 1 × 1 PNG."""
    return io.BytesIO(base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5E"
        "rkJggg=="))
