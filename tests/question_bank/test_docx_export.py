"""Printable Word export: what the pages say (read back with python-docx) and the round trip
through our own Word importer."""

from __future__ import annotations

import io
import struct
import zlib
from decimal import Decimal

import docx
import pytest
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lms.core.storage import storage
from lms.curriculum.models import Subject
from lms.kernel import db
from lms.questions import services
from lms.questions.transfer import attachment_key, media_url
from question_bank import html_to_text, validate_payload
from question_bank.formats import export_docx, numeric_text, read_docx
from tests.question_bank.payloads import RAW, payload

M_OMATH = "{http://schemas.openxmlformats.org/officeDocument/2006/math}oMath"


def texts(data: bytes) -> list[str]:
    """Every paragraph's text, table cells included, in document order."""
    document = docx.Document(io.BytesIO(data))
    return [Paragraph(p, document).text for p in document.element.body.iter(qn("w:p"))]


def png(width: int = 4, height: int = 3) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_every_type_prints_in_vietnamese_conventions():
    data = export_docx([payload(kind) for kind in RAW])
    lines = texts(data)
    assert "PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn." in lines
    assert "PHẦN II. Câu trắc nghiệm đúng sai." in lines
    assert "PHẦN III. Câu trắc nghiệm trả lời ngắn." in lines
    assert "PHẦN IV. Tự luận và các dạng câu hỏi khác." in lines
    assert "Câu 1. Thủ đô của Việt Nam?" in lines
    assert "A. Phương án A\tB. Phương án B\tC. Phương án C\tD. Phương án D" in lines
    statements = [x for x in lines if x[:2] in ("a)", "b)", "c)", "d)") and "Ý" in x]
    assert statements[:4] == ["a) Ý a", "b) Ý b", "c) Ý c", "d) Ý d"]
    assert "A. Đúng\tB. Sai" in lines  # true_false as two options
    # matching: left numbered, right lettered and sorted by text (not in answer order)
    assert lines[lines.index("1) Việt Nam") + 1] == "a) Băng Cốc"
    # ordering: items listed by text, never in the correct order
    ordering = [x for x in lines if x.startswith(("a) Nhà", "b) Nhà", "c) Nhà", "d) Nhà"))]
    assert ordering == ["a) Nhà Lê", "b) Nhà Lý", "c) Nhà Nguyễn", "d) Nhà Trần"]
    # cloze gaps as numbered blanks, the dropdown's choices listed
    assert any("Thủ đô (1) …………, số (2) …………, chọn (3) ………… (sai / đúng)" in x for x in lines)
    # the stimulus passage, then its sub-questions
    at = next(i for i, x in enumerate(lines) if "Đọc đoạn văn và trả lời" in x)
    assert lines[at + 2].startswith("Dựa vào thông tin trên, trả lời 2 câu hỏi sau")
    assert lines[at + 3] == "Ý 1. Thủ đô của Việt Nam?"
    assert "------------- HẾT -------------" in lines
    # no question page reveals an answer: the key comes after HẾT
    key_at = lines.index("ĐÁP ÁN")
    assert key_at > lines.index("------------- HẾT -------------")
    assert "1-B" in lines[key_at:]
    assert "1. a) Đ, b) S, c) Đ, d) S" in lines[key_at:]
    assert "27,5" in lines[key_at:]
    assert "Câu 1 – 1 → b; 2 → d; 3 → a" in lines[key_at:]


def test_answer_boxes_and_essay_lines():
    document = docx.Document(io.BytesIO(export_docx([payload("short_numeric"),
                                                     payload("essay")], answer_key=False)))
    boxes = [t for t in document.tables if len(t.columns) == 4 and len(t.rows) == 1]
    assert len(boxes) == 1 and all(c.text == "" for c in boxes[0].rows[0].cells)
    dotted = [p for p in document.paragraphs if p.text == "\t"]
    assert len(dotted) >= 8  # essay (min 100 words) gets lines to write on
    assert "ĐÁP ÁN" not in [p.text for p in document.paragraphs]


def test_math_becomes_word_equations_and_reads_back_as_latex():
    question = payload("single_choice", text_html=r"Tính \(\frac{1}{2}+x^2\) và $\sqrt{3}$")
    data = export_docx([question])
    document = docx.Document(io.BytesIO(data))
    assert len(list(document.element.body.iter(M_OMATH))) == 2
    stem = read_docx(data).questions[0].payload["text_html"]
    assert r"\frac{1}{2}" in stem and r"\sqrt{3}" in stem and "^{2}" in stem


@pytest.mark.parametrize(("latex", "back"), [
    (r"\sum_{i=1}^{n} i^2", r"\sum_{i=1}^{n} {i}^{2}"),
    (r"\sqrt[3]{8}", r"\sqrt[3]{8}"),
    (r"\overline{AB}", r"\overline{AB}"),
    (r"\vec{u}", r"\vec{u}"),
    (r"\overrightarrow{AB}", r"\vec{AB}"),
    (r"\hat{A}", r"\hat{A}"),
    (r"x_{1}^{2}", r"{x}_{1}^{2}"),
    (r"\alpha \le \beta", r"\alpha \le \beta"),
    (r"\left( x+1 \right)^2", r"{(x+1)}^{2}"),
])
def test_formulas_survive_word_equations(latex, back):
    data = export_docx([payload("single_choice", text_html=f"Tính \\({latex}\\)")])
    result = read_docx(data)
    assert result.warnings == []
    assert result.questions[0].payload["text_html"] == f"Tính \\({back}\\)"


def test_a_formula_word_cannot_take_stays_as_latex_text():
    data = export_docx([payload("single_choice", text_html=r"Xét \(\unknowncommand{x}\)")])
    assert any(r"\(\unknowncommand{x}\)" in line for line in texts(data))


def test_images_come_from_the_loader_and_missing_ones_print_a_placeholder():
    picture = png()
    asked = []

    def load(src):
        asked.append(src)
        return picture if src == "/media/q/a.png" else None

    question = payload("single_choice", text_html='Hình <img src="/media/q/a.png" alt=""> và '
                       '<img src="/media/q/none.png" alt="thiếu">')
    data = export_docx([question], images=load)
    document = docx.Document(io.BytesIO(data))
    assert len(document.inline_shapes) == 1
    assert asked == ["/media/q/a.png", "/media/q/none.png"]
    assert any("[hình: thiếu]" in line for line in texts(data))
    # the importer gets the picture back as an attachment
    assert read_docx(data).questions[0].attachments[0].data == picture


def test_solutions_follow_the_key():
    data = export_docx([payload("single_choice", solution_html="<p>Vì Hà Nội là thủ đô.</p>")])
    lines = texts(data)
    assert lines.index("LỜI GIẢI") > lines.index("ĐÁP ÁN")
    assert "Câu 1 (phần I): Vì Hà Nội là thủ đô." in lines


def test_numeric_answers_are_written_as_on_the_answer_sheet():
    assert numeric_text("27.5") == "27,5"
    assert numeric_text("-0.25") == "-,25"
    assert numeric_text("0.5") == "0,5"
    assert numeric_text("-10") == "-10"


def test_script_in_question_text_stays_text():
    question = payload("single_choice", text_html="<script>alert(1)</script>a &lt;b&gt; {{7*7}}")
    lines = texts(export_docx([question]))
    assert "Câu 1. a <b> {{7*7}}" in lines


# ---------------------------------------------------------------- round trip

WORDS = st.text(st.sampled_from(list("abcdeghiklmnoptuvxyăâđêôơưạốữ ")), min_size=1,
                max_size=12).map(str.strip).filter(bool)
STEM = st.lists(WORDS, min_size=1, max_size=4).map(lambda w: "Tính " + " ".join(w) + "?")


@st.composite
def single_choice(draw):
    count = draw(st.integers(2, 6))
    texts_ = draw(st.lists(WORDS, min_size=count, max_size=count, unique=True))
    right = draw(st.integers(0, count - 1))
    return validate_payload({"type": "single_choice", "text_html": draw(STEM), "options": [
        {"id": "abcdef"[i], "text_html": t, "correct": i == right}
        for i, t in enumerate(texts_)]})


@st.composite
def true_false_4(draw):
    return validate_payload({"type": "true_false_4", "text_html": draw(STEM), "statements": [
        {"id": k, "text_html": draw(WORDS), "answer": draw(st.booleans())} for k in "abcd"]})


@st.composite
def short_numeric(draw):
    value = draw(st.sampled_from(["27.5", "-2", "0", "0.5", "-0.25", "1234", "-123", "3.14",
                                  ".5", "9,9"]))
    return validate_payload({"type": "short_numeric", "text_html": draw(STEM),
                             "format_2025": True, "answers": [{"value": value}]})


def comparable(question: dict) -> dict:
    """The fields the Word round trip carries, stems compared by their visible text."""
    out = {"type": question["type"], "text": html_to_text(question["text_html"])}
    if "options" in question:
        out["options"] = [(o["id"], html_to_text(o["text_html"]), o["correct"])
                          for o in question["options"]]
    if "statements" in question:
        out["statements"] = [(s["id"], html_to_text(s["text_html"]), s["answer"])
                             for s in question["statements"]]
    if "answers" in question:
        out["answers"] = [(Decimal(a["value"]), Decimal(a["tolerance"]))
                          for a in question["answers"]]
        out["format_2025"] = question["format_2025"]
    return out


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(single_choice(), true_false_4(), short_numeric()), min_size=1,
                max_size=8))
def test_export_then_import_gives_the_same_questions(questions):
    result = read_docx(export_docx(questions))
    assert result.errors == [], [str(e) for e in result.errors]
    # the export groups by part (I choice, II true/false, III short), keeping order inside
    order = {"single_choice": 0, "true_false_4": 1, "short_numeric": 2}
    expected = sorted(questions, key=lambda q: order[q["type"]])
    assert [comparable(q.payload) for q in result.questions] == \
        [comparable(q) for q in expected]


# ---------------------------------------------------------------- the CLI and media storage


def test_cli_exports_docx_with_images_from_media_storage(app, org, tmp_path):
    picture = png(6, 4)
    key = attachment_key("hinh.png", picture)
    storage().put_stream(key, io.BytesIO(picture), len(picture))
    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    meta = services.QuestionMeta(subject_id=toan.id, grade=10)
    stem = f'Quan sát hình <img src="{media_url(key)}" alt=""> rồi chọn'
    services.create_question(org.teacher_x, meta, dict(RAW["single_choice"], text_html=stem))
    services.create_question(org.teacher_x, meta, dict(RAW["true_false_4"]))
    db.session.commit()
    out = tmp_path / "bank.docx"
    result = app.test_cli_runner().invoke(args=[
        "questions", "export", "--format", "docx", "--out", str(out), "--status", "draft",
        "--subject", "TOAN"])
    assert result.exit_code == 0, result.output
    assert "Đã xuất 2 câu hỏi" in result.output
    document = docx.Document(io.BytesIO(out.read_bytes()))
    assert len(document.inline_shapes) == 1
    back = read_docx(out.read_bytes())
    assert [q.payload["type"] for q in back.questions] == ["single_choice", "true_false_4"]
    assert back.questions[0].attachments[0].data == picture
