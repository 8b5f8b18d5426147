"""The question bank pages: search, import with preview and confirm, review, media."""

import io
import re

import docx
import openpyxl
from sqlalchemy import func, select

from lms.kernel import db as _db
from lms.questions import search, services, transfer
from question_bank.models import Question, QuestionStatus
from tests.conftest import csrf_token_from, login
from tests.question_bank.fixtures import fixture_bytes

XSS_GIFT = (
    "::X1:: <script>alert('stem')</script>Thủ đô \\(x^2\\) <img src=x onerror=alert(1)> là? "
    "{=Hà Nội<script>alert('opt')</script> ~<b onmouseover\\=alert(2)>Huế</b>}\n\n"
    "::<script>alert('title')</script>:: Hỏng {~%50%A ~%-50%B ~%0%C}\n"
).encode()


def _upload(client, data, name="de.gift"):
    page = client.get("/questions/import")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post("/questions/import", data={
        "csrf_token": token, "file": (io.BytesIO(data), name), "format": "auto",
        "subject": "TOAN", "grade": "10"}, content_type="multipart/form-data")


def _count():
    return _db.session.scalar(select(func.count()).select_from(Question))


def test_import_preview_escapes_scripts_and_confirm_saves(client, org):
    """security.md 16: script in any field of an imported file is never executed."""
    search.rebuild()
    login(client, "teacherx")
    response = _upload(client, XSS_GIFT)
    assert response.status_code == 302
    preview = client.get(response.headers["Location"])
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Thủ đô" in html and "Hà Nội" in html
    assert "<msup>" in html  # math rendered in the student preview
    assert "<script>alert" not in html and "onerror" not in html
    assert "onmouseover" not in html
    assert "(&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;)" in html  # shown, escaped
    assert 'data-testid="import-errors"' in html and "dòng" in html
    assert _count() == 0
    form = {k: v for k, v in re.findall(r'name="(\w+)" value="([^"]*)"', html)
            if k != "only_valid"}
    confirm = client.post(response.headers["Location"].split("?")[0], data={**form})
    assert confirm.status_code == 302 and _count() == 0  # errors and not only_valid
    confirm = client.post(response.headers["Location"].split("?")[0],
                          data={**form, "only_valid": "1"})
    assert confirm.status_code == 302 and _count() == 1
    bank = client.get("/questions/?q=thu do").get_data(as_text=True)
    assert 'data-testid="question-row"' in bank and "<script>alert" not in bank


def test_preview_token_belongs_to_its_uploader(client, org):
    login(client, "teacherx")
    location = _upload(client, b"::A:: 1 + 1 = 2 {T}\n").headers["Location"]
    client.post("/logout", data={"csrf_token": csrf_token_from(
        client.get("/").get_data(as_text=True))})
    login(client, "teachery")
    assert client.get(location).status_code == 404


def test_bank_page_shows_facets_and_hides_others_drafts(client, org):
    search.rebuild()
    toan = services.subject_by_code("TOAN")
    payload = {"schema": 1, "type": "true_false", "answer": True,
               "text_html": r"<p>Đường tròn \(x^2 + y^2 = 1\) có một tâm</p>"}
    question = services.create_question(org.teacher_x, services.QuestionMeta(toan.id, 10),
                                        payload)
    _db.session.commit()
    login(client, "teacherx")
    page = client.get("/questions/?q=duong+tron").get_data(as_text=True)
    assert "Ngân hàng câu hỏi" in page and page.count('data-testid="question-row"') == 1
    assert 'data-testid="facets"' in page and "Nháp" in page
    detail = client.get(f"/questions/{question.id}").get_data(as_text=True)
    assert "Phiên bản 1" in detail and "<math" in detail and "<msup>" in detail
    login(client, "teachery")
    assert client.get("/questions/?q=duong+tron").get_data(as_text=True) \
        .count('data-testid="question-row"') == 0
    assert client.get(f"/questions/{question.id}").status_code == 403
    for hostile in ("sort=1;DROP TABLE question", "grade='", "q=%27%22%3C", "page=x"):
        assert client.get(f"/questions/?{hostile}").status_code == 200


def test_reviewer_queue_approve_and_return(client, org):
    toan = services.subject_by_code("TOAN")
    made = []
    for text in ("Câu một", "Câu hai"):
        question = services.create_question(org.teacher_x, services.QuestionMeta(toan.id, 10), {
            "schema": 1, "type": "true_false", "answer": True, "text_html": f"<p>{text}</p>"})
        services.submit(org.teacher_x, question)
        made.append(question.id)
    _db.session.commit()
    login(client, "reviewer1")
    queue = client.get("/questions/review").get_data(as_text=True)
    assert queue.count('data-testid="review-item"') == 2 and "Duyệt câu hỏi" in queue
    token = csrf_token_from(queue)
    client.post(f"/questions/{made[0]}/approve", data={"csrf_token": token})
    client.post(f"/questions/{made[1]}/return", data={"csrf_token": token, "comment": "Sửa"})
    _db.session.expire_all()
    assert [_db.session.get(Question, i).status for i in made] == [
        QuestionStatus.APPROVED, QuestionStatus.RETURNED]
    login(client, "teachery")
    assert client.get("/questions/review").status_code == 403


def test_imported_images_are_served_to_staff_only(client, org):
    data = fixture_bytes("moodlexml/truefalse.xml")
    transfer.import_questions(org.teacher_x, data, "truefalse.xml", transfer.ImportOptions(
        subject_id=services.subject_by_code("TOAN").id, grade=10))
    _db.session.commit()
    html = _db.session.scalars(select(Question)).first().current_version.payload["text_html"]
    url = re.search(r'src="(/media/[^"]+)"', html).group(1)
    login(client, "teachery")
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert client.get("/media/question-imports/1/abc").status_code == 404
    login(client, "hsa")
    assert client.get(url).status_code == 403


def test_preview_shows_embedded_images_from_storage(client, org):
    data = fixture_bytes("moodlexml/truefalse.xml")
    login(client, "teacherx")
    preview = client.get(_upload(client, data, "truefalse.xml").headers["Location"])
    html = preview.get_data(as_text=True)
    url = re.search(r'src="(/media/questions/[^"]+)"', html).group(1)
    assert client.get(url).status_code == 200 and _count() == 0


def test_xlsx_template_download(client, org):
    """The XLSX template is a documented capability (docs/import-formats.md): a 404 fails."""
    login(client, "teacherx")
    response = client.get("/questions/import/template.xlsx")
    assert response.status_code == 200 and response.data[:2] == b"PK"
    sheets = openpyxl.load_workbook(io.BytesIO(response.data)).sheetnames
    assert sheets[:2] == ["Câu hỏi", "Hướng dẫn"]
    assert "xlsx-template" in client.get("/questions/import").get_data(as_text=True)
    login(client, "hsa")
    assert client.get("/questions/import/template.xlsx").status_code == 403


def test_bulk_approve_from_the_review_queue(client, org):
    toan = services.subject_by_code("TOAN")
    made = []
    for text in ("Một", "Hai", "Ba"):
        question = services.create_question(org.teacher_x, services.QuestionMeta(toan.id, 10), {
            "schema": 1, "type": "true_false", "answer": True, "text_html": f"<p>{text}</p>"})
        if text != "Ba":
            services.submit(org.teacher_x, question)
        made.append(question.id)
    _db.session.commit()
    login(client, "reviewer1")
    token = csrf_token_from(client.get("/questions/review").get_data(as_text=True))
    response = client.post("/questions/bulk", data={
        "csrf_token": token, "action": "approve", "back": "review",
        "question_id": [str(i) for i in made]}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Đã duyệt 2 câu hỏi." in html and f"#{made[2]}" in html  # the draft is refused
    _db.session.expire_all()
    assert [_db.session.get(Question, i).status for i in made] == [
        QuestionStatus.APPROVED, QuestionStatus.APPROVED, QuestionStatus.DRAFT]


def test_word_import_preview_shows_a_key_taken_from_bold_alone(client, org):
    """The bold-only key is a warning the teacher sees before confirming."""
    document = docx.Document()
    document.add_paragraph("Câu 1. Thủ đô của Việt Nam là")
    document.add_paragraph("A. Huế")
    document.add_paragraph().add_run("B. Hà Nội").bold = True
    document.add_paragraph("C. Đà Nẵng")
    document.add_paragraph("ID: 776")
    buffer = io.BytesIO()
    document.save(buffer)
    login(client, "teacherx")
    preview = client.get(_upload(client, buffer.getvalue(), "de.docx").headers["Location"])
    html = preview.get_data(as_text=True)
    messages = re.findall(r"<li><strong>[^<]*</strong>: ([^<]*)</li>", html)
    assert len(messages) == 2
    assert any("chỉ nhờ chữ in đậm" in m for m in messages)
    assert any("«ID: 776»" in m for m in messages)
    assert not any(re.search(r"_html|options\[", m) for m in messages)
    assert _count() == 0
