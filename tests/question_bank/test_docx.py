"""Word (.docx) import: files are built here with python-docx, plus raw XML for what
python-docx cannot write (numbering, equations, highlight, legacy fonts, MathType)."""

from __future__ import annotations

import io
import time
import zipfile

import docx
import pytest
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml import parse_xml
from docx.shared import RGBColor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from question_bank import validate_payload
from question_bank.formats import detect_format, read_docx
from question_bank.formats.legacy_vn import tcvn3_to_unicode, vni_to_unicode

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
M_NS = 'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"'


def build(*paragraphs) -> bytes:
    """A .docx whose paragraphs are strings or lists of (text, format) runs; a callable
    receives the Document to add anything else."""
    document = docx.Document()
    for item in paragraphs:
        if callable(item):
            item(document)
        elif isinstance(item, str):
            document.add_paragraph(item)
        else:
            paragraph = document.add_paragraph()
            for text, fmt in item:
                add_run(paragraph, text, fmt)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def add_run(paragraph, text: str, fmt: str = ""):
    run = paragraph.add_run(text)
    if "u" in fmt:
        run.underline = True
    if "r" in fmt:
        run.font.color.rgb = RGBColor(0xFF, 0x00, 0x00)
    if "b" in fmt:
        run.bold = True
    if "h" in fmt:
        run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    return run


def only(result):
    assert result.errors == [], [str(e) for e in result.errors]
    assert len(result.questions) == 1
    return result.questions[0].payload


def correct_ids(payload) -> list[str]:
    return [o["id"] for o in payload["options"] if o["correct"]]


def choice(mark: str, fmt: str) -> bytes:
    """Question with options on separate lines; option ``mark`` formatted with ``fmt``."""
    lines = [[(f"{letter}. {text}", fmt if letter == mark else "")]
             for letter, text in zip("ABCD", ("Hà Nội", "Huế", "Đà Nẵng", "Cần Thơ"),
                                     strict=True)]
    return build("Câu 1. Thủ đô của Việt Nam là", *lines)


@pytest.mark.parametrize("fmt", ["u", "r", "h"])
def test_correct_option_marked_by_underline_red_or_highlight(fmt):
    payload = only(read_docx(choice("A", fmt), "de.docx"))
    assert payload["type"] == "single_choice"
    assert payload["text_html"] == "Thủ đô của Việt Nam là"
    assert [o["text_html"] for o in payload["options"]] == ["Hà Nội", "Huế", "Đà Nẵng",
                                                            "Cần Thơ"]
    assert correct_ids(payload) == ["a"]
    validate_payload(payload)


def test_bold_marks_only_when_exactly_one_option_is_bold():
    assert correct_ids(only(read_docx(choice("C", "b"), ""))) == ["c"]
    all_bold = build("Câu 1. Chọn", [("A. 1", "b")], [("B. 2", "b")], [("C. 3", "b")])
    result = read_docx(all_bold, "")
    assert result.questions == []
    (error,) = result.errors
    assert (error.code, error.location) == ("multiplecorrect", "câu 1 (đoạn 1)")
    assert "in đậm" in error.message


def test_several_options_per_line_with_spaces_and_tabs():
    data = build("Câu 5: 1 + 1 bằng", [("A. 1    B. ", ""), ("2", "u"), ("\tC. 3\tD. 4", "")],
                 "Question 6. Pick", [("A) x   ", ""), ("B) y", "r")])
    result = read_docx(data, "")
    first, second = (q.payload for q in result.questions)
    assert [o["text_html"] for o in first["options"]] == ["1", "2", "3", "4"]
    assert correct_ids(first) == ["b"]
    assert correct_ids(second) == ["b"]


@pytest.mark.parametrize("start", ["Câu 3", "Câu 3.", "Câu 3:", "Bài 3.", "Question 3", "3."])
def test_question_starts(start):
    data = build(f"{start} Đề bài", "*A. đúng", "B. sai")
    payload = only(read_docx(data, ""))
    assert payload["text_html"] == "Đề bài"
    assert correct_ids(payload) == ["a"]


def test_answer_line_and_solution_and_end_marker():
    data = build("Câu 1. Tính 2 + 2", "A. 3", "B. 4", "C. 5", "D. 6", "Đáp án: B",
                 "Lời giải", "Ta có 2 + 2 = 4.", "Chọn B.", "Câu 2. Hai", "A. x", "B. y",
                 "Hướng dẫn giải: Chọn A", "----- HẾT -----", "Câu 3. bỏ qua", "A. 1", "B. 2")
    result = read_docx(data, "")
    assert result.errors == []
    one, two = (q.payload for q in result.questions)
    assert correct_ids(one) == ["b"]
    assert one["solution_html"] == "Ta có 2 + 2 = 4.<br>Chọn B."
    assert correct_ids(two) == ["a"]


def test_answer_line_with_two_letters_is_multiple_response():
    payload = only(read_docx(build("Câu 1. Số chẵn", "A. 2", "B. 3", "C. 4",
                                   "Đáp án: A, C"), ""))
    assert payload["type"] == "multiple_response"
    assert correct_ids(payload) == ["a", "c"]


def add_key_table(document):
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "1-A"
    table.rows[0].cells[1].text = "2.C"


def test_answer_table_after_heading():
    questions = []
    for number in range(1, 5):
        questions += [f"Câu {number}. Câu hỏi {number}", "A. a", "B. b", "C. c", "D. d"]
    data = build(*questions, "--- Hết ---", "Câu 9. sau HẾT", "Bảng đáp án", add_key_table,
                 "3a   4. D")
    result = read_docx(data, "")
    assert result.errors == []
    assert [correct_ids(q.payload) for q in result.questions] == [["a"], ["c"], ["a"], ["d"]]


def test_unmarked_and_doubly_marked_questions_are_located_errors():
    data = build("Giới thiệu", "Câu 1. Không đánh dấu", "A. 1", "B. 2",
                 "Câu 2. Hai gạch chân", [("A. 1", "u")], [("B. 2", "u")],
                 "Câu 3. Đáp án sai", "A. 1", "B. 2", "Đáp án: E",
                 "Câu 4. Không phương án")
    result = read_docx(data, "")
    assert result.questions == []
    by_location = {e.location: e for e in result.errors}
    assert set(by_location) == {"câu 1 (đoạn 2)", "câu 2 (đoạn 5)", "câu 3 (đoạn 8)",
                                "câu 4 (đoạn 12)"}
    assert "gạch chân, chữ đỏ, in đậm" in by_location["câu 1 (đoạn 2)"].message
    assert by_location["câu 2 (đoạn 5)"].code == "multiplecorrect"
    assert "'E'" in by_location["câu 3 (đoạn 8)"].message
    assert "A. B. C. D." in by_location["câu 4 (đoạn 12)"].message


def test_not_a_docx_and_empty_document():
    assert read_docx(b"hello", "de.docx").errors[0].code == "bad_zip"
    empty = read_docx(build("Chỉ có tiêu đề"), "")
    assert empty.errors[0].code == "noquestionsinfile"


def test_detect_format_by_content():
    data = build("Câu 1. x", "*A. 1", "B. 2")
    assert detect_format("de.docx", data[:4096]) == "docx"
    assert detect_format("upload.bin", data[:4096]) == "docx"


def test_2025_layout_parts_true_false_4_and_short_answers():
    data = build(
        "PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn",
        "Câu 1. Chọn", "A. 1", [("B. 2", "u")], "C. 3", "D. 4",
        "PHẦN II. Câu trắc nghiệm đúng sai",
        "Câu 1. Cho hàm số y = x².",
        [("a) Hàm số chẵn.", "r")], "b) Hàm số lẻ.", [("c) ", ""), ("Đồ thị qua gốc.", "u")],
        "d) Đồ thị là đường thẳng.",
        "Câu 2. Xét dãy số", "a) một", "b) hai", "c) ba", "d) bốn",
        "Đáp án: a) Đ, b) S, c) S, d) Đ",
        "Phần 3",
        "Câu 1. Tính 1/4.", "Đáp án: 0,25",
        "Câu 2. Thủ đô?", "Đáp án: Hà Nội",
        "Câu 3. Số lớn", "Đáp án: 12345",
        "Câu 4. Âm", "Đáp án: -1,5",
    )
    result = read_docx(data, "")
    assert result.errors == [], [str(e) for e in result.errors]
    kinds = [q.payload["type"] for q in result.questions]
    assert kinds == ["single_choice", "true_false_4", "true_false_4", "short_numeric",
                     "short_text", "short_text", "short_numeric"]
    tf_marked, tf_line = result.questions[1].payload, result.questions[2].payload
    assert [s["answer"] for s in tf_marked["statements"]] == [True, False, True, False]
    assert tf_marked["statements"][2]["text_html"] == "Đồ thị qua gốc."
    assert [s["answer"] for s in tf_line["statements"]] == [True, False, False, True]
    numeric = result.questions[3].payload
    assert numeric["answers"][0]["value"] == "0.25" and numeric["format_2025"] is True
    assert result.questions[4].payload["answers"][0]["text"] == "Hà Nội"
    assert result.questions[6].payload["answers"][0]["value"] == "-1.5"
    assert result.questions[1].location == "phần II, câu 1 (đoạn 8)"
    for question in result.questions:
        validate_payload(question.payload)


def test_part_key_table_and_compact_true_false_answers():
    data = build("PHẦN I", "Câu 1. x", "A. 1", "B. 2", "PHẦN II", "Câu 1. y", "a) p", "b) q",
                 "c) r", "d) s", "HẾT", "ĐÁP ÁN", "PHẦN I", "1-B", "PHẦN II", "1. Đ S S Đ")
    result = read_docx(data, "")
    assert result.errors == [], [str(e) for e in result.errors]
    assert correct_ids(result.questions[0].payload) == ["b"]
    statements = result.questions[1].payload["statements"]
    assert [s["answer"] for s in statements] == [True, False, False, True]


def test_true_false_4_problems():
    data = build("PHẦN II", "Câu 1. Thiếu ý", "a) p", "b) q", "c) r",
                 "Câu 2. Không đánh dấu", "a) p", "b) q", "c) r", "d) s",
                 "PHẦN III", "Câu 1. Không có đáp án")
    result = read_docx(data, "")
    assert result.questions == []
    messages = [e.message for e in result.errors]
    assert "cần đủ 4 ý a) b) c) d); tìm thấy 3" in messages[0]
    assert "không xác định được ý nào đúng" in messages[1]
    assert "dòng 'Đáp án: …'" in messages[2]


def test_essay_part_and_bai_without_options():
    data = build("I.", "II. TỰ LUẬN", "Bài 1. Giải phương trình x + 1 = 0.",
                 "Hướng dẫn giải", "x = -1")
    payload = only(read_docx(data, ""))
    assert payload["type"] == "essay"
    assert payload["solution_html"] == "x = -1"


def numbering(document):
    """Lists: 101 'Câu %1.' decimal; 102/103 'A.' upperLetter (103 restarts); 104 'a)'."""
    part = document.part.numbering_part.element
    levels = {1: ("decimal", "Câu %1."), 2: ("upperLetter", "%1."), 3: ("lowerLetter", "%1)")}
    for abstract, (fmt, text) in levels.items():
        part.append(parse_xml(
            f'<w:abstractNum {W_NS} w:abstractNumId="{abstract}"><w:lvl w:ilvl="0">'
            f'<w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
            '</w:lvl></w:abstractNum>'))
    for num, abstract in ((101, 1), (102, 2), (103, 2), (104, 3)):
        override = ('<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>'
                    if num == 103 else "")
        part.append(parse_xml(f'<w:num {W_NS} w:numId="{num}"><w:abstractNumId '
                              f'w:val="{abstract}"/>{override}</w:num>'))


def numbered(num: int, text: str, fmt: str = ""):
    def add(document):
        paragraph = document.add_paragraph()
        paragraph._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {W_NS}><w:ilvl w:val="0"/><w:numId w:val="{num}"/></w:numPr>'))
        add_run(paragraph, text, fmt)
    return add


def test_word_automatic_numbering_is_resolved():
    data = build(numbering,
                 numbered(101, "Thủ đô?"), numbered(102, "Huế"), numbered(102, "Hà Nội", "u"),
                 numbered(101, "Số chẵn?"), numbered(103, "3"), numbered(103, "4", "r"),
                 numbered(101, "Hàm số"), numbered(104, "chẵn", "u"), numbered(104, "lẻ"),
                 numbered(104, "tăng", "u"), numbered(104, "giảm"))
    result = read_docx(data, "")
    assert result.errors == [], [str(e) for e in result.errors]
    first, second, third = (q.payload for q in result.questions)
    assert [q.location for q in result.questions] == ["câu 1 (đoạn 1)", "câu 2 (đoạn 4)",
                                                      "câu 3 (đoạn 7)"]
    assert first["text_html"] == "Thủ đô?" and correct_ids(first) == ["b"]
    assert [o["text_html"] for o in second["options"]] == ["3", "4"]
    assert correct_ids(second) == ["b"]
    assert third["type"] == "true_false_4"
    assert [s["answer"] for s in third["statements"]] == [True, False, True, False]


def omml(body: str):
    def add(paragraph):
        paragraph._p.append(parse_xml(f"<m:oMath {M_NS}>{body}</m:oMath>"))
    return add


def r(text: str) -> str:
    return f"<m:r><m:t>{text}</m:t></m:r>"


def paragraph_with(*parts):
    """A paragraph of strings (runs) and callables (raw XML appended to the paragraph)."""
    def add(document):
        paragraph = document.add_paragraph()
        for part in parts:
            if callable(part):
                part(paragraph)
            else:
                add_run(paragraph, *part) if isinstance(part, tuple) else add_run(paragraph, part)
    return add


EQUATIONS = [
    (f"<m:f><m:num>{r('1')}</m:num><m:den>{r('2')}</m:den></m:f>{r('+')}"
     f"<m:sSup><m:e>{r('x')}</m:e><m:sup>{r('2')}</m:sup></m:sSup>", r"\frac{1}{2}+{x}^{2}"),
    (f"<m:rad><m:radPr><m:degHide m:val='1'/></m:radPr><m:deg/><m:e>{r('x')}</m:e></m:rad>"
     f"<m:rad><m:deg>{r('3')}</m:deg><m:e>{r('y')}</m:e></m:rad>", r"\sqrt{x}\sqrt[3]{y}"),
    (f"<m:d><m:e>{r('x+1')}</m:e></m:d><m:d><m:dPr><m:begChr m:val='['/><m:endChr m:val=')'/>"
     f"</m:dPr><m:e>{r('0')}</m:e><m:e>{r('1')}</m:e></m:d>",
     r"\left( x+1 \right) \left[ 0 | 1 \right)"),
    (f"<m:nary><m:naryPr><m:chr m:val='∑'/></m:naryPr><m:sub>{r('i=1')}</m:sub>"
     f"<m:sup>{r('n')}</m:sup><m:e>{r('i')}</m:e></m:nary>{r('≤')}"
     f"<m:nary><m:sub>{r('0')}</m:sub><m:sup>{r('1')}</m:sup><m:e>{r('f')}</m:e></m:nary>",
     r"\sum_{i=1}^{n} i\le \int_{0}^{1} f"),
    (f"<m:func><m:fName>{r('sin')}</m:fName><m:e>{r('x')}</m:e></m:func>"
     f"<m:sSub><m:e>{r('a')}</m:e><m:sub>{r('n')}</m:sub></m:sSub>"
     f"<m:sSubSup><m:e>{r('b')}</m:e><m:sub>{r('1')}</m:sub><m:sup>{r('2')}</m:sup></m:sSubSup>",
     r"\sin x{a}_{n}{b}_{1}^{2}"),
    (f"<m:bar><m:barPr><m:pos m:val='top'/></m:barPr><m:e>{r('AB')}</m:e></m:bar>"
     f"<m:acc><m:accPr><m:chr m:val='\u20d7'/></m:accPr><m:e>{r('u')}</m:e></m:acc>"
     f"<m:acc><m:e>{r('α')}</m:e></m:acc>",
     r"\overline{AB}\vec{u}\hat{\alpha }"),
]


@pytest.mark.parametrize(("body", "latex"), EQUATIONS)
def test_native_equations_become_latex(body, latex):
    data = build(paragraph_with("Câu 1. Tính ", omml(body)),
                 paragraph_with("*A. ", omml(f"<m:f><m:num>{r('1')}</m:num><m:den>{r('3')}"
                                             "</m:den></m:f>")), "B. 0")
    result = read_docx(data, "")
    payload = only(result)
    assert payload["text_html"] == f"Tính \\({latex}\\)"
    assert payload["options"][0]["text_html"] == r"\(\frac{1}{3}\)"
    assert result.warnings == []


def test_unknown_equation_element_keeps_its_text_with_a_warning():
    data = build(paragraph_with("Câu 1. ", omml(f"<m:mystery>{r('x&lt;y')}</m:mystery>")),
                 "*A. 1", "B. 2")
    result = read_docx(data, "")
    assert only(result)["text_html"] == r"\(x&lt;y\)"
    assert [(w.location, w.code) for w in result.warnings] == [("đoạn 1", "ommlunsupported")]
    assert "mystery" in result.warnings[0].message


def png() -> bytes:
    """A valid 1×1 PNG."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def picture(paragraph):
    paragraph.add_run().add_picture(io.BytesIO(png()))


def mathtype(paragraph):
    rel_id, _ = paragraph.part.get_or_add_image(io.BytesIO(png()))
    paragraph.add_run()._r.append(parse_xml(
        f'<w:object {W_NS} xmlns:v="urn:schemas-microsoft-com:vml" '
        'xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<v:shape id="_x0000_i1025" style="width:30pt;height:15pt">'
        f'<v:imagedata r:id="{rel_id}" o:title=""/></v:shape>'
        '<o:OLEObject Type="Embed" ProgID="Equation.DSMT4" ShapeID="_x0000_i1025" '
        'DrawAspect="Content" ObjectID="_1"/></w:object>'))


def test_images_become_attachments_and_mathtype_keeps_its_preview_with_a_warning():
    data = build(paragraph_with("Câu 1. Hình vẽ ", picture), "*A. một", "B. hai",
                 "Câu 2. Công thức", paragraph_with("*A. ", mathtype), "B. 0")
    result = read_docx(data, "")
    assert result.errors == []
    first, second = result.questions
    assert len(first.attachments) == 1
    name = first.attachments[0].name
    assert first.attachments[0].data == png()
    assert first.payload["text_html"] == f'Hình vẽ <img src="@@PLUGINFILE@@/{name}" alt="">'
    assert len(second.attachments) == 1
    assert second.attachments[0].name != name
    assert "@@PLUGINFILE@@/" in second.payload["options"][0]["text_html"]
    assert [(w.location, w.code) for w in result.warnings] == [("đoạn 5", "mathtype")]


def test_legacy_character_maps():
    assert tcvn3_to_unicode("Tr\u00adêng häc") == "Trường học"
    assert tcvn3_to_unicode("§Ò thi", capitals=False) == "Đề thi"
    assert tcvn3_to_unicode("tr\u00adêng", capitals=True) == "TRƯỜNG"
    assert vni_to_unicode("Tröôøng hoïc") == "Trường học"
    assert vni_to_unicode("Ñeà thi thöû") == "Đề thi thử"
    assert vni_to_unicode("Vieät Nam") == "Việt Nam"
    assert vni_to_unicode("TRÖÔØNG") == "TRƯỜNG"
    assert vni_to_unicode("Giaùo vieân Ngöõ vaên, Quaûng Ngaõi") == "Giáo viên Ngữ văn, Quảng Ngãi"
    assert tcvn3_to_unicode("Gi¸o viªn, H\u00adíng dÉn, Kh«ng") == "Giáo viên, Hướng dẫn, Không"


def legacy_run(text: str, font: str):
    def add(paragraph):
        paragraph.add_run(text).font.name = font
    return add


def test_tcvn3_and_vni_text_is_converted_with_a_warning():
    data = build(paragraph_with("Câu 1. ", legacy_run("Tr\u00adêng häc", ".VnTime")),
                 paragraph_with("*A. ", legacy_run("Tröôøng", "VNI-Times")), "B. 0")
    result = read_docx(data, "")
    payload = only(result)
    assert payload["text_html"] == "Trường học"
    assert payload["options"][0]["text_html"] == "Trường"
    assert {w.code for w in result.warnings} == {"legacyencoding"}
    assert len(result.warnings) == 2


def rewrite(data: bytes, replace: dict[str, bytes] | None = None,
            add: tuple[tuple[str, bytes], ...] = ()) -> bytes:
    """The same .docx with some entries replaced and others added."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, body in add:
            target.writestr(name, body)
    return out.getvalue()


XXE = ('<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
       f'<w:document {W_NS}><w:body><w:p><w:r><w:t>Câu 1. &e;</w:t></w:r></w:p></w:body>'
       '</w:document>').encode()


@pytest.mark.parametrize(("hostile", "code"), [
    ({"add": (("word/media/bomb.bin", b"\0" * (20 * 1024 * 1024)),)}, "compression_ratio"),
    ({"add": (("../../evil.txt", b"x"),)}, "unsafe_path"),
    ({"replace": {"word/document.xml": XXE}}, "xmlunsafe"),
    ({"replace": {"word/document.xml": b"<w:document"}}, "xmlinvalid"),
    ({"replace": {"word/document.xml": (
        f'<w:document {W_NS} {M_NS}><w:body><w:p><m:oMath>'
        + "<m:f><m:num>" * 3000 + "</m:num></m:f>" * 3000
        + '</m:oMath></w:p></w:body></w:document>').encode()}}, "toodeep"),
])
def test_hostile_docx_is_refused_cleanly(hostile, code):
    data = rewrite(build("Câu 1. x", "*A. 1", "B. 2"), **hostile)
    result = read_docx(data, "de.docx")
    assert result.questions == []
    assert [(e.location, e.code) for e in result.errors] == [("tệp", code)]
    assert "«de.docx»" in result.errors[0].message


def test_zip_without_document_is_not_a_docx():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<x/>")
    assert read_docx(out.getvalue(), "").errors[0].code == "notdocx"


def test_a_thousand_question_docx():
    document = docx.Document()
    for number in range(1, 1001):
        document.add_paragraph(f"Câu {number}. Tính {number} + 1 bằng bao nhiêu?")
        paragraph = document.add_paragraph(f"A. {number}\tB. ")
        add_run(paragraph, str(number + 1), "u")
        paragraph.add_run(f"\tC. {number + 2}\tD. {number + 3}")
        document.add_paragraph(f"Lời giải: {number} + 1 = {number + 1}.")
    buffer = io.BytesIO()
    document.save(buffer)
    started = time.perf_counter()
    result = read_docx(buffer.getvalue(), "lon.docx")
    print(f"1000-question docx imported in {time.perf_counter() - started:.2f} s")
    assert result.errors == []
    assert len(result.questions) == 1000


def grid_key(document):
    """'Câu | 1 | 2' over 'Đáp án | C | B', then rows '3 | D'."""
    table = document.add_table(rows=3, cols=3)
    for col, text in enumerate(("Câu", "1", "2")):
        table.rows[0].cells[col].text = text
    for col, text in enumerate(("Đáp án", "C", "B")):
        table.rows[1].cells[col].text = text
    table.rows[2].cells[0].text = "3"
    table.rows[2].cells[1].text = "D"


def test_answer_table_laid_out_as_a_grid():
    questions = []
    for number in range(1, 4):
        questions += [f"Câu {number}. Hỏi {number}", "A. a", "B. b", "C. c", "D. d"]
    result = read_docx(build(*questions, "ĐÁP ÁN", grid_key), "")
    assert result.errors == [], [str(e) for e in result.errors]
    assert [correct_ids(q.payload) for q in result.questions] == [["c"], ["b"], ["d"]]


def test_markup_in_text_stays_text():
    payload = only(read_docx(build("Câu 1. <script>alert(1)</script> x<y", "*A. <b>1</b>",
                                   "B. 2"), ""))
    assert payload["text_html"] == "&lt;script&gt;alert(1)&lt;/script&gt; x&lt;y"
    assert payload["options"][0]["text_html"] == "&lt;b&gt;1&lt;/b&gt;"


def test_numbered_lines_inside_a_question_do_not_start_questions():
    data = build("1. Cho các mệnh đề:", "3. mệnh đề ba", "A. một", "*B. hai",
                 "Lời giải", "1. Bước một", "2. Câu sau đó", "2. Câu hai", "*A. x", "B. y")
    result = read_docx(data, "")
    assert result.errors == []
    first, second = result.questions
    assert first.payload["text_html"] == "Cho các mệnh đề:<br>3. mệnh đề ba"
    assert first.payload["solution_html"] == "1. Bước một<br>2. Câu sau đó"
    assert second.payload["text_html"] == "Câu hai"


def test_numbering_through_a_paragraph_style():
    def styled(document):
        numbering(document)
        styles = document.styles.element
        styles.append(parse_xml(
            f'<w:style {W_NS} w:type="paragraph" w:styleId="CauHoi"><w:name w:val="Cau hoi"/>'
            '<w:pPr><w:numPr><w:numId w:val="101"/></w:numPr></w:pPr></w:style>'))
        styles.append(parse_xml(
            f'<w:style {W_NS} w:type="paragraph" w:styleId="CauHoi2"><w:name w:val="Cau 2"/>'
            '<w:basedOn w:val="CauHoi"/></w:style>'))
        for style_id, text in (("CauHoi", "Một?"), ("CauHoi2", "Hai?")):
            paragraph = document.add_paragraph(text)
            paragraph._p.get_or_add_pPr().append(parse_xml(
                f'<w:pStyle {W_NS} w:val="{style_id}"/>'))
            document.add_paragraph("*A. x")
            document.add_paragraph("B. y")
    result = read_docx(build(styled), "")
    assert result.errors == []
    assert [q.location for q in result.questions] == ["câu 1 (đoạn 1)", "câu 2 (đoạn 4)"]
    assert [q.payload["text_html"] for q in result.questions] == ["Một?", "Hai?"]


def test_answer_line_forms():
    for line, expected in (("Đáp án: c", ["c"]), ("Chọn D.", ["d"]),
                           ("Đáp án: Chọn B (vì 2 > 1)", ["b"])):
        payload = only(read_docx(build("Câu 1. x", "A. 1", "B. 2", "C. 3", "D. 4", line), ""))
        assert correct_ids(payload) == expected, line


def options_table(document):
    document.add_paragraph("Câu 1. Bảng phương án")
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip((c for row in table.rows for c in row.cells),
                          ("A. một", "B. *hai", "C. ba", "D. bốn"), strict=True):
        cell.text = text


def test_options_in_a_table_and_star_after_the_letter():
    payload = only(read_docx(build(options_table), ""))
    assert [o["text_html"] for o in payload["options"]] == ["một", "hai", "ba", "bốn"]
    assert correct_ids(payload) == ["b"]


def test_invalid_payload_is_reported_not_returned():
    result = read_docx(build("Câu 1. Trống", "A. ", "*B. x"), "")
    assert result.questions == []
    assert result.errors[0].code == "invalidquestion"
    assert result.errors[0].location == "câu 1 (đoạn 1)"


def test_entry_larger_than_declared_is_refused():
    """The central directory says document.xml has 10 bytes; reading must not trust it."""
    data = bytearray(build("Câu 1. x", "*A. 1", "B. 2"))
    position = data.find(b"PK\x01\x02")
    while position != -1:
        name_length = int.from_bytes(data[position + 28:position + 30], "little")
        if data[position + 46:position + 46 + name_length] == b"word/document.xml":
            data[position + 24:position + 28] = (10).to_bytes(4, "little")
        position = data.find(b"PK\x01\x02", position + 4)
    result = read_docx(bytes(data), "")
    assert result.questions == []
    assert result.errors[0].code in ("bad_zip", "too_large", "corrupt_entry")


def test_legacy_font_from_the_normal_style():
    def normal_vntime(document):
        document.styles["Normal"].font.name = ".VnTime"
        document.add_paragraph("C©u 1. Thñ ®« cña ViÖt Nam lµ")
        document.add_paragraph("*A. Hµ Néi")
        document.add_paragraph("B. HuÕ")
    result = read_docx(build(normal_vntime), "")
    payload = only(result)
    assert payload["text_html"] == "Thủ đô của Việt Nam là"
    assert [o["text_html"] for o in payload["options"]] == ["Hà Nội", "Huế"]
    assert [w.code for w in result.warnings] == ["legacyencoding"]


def test_unicode_text_in_a_legacy_font_is_kept():
    data = build(paragraph_with("Câu 1. ", legacy_run("Trường học", ".VnTime")),
                 "*A. x", "B. y")
    result = read_docx(data, "")
    assert only(result)["text_html"] == "Trường học"
    assert result.warnings == []


def test_answer_line_wins_over_formatting_with_a_warning():
    result = read_docx(build("Câu 1. x", "A. 1", [("B. 2", "u")], "Đáp án: A"), "")
    payload = only(result)
    assert correct_ids(payload) == ["a"]
    warning, = result.questions[0].warnings
    assert (warning.code, warning.location) == ("answerconflict", "câu 1 (đoạn 1)")


def test_level_tags_titles_and_essay_sub_questions():
    data = build("PHẦN I. TRẮC NGHIỆM", "Câu 1 (NB): Cho hình vẽ:", paragraph_with(picture),
                 "Hình trên có bao nhiêu cạnh?", "A. 3\t\tB. 4", [("C. 5\t\t", "")],
                 [("D. 6", "r")],
                 "PHẦN II. TỰ LUẬN", "Bài 1. Giải phương trình", "a) x + 1 = 0", "b) 2x = 4",
                 "Lời giải", "a) x = -1", "b) x = 2",
                 "Câu 2 [VDC]. Tính", "a) 1 + 1", "b) 2 + 2")
    result = read_docx(data, "")
    assert result.errors == [], [str(e) for e in result.errors]
    choice_question, essay, essay_two = result.questions
    assert choice_question.tags == ["NB"]
    assert choice_question.title == "Cho hình vẽ: Hình trên có bao nhiêu cạnh?"
    assert correct_ids(choice_question.payload) == ["d"]
    assert essay.payload["type"] == "essay"
    assert essay.payload["text_html"] == "Giải phương trình<br>a) x + 1 = 0<br>b) 2x = 4"
    assert essay.payload["solution_html"] == "a) x = -1<br>b) x = 2"
    assert essay_two.tags == ["VDC"] and essay_two.payload["type"] == "essay"


def short_key_rows(document):
    table = document.add_table(rows=2, cols=2)
    for row, (number, value) in enumerate((("1", "0,5"), ("2", "Hà Nội"))):
        table.rows[row].cells[0].text = number
        table.rows[row].cells[1].text = value


def test_key_split_by_parts_with_short_answers():
    data = build("PHẦN I", "Câu 1. x", "A. 1", "B. 2",
                 "PHẦN III", "Câu 1. Số?", "Câu 2. Thủ đô?", "Câu 3. Âm?",
                 "HẾT", "ĐÁP ÁN", "PHẦN I", "Câu 1: B", "PHẦN III", short_key_rows, "Câu 3. -2")
    result = read_docx(data, "")
    assert result.errors == [], [str(e) for e in result.errors]
    first, number, text, negative = (q.payload for q in result.questions)
    assert correct_ids(first) == ["b"]
    assert (number["type"], number["answers"][0]["value"]) == ("short_numeric", "0.5")
    assert (text["type"], text["answers"][0]["text"]) == ("short_text", "Hà Nội")
    assert negative["answers"][0]["value"] == "-2"


TRICKY_LINES = ["Câu 1.", "Câu 2: x", "1.", "2. y", "Bài 3", "A.", "A. 1", "B. 2 C. 3", "*D. 4",
                "a) p", "b)", "c) r", "d) s", "e) t", "PHẦN I", "Phần 2", "PHẦN III", "II. TỰ LUẬN",
                "Đáp án:", "Đáp án: Z", "Đáp án: a) Đ", "Chọn E", "Lời giải", "HẾT", "ĐÁP ÁN",
                "1-A 2.B 3c", "1. ĐSĐS", "Câu 1: 0,5", "", "   ", "\t", "x" * 300]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TRICKY_LINES), max_size=25))
def test_any_sequence_of_lines_is_read_without_raising(lines):
    result = read_docx(build(*lines), "de.docx")
    for problem in result.errors + result.warnings:
        assert problem.location and problem.message
    for question in result.questions:
        validate_payload(question.payload)
        assert question.location.startswith(("câu", "phần"))
