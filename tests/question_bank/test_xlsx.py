"""The XLSX template: download, fill, import with located problems; export neutralises
formulas; export → import gives the same questions."""

import html
import io
import unicodedata
import zipfile

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from question_bank.formats import (
    ParsedQuestion,
    build_template,
    detect_format,
    export_xlsx,
    read_xlsx,
)
from question_bank.formats.xlsx import HEADERS

from .payload_strategies import common, plain


def filled(rows: list[dict], headers=HEADERS, written=None) -> bytes:
    """The template with ``rows`` filled in; headers in the order given, spelt as ``written``."""
    book = openpyxl.load_workbook(io.BytesIO(build_template()))
    sheet = book["Câu hỏi"]
    for index, header in enumerate(written or headers, 1):
        sheet.cell(1, index, header)
    for number, row in enumerate(rows, 2):
        for header, value in row.items():
            sheet.cell(number, headers.index(header) + 1, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_template_has_headers_guide_and_type_list():
    data = build_template()
    assert detect_format("mau.xlsx", data) == "xlsx"
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Câu hỏi", "Hướng dẫn"]
    headers = [c.value for c in book["Câu hỏi"][1]]
    assert headers[:3] == ["Loại câu hỏi", "Nội dung", "Phương án A"]
    assert {"Phương án H", "Đáp án", "Mệnh đề d", "Đáp án d (Đ/S)", "Lời giải", "Môn", "Khối",
            "Mức độ", "Chủ đề", "Thẻ"} <= set(headers)
    lists = {str(v.sqref).split(":")[0]: v.formula1
             for v in book["Câu hỏi"].data_validations.dataValidation}
    assert "Một lựa chọn" in lists["A2"] and "Đúng/Sai 4 ý" in lists["A2"]
    guide = " ".join(str(c.value) for row in book["Hướng dẫn"].iter_rows() for c in row if c.value)
    assert "A,C" in guide and "27,5" in guide
    examples = read_xlsx(data)  # the guide's examples are not questions
    assert [e.code for e in examples.errors] == ["noquestionsinfile"]


def test_every_type_reads_with_metadata_in_any_header_order_and_nfd():
    headers = list(reversed(HEADERS))
    written = [unicodedata.normalize("NFD", "ĐÁP ÁN") if h == "Đáp án" else h for h in headers]
    rows = [
        {"Loại câu hỏi": "Một lựa chọn", "Nội dung": "Thủ đô?", "Phương án A": "Huế",
         "Phương án B": "Hà Nội", "Đáp án": "B", "Môn": "Địa lí", "Khối": 6,
         "Mức độ": "Nhận biết", "Chủ đề": "Hành chính", "Thẻ": "thủ đô, dễ"},
        {"Loại câu hỏi": "nhieu lua chon", "Nội dung": "Số nguyên tố", "Phương án A": 2,
         "Phương án B": 4, "Phương án C": 5, "Đáp án": "a, c."},
        {"Loại câu hỏi": "ĐÚNG - SAI", "Nội dung": "2 là số chẵn", "Đáp án": "Đ"},
        {"Loại câu hỏi": "Đúng/Sai 4 ý", "Nội dung": "Cho y = x²", "Mệnh đề a": "a1",
         "Mệnh đề b": "b1", "Mệnh đề c": "c1", "Mệnh đề d": "d1", "Đáp án a (Đ/S)": "Đ",
         "Đáp án b (Đ/S)": "S", "Đáp án c (Đ/S)": "s", "Đáp án d (Đ/S)": "đ"},
        {"Loại câu hỏi": "Trả lời ngắn", "Nội dung": "Thủ đô?", "Đáp án": "Hà Nội | HN"},
        {"Loại câu hỏi": "Trả lời ngắn dạng số", "Nội dung": "55 : 2", "Đáp án": 27.5},
        {"Loại câu hỏi": "Tự luận", "Nội dung": "Phân tích", "Lời giải": "Dàn ý"},
    ]
    result = read_xlsx(filled(rows, headers, written))
    assert not result.errors, result.errors
    first, multi, tf, tf4, short, numeric, essay = result.questions
    assert [o["correct"] for o in first.payload["options"]] == [False, True]
    assert first.metadata == {"subject": "Địa lí", "grade": 6, "level": "Nhận biết",
                              "topic": "Hành chính"}
    assert (first.tags, first.location, first.line) == (["thủ đô", "dễ"], "dòng 2", 2)
    assert [o["correct"] for o in multi.payload["options"]] == [True, False, True]
    assert tf.payload["answer"] is True
    assert [s["answer"] for s in tf4.payload["statements"]] == [True, False, False, True]
    assert [a["text"] for a in short.payload["answers"]] == ["Hà Nội", "HN"]
    assert numeric.payload["answers"] == [{"value": "27.5", "tolerance": "0", "fraction": "1"}]
    assert (essay.payload["type"], essay.payload["solution_html"]) == ("essay", "Dàn ý")


def test_problems_name_row_and_column_and_what_was_expected():
    rows = [
        {"Loại câu hỏi": "Một lựa chọn", "Nội dung": "x", "Phương án A": "1",
         "Phương án B": "2"},
        *[{"Loại câu hỏi": "Đúng/Sai", "Nội dung": "ok", "Đáp án": "S"}] * 4,
        {"Loại câu hỏi": "Một lựa chọn", "Nội dung": "x", "Phương án A": "1",
         "Phương án B": "2", "Đáp án": "E"},
        {"Loại câu hỏi": "Trắc nghiệm lạ", "Nội dung": "x"},
        {"Loại câu hỏi": "Đúng/Sai 4 ý", "Nội dung": "x", "Mệnh đề a": "a", "Mệnh đề b": "b",
         "Mệnh đề c": "c"},
        {"Loại câu hỏi": "Trả lời ngắn dạng số", "Nội dung": "x", "Đáp án": "ba"},
        {"Loại câu hỏi": "Đúng/Sai", "Nội dung": "x", "Đáp án": "Có", "Khối": 13},
    ]
    result = read_xlsx(filled(rows))
    assert len(result.questions) == 4
    assert [e.location for e in result.errors] == [
        "dòng 2, cột Đáp án", "dòng 7, cột Đáp án", "dòng 8, cột Loại câu hỏi",
        "dòng 9, cột Mệnh đề d", "dòng 10, cột Đáp án", "dòng 11, cột Đáp án"]
    assert "A–B" in result.errors[1].message and "'E'" in result.errors[1].message
    assert "Một lựa chọn" in result.errors[2].message
    assert "27,5" in result.errors[4].message


def test_export_neutralises_formula_cells():
    question = ParsedQuestion(
        payload={**common("single_choice", '=HYPERLINK("x")'), "options": [
            {"id": "a", "text_html": "+1", "correct": True, "feedback_html": ""},
            {"id": "b", "text_html": "@SUM(A1)", "correct": False, "feedback_html": ""},
            {"id": "c", "text_html": "-2", "correct": False, "feedback_html": ""},
            {"id": "d", "text_html": "\tx", "correct": False, "feedback_html": ""}],
            "shuffle": True, "pinned": []},
        title="", tags=["=cmd"])
    data = export_xlsx([question])
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Câu hỏi"]
    values = [c.value for c in sheet[2] if c.value]
    assert all(c.data_type != "f" for c in sheet[2])
    assert values[1:6] == ["'=HYPERLINK(\"x\")", "'+1", "'@SUM(A1)", "'-2", "'\tx"]
    assert "'=cmd" in values
    (again,) = read_xlsx(data).questions
    assert again.payload["text_html"] == question.payload["text_html"]
    assert [o["text_html"] for o in again.payload["options"]] == ["+1", "@SUM(A1)", "-2", "x"]


def cell_text():
    """Plain text as a payload holds it (escaped), never read back as HTML."""
    return plain(forbid="|\n").filter(lambda s: not s.startswith("<")).map(
        lambda s: html.escape(s, quote=False))


@st.composite
def xlsx_payload(draw):
    kind = draw(st.sampled_from(["single_choice", "multiple_response", "true_false",
                                 "true_false_4", "short_text", "short_numeric", "essay"]))
    payload = {**common(kind, draw(cell_text())), "solution_html": draw(
        st.one_of(st.just(""), cell_text()))}
    if kind in ("single_choice", "multiple_response"):
        count = draw(st.integers(2, 8))
        right = draw(st.lists(st.integers(0, count - 1), min_size=1, unique=True,
                              max_size=1 if kind == "single_choice" else count))
        payload |= {"options": [{"id": "abcdefgh"[i], "text_html": draw(cell_text()),
                                 "correct": i in right, "feedback_html": ""}
                                for i in range(count)], "shuffle": True, "pinned": []}
    elif kind == "true_false":
        payload |= {"answer": draw(st.booleans()), "feedback_true_html": "",
                    "feedback_false_html": ""}
    elif kind == "true_false_4":
        payload["statements"] = [{"id": k, "text_html": draw(cell_text()),
                                  "answer": draw(st.booleans())} for k in "abcd"]
    elif kind == "short_text":
        answers = draw(st.lists(plain(forbid="|\n"), min_size=1, max_size=3))
        payload |= {"answers": [{"text": a, "fraction": "1"} for a in answers],
                    "case_sensitive": False, "ignore_diacritics": False}
    elif kind == "short_numeric":
        number = st.decimals(-1000, 1000, places=2, allow_nan=False).map(
            lambda d: format(d.normalize(), "f") if d else "0")
        payload |= {"answers": [{"value": draw(number), "tolerance": draw(number.filter(
            lambda s: not s.startswith("-"))), "fraction": "1"}], "format_2025": False}
    else:
        payload |= {"rubric": [], "min_words": 0, "max_words": 0,
                    "reference_html": draw(st.one_of(st.just(""), cell_text()))}
    return payload


@settings(max_examples=60, deadline=None)
@given(st.lists(xlsx_payload(), min_size=1, max_size=5))
def test_round_trip(payloads):
    result = read_xlsx(export_xlsx(payloads))
    assert not result.errors
    assert [q.payload for q in result.questions] == payloads


def test_hostile_archives_are_refused():
    assert [e.code for e in read_xlsx(b"PK\x03\x04 not a zip").errors] == ["bad_zip"]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(build_template())) as template, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for name in template.namelist():
            bomb.writestr(name, template.read(name))
        bomb.writestr("xl/media/pad.bin", b"\0" * (8 * 1024 * 1024))
    result = read_xlsx(out.getvalue())
    assert (result.questions, [e.code for e in result.errors]) == ([], ["compression_ratio"])
