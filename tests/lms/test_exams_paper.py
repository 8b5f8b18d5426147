"""Paper mode: test papers per mã đề, answer keys, the 2025 answer sheet, PDFs, permissions."""

from __future__ import annotations

import csv
import html
import io
import re
import subprocess  # noqa: S404 - pdftotext reads the printed PDFs back

import docx
import pytest
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from sqlalchemy import select

from lms.core.pdf import html_to_pdf
from lms.curriculum.models import Subject
from lms.exams import paper, services
from lms.exams.paper_views import exam_variants
from lms.kernel import db
from lms.questions import services as questions
from question_bank.formats import read_docx
from tests.conftest import login
from tests.question_bank.payloads import RAW, payload

needs_chromium = pytest.mark.usefixtures("chromium")


def choice(n: int, right: str) -> dict:
    return payload("single_choice", text_html=f"Câu hỏi trắc nghiệm số {n}", options=[
        {"id": k, "text_html": f"Phương án {k} của câu {n}", "correct": k == right}
        for k in "abcd"])


def tf4(n: int, truth: str) -> dict:
    return payload("true_false_4", text_html=f"Câu đúng sai số {n}", statements=[
        {"id": k, "text_html": f"Ý {k} của câu {n}", "answer": v == "Đ"}
        for k, v in zip("abcd", truth, strict=True)])


def short(n: int, value: str) -> dict:
    return payload("short_numeric", text_html=f"Câu trả lời ngắn số {n}", format_2025=True,
                   answers=[{"value": value}])


SHORT_VALUES = ("27.5", "-2", "0.5", "1234", "-0.25", "3")


def exam_2025_payloads() -> list[dict]:
    """18 choice questions (answers cycling A–D), 4 true/false, 6 short answers."""
    return ([choice(n, "abcd"[(n - 1) % 4]) for n in range(1, 19)]
            + [tf4(n, t) for n, t in zip(range(1, 5), ("ĐSĐS", "ĐĐĐĐ", "SSSS", "SĐSĐ"),
                                          strict=True)]
            + [short(n, v) for n, v in enumerate(SHORT_VALUES, 1)])


def snapshot_of(payloads: list[dict]) -> list[dict]:
    return [{"slot": i, "payload": p, "points": "1", "section": ""}
            for i, p in enumerate(payloads, 1)]


def texts(data: bytes) -> list[str]:
    document = docx.Document(io.BytesIO(data))
    return [Paragraph(p, document).text for p in document.element.body.iter(qn("w:p"))]


@pytest.fixture
def exam_2025(org):
    """A published 2025-format exam of teacher X (18 + 4 + 6 questions), 50 minutes."""
    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    meta = questions.QuestionMeta(subject_id=toan.id, grade=10)
    bank = [questions.create_question(org.teacher_x, meta, p) for p in exam_2025_payloads()]
    exam = services.create_exam(org.teacher_x, "Kiểm tra giữa kì I", [q.id for q in bank],
                                settings={"time_limit_minutes": 50})
    services.publish(org.teacher_x, exam)
    services.assign_to_class(org.teacher_x, exam, org.class_x)
    db.session.commit()
    return exam


# ---------------------------------------------------------------- pure functions


def test_a_variant_reorders_questions_and_options_and_its_key_follows():
    snapshot = snapshot_of([choice(1, "a"), choice(2, "b"), tf4(1, "ĐSĐS"), short(1, "27.5")])
    variant = paper.Variant("132", [2, 1, 4, 3], {"2": ["d", "c", "b", "a"], "1": ["b", "a",
                                                                                  "c", "d"]})
    entries = paper.entries_for(snapshot, variant)
    assert paper.key_rows("132", entries) == [
        ("132", "I", 1, "C"), ("132", "I", 2, "B"), ("132", "II", 1, "ĐSĐS"),
        ("132", "III", 1, "27,5")]
    lines = texts(paper.paper_docx(paper.PaperHeader("Đề thử", "132"), entries))
    assert lines[lines.index("Câu 1. Câu hỏi trắc nghiệm số 2") + 1].startswith(
        "A. Phương án d của câu 2\tB. Phương án c của câu 2")
    # the fixed paper keeps the snapshot order
    fixed = paper.entries_for(snapshot, paper.fixed_variant(snapshot))
    assert [row[3] for row in paper.key_rows("000", fixed)] == ["A", "B", "ĐSĐS", "27,5"]


def test_the_printed_paper_is_read_by_our_importer_as_the_same_parts_and_numbers():
    entries = paper.entries_for(snapshot := snapshot_of(exam_2025_payloads()),
                                paper.fixed_variant(snapshot))
    result = read_docx(paper.paper_docx(paper.PaperHeader("Đề", "000"), entries))
    # the paper carries no answers, so each question is found and reported as unanswered
    assert result.questions == []
    found = [re.match(r"phần (\w+), câu (\d+)", e.location).groups() for e in result.errors]
    assert found == ([("I", str(n)) for n in range(1, 19)] + [("II", str(n)) for n in range(1, 5)]
                     + [("III", str(n)) for n in range(1, 7)])


def test_answer_sheet_has_a_bubble_for_every_answer_of_a_2025_exam():
    entries = paper.entries_for(snapshot := snapshot_of(exam_2025_payloads()),
                                paper.fixed_variant(snapshot))
    layout = paper.sheet_layout(entries, "0123")
    assert (layout.choice, layout.true_false, layout.short, layout.code_digits) == (18, 4, 6, 4)
    page = paper.answer_sheet_html("Kiểm tra", layout)

    def bubbles(part: str) -> list[tuple[str, str, str]]:
        return re.findall(rf'class="bubble" data-part="{part}" data-q="(\d+)"'
                          rf'(?: data-s="(\w)")? data-v="([^"]+)"', page)

    assert len(bubbles("I")) == 18 * 4
    assert {q for q, _s, _v in bubbles("I")} == {str(n) for n in range(1, 19)}
    assert len(bubbles("II")) == 4 * 4 * 2  # Đúng/Sai for a)–d) of 4 questions
    part3 = bubbles("III")
    assert len(part3) == 6 * (4 * 10 + 1 + 2)  # digits in 4 columns, "-" once, "," twice
    assert [(s, v) for q, s, v in part3 if q == "1" and v in "-,"] == [
        ("1", "-"), ("2", ","), ("3", ",")]
    assert len(bubbles("sbd")) == 60 and len(bubbles("ma-de")) == 40
    for field in ("Họ và tên thí sinh", "Số báo danh", "Mã đề"):
        assert field in page


def test_every_type_prints_in_the_pdf_page_without_revealing_answers():
    snapshot = snapshot_of([payload(kind) for kind in RAW])
    page = paper.paper_html(paper.PaperHeader("Đề", "000"),
                            paper.entries_for(snapshot, paper.fixed_variant(snapshot)))
    assert "[[g" not in page and "(1) …………" in page and "(sai / đúng)" in page
    assert page.index("Băng Cốc") < page.index("Hà Nội") < page.index("Phnôm Pênh")
    assert page.index("Nhà Lê") < page.index("Nhà Lý") < page.index("Nhà Nguyễn")
    assert "Nhận xét" not in page and "Bài mẫu" not in page  # feedback, reference answer
    assert "Ý 1." in page and "Ý 2." in page  # the stimulus' sub-questions
    assert "trả lời 2 câu hỏi sau" in page
    visible = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Câu 5. Đọc đoạn văn và trả lời" in visible and "Đọc đoạn văn sau" in visible
    assert "Câu 6." not in visible  # the description takes no number


def test_key_csv_neutralises_formula_cells():
    snapshot = snapshot_of([short(1, "-2"), choice(1, "a")])
    entries = paper.entries_for(snapshot, paper.fixed_variant(snapshot))
    text = paper.answer_key_csv([("=cmd|' /C calc'!A0", entries)])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["ma_de", "phan", "cau", "dap_an"]
    assert rows[1] == ["'=cmd|' /C calc'!A0", "I", "1", "A"]
    assert rows[2][3] == "'-2"
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
               for row in rows for cell in row)


def test_question_html_in_the_pdf_page_cannot_load_anything():
    question = payload("single_choice", text_html='<img src="/media/x.png" alt="a">'
                       '<img src="http://evil.example/x.png"> <script>alert(1)</script>')
    snapshot = snapshot_of([question])
    page = paper.paper_html(paper.PaperHeader("T", "000"),
                            paper.entries_for(snapshot, paper.fixed_variant(snapshot)),
                            images=lambda src: None)
    assert "<script" not in page and "evil.example" not in page and "/media/x.png" not in page
    assert "default-src 'none'" in html.unescape(page)


# ---------------------------------------------------------------- downloads


def test_teacher_downloads_paper_and_keys_of_the_fixed_code(client, exam_2025):
    login(client, "teacherx")
    response = client.get(f"/exams/{exam_2025.id}/paper.docx?code=000")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    lines = texts(response.data)
    assert any("Mã đề: 000" in line for line in lines)
    assert any("KIỂM TRA GIỮA KÌ I" in line for line in lines)
    assert any("Thời gian làm bài: 50 phút" in line for line in lines)
    assert any(line.startswith("PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn. Thí sinh "
                               "trả lời từ câu 1 đến câu 18.") for line in lines)
    assert any(line.startswith("PHẦN II. Câu trắc nghiệm đúng sai. Thí sinh trả lời từ câu 1 "
                               "đến câu 4.") for line in lines)
    assert any(line.startswith("PHẦN III. Câu trắc nghiệm trả lời ngắn. Thí sinh trả lời từ "
                               "câu 1 đến câu 6.") for line in lines)
    assert "Câu 18. Câu hỏi trắc nghiệm số 18" in lines
    footer = docx.Document(io.BytesIO(response.data)).sections[0].footer.paragraphs[0]
    assert [f.get(qn("w:instr")) for f in footer._p.iter(qn("w:fldSimple"))] == [
        "PAGE", "NUMPAGES"]
    assert footer.text.endswith("– Mã đề 000")
    assert not any("ĐÁP ÁN" in line for line in lines)

    key = client.get(f"/exams/{exam_2025.id}/answer-key.csv")
    assert key.status_code == 200 and key.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(key.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1:4] == [["000", "I", "1", "A"], ["000", "I", "2", "B"], ["000", "I", "3", "C"]]
    assert ["000", "II", "1", "ĐSĐS"] in rows and ["000", "II", "4", "SĐSĐ"] in rows
    assert [r[3] for r in rows if r[1] == "III"] == ["27,5", "'-2", "0,5", "1234", "'-,25", "3"]

    key_docx = texts(client.get(f"/exams/{exam_2025.id}/answer-key.docx").data)
    assert "ĐÁP ÁN MÃ ĐỀ 000" in key_docx
    assert "1-A" in key_docx and "18-B" in key_docx
    assert "4. a) S, b) Đ, c) S, d) Đ" in key_docx
    assert "27,5" in key_docx


def test_unknown_code_is_404(client, exam_2025):
    login(client, "teacherx")
    assert client.get(f"/exams/{exam_2025.id}/paper.docx?code=999").status_code == 404


def test_each_mã_đề_prints_its_own_paper_and_key(client, org):
    """With generation "variants" the downloads are the exam's real variants (ExamVariant),
    each paper in its own order and each key following it."""
    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    meta = questions.QuestionMeta(subject_id=toan.id, grade=10)
    bank = [questions.create_question(org.teacher_x, meta, p) for p in exam_2025_payloads()]
    exam = services.create_exam(org.teacher_x, "Kiểm tra có mã đề", [q.id for q in bank],
                                settings={"generation": "variants", "variant_count": 2})
    services.publish(org.teacher_x, exam)
    db.session.commit()
    codes = sorted(v.code for v in exam.variants)
    assert [v.code for v in exam_variants(exam)] == codes and len(codes) == 2
    login(client, "teacherx")
    key = client.get(f"/exams/{exam.id}/answer-key.csv").get_data(as_text=True)
    for code in codes:
        assert f"{code}," in key
        paper_text = "\n".join(texts(client.get(f"/exams/{exam.id}/paper.docx?code={code}").data))
        assert code in paper_text
    first = [row for row in key.splitlines() if row.startswith(codes[0])]
    second = [row.replace(codes[1], codes[0], 1) for row in key.splitlines()
              if row.startswith(codes[1])]
    assert len(first) == len(second) == 28 and first != second  # shuffled papers differ


@pytest.mark.parametrize("path", ["paper.docx", "paper.pdf?code=000", "answer-key.docx",
                                  "answer-key.csv", "answer-sheet.pdf"])
def test_students_and_other_teachers_get_nothing(client, exam_2025, path):
    login(client, "hsa")  # a student of the assigned class
    response = client.get(f"/exams/{exam_2025.id}/{path}")
    assert response.status_code == 404
    assert "Phương án".encode() not in response.data and b"27,5" not in response.data
    client.get("/logout")
    login(client, "teachery")
    assert client.get(f"/exams/{exam_2025.id}/{path}").status_code == 404
    assert client.get(f"/exams/999999/{path}").status_code == 404


def test_anonymous_is_sent_to_login(client, exam_2025):
    response = client.get(f"/exams/{exam_2025.id}/answer-key.csv")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_without_chromium_the_pdf_is_a_clear_503_and_the_docx_still_works(app, client,
                                                                           exam_2025,
                                                                           monkeypatch):
    login(client, "teacherx")
    monkeypatch.setitem(app.config, "PDF_CHROMIUM", "/nonexistent/chromium")
    response = client.get(f"/exams/{exam_2025.id}/answer-sheet.pdf")
    assert response.status_code == 503
    assert ".docx" in response.get_data(as_text=True)
    assert client.get(f"/exams/{exam_2025.id}/paper.docx").status_code == 200


def test_titles_and_fields_render_as_text():
    header = paper.PaperHeader("<script>alert(1)</script>{{7*7}}", "000",
                               subject="<img src=x onerror=alert(1)>")
    snapshot = snapshot_of([choice(1, "a")])
    page = paper.paper_html(header, paper.entries_for(snapshot, paper.fixed_variant(snapshot)))
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "{{7*7}}" in page
    sheet = paper.answer_sheet_html("<b>{{7*7}}</b>", paper.SheetLayout(1, 0, 0))
    assert "&lt;b&gt;{{7*7}}&lt;/b&gt;" in sheet


# ---------------------------------------------------------------- PDF (Chromium)


@needs_chromium
def test_pdfs_of_paper_and_answer_sheet(client, exam_2025, pdftotext):
    login(client, "teacherx")
    texts = {}
    for path in ("paper.pdf?code=000", "answer-sheet.pdf"):
        response = client.get(f"/exams/{exam_2025.id}/{path}")
        assert response.status_code == 200, response.data[:300]
        assert response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF-")
        texts[path] = subprocess.run([pdftotext, "-", "-"], input=response.data,  # noqa: S603
                                     capture_output=True, check=True).stdout.decode()
    assert "PHIẾU TRẢ LỜI TRẮC NGHIỆM" in texts["answer-sheet.pdf"]
    assert "PHẦN III" in texts["answer-sheet.pdf"]
    paper_text = texts["paper.pdf?code=000"]
    assert "Mã đề: 000" in paper_text and "Trang 1/" in paper_text and "HẾT" in paper_text


@needs_chromium
def test_a_full_2025_answer_sheet_fits_one_a4_page():
    pdf = html_to_pdf(paper.answer_sheet_html("T", paper.SheetLayout(40, 8, 6)))
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf)) == 1
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert box and round(float(box.group(1))) == 595 and round(float(box.group(2))) == 842
