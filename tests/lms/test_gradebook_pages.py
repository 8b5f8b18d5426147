"""Gradebook pages: the subject grid (whole-form save without script), publication, the
class summary with conduct, a student's page and term report, the leader's lock page."""

import shutil
import subprocess  # noqa: S404 - pdftotext, when poppler-utils is installed

import pytest
from sqlalchemy import func, select

from lms.core.pdf import chromium_binary
from lms.gradebook import terms
from lms.gradebook.models import GradebookEntry, StudentTerm, TermLock
from lms.kernel import db as _db
from lms.org.models import Role
from tests.conftest import csrf_token_from, login
from tests.factories import UserFactory, member
from tests.lms.gradebook_setup import build_book, fill_term
from tests.lms.test_exams_sql_count import Statements


@pytest.fixture
def book(org):
    return build_book(org)


def _page(client, url):
    response = client.get(url)
    return response, response.get_data(as_text=True)


def _post(client, url, page_url, data):
    token = csrf_token_from(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_index_lists_what_each_role_has(client, book):
    login(client, "gvtoan")
    _response, html = _page(client, "/gradebook/")
    assert "Toán" in html and f"/gradebook/classes/{book.org.class_x.id}/subjects/TOAN" in html
    assert "/subjects/NGUVAN" not in html
    client.post("/logout", data={"csrf_token": csrf_token_from(html)})
    login(client, "hsa")
    _response, html = _page(client, "/gradebook/")
    assert f"/students/{book.org.student_a.id}" in html
    client.post("/logout", data={"csrf_token": csrf_token_from(html)})
    login(client, "phuhuynh")
    _response, html = _page(client, "/gradebook/")
    assert f"/students/{book.org.student_a.id}" in html


def test_subject_grid_for_the_teacher_read_only_for_homeroom_404_for_students(client, book):
    url = f"/gradebook/classes/{book.org.class_x.id}/subjects/LICHSU"
    login(client, "teacherx")
    response, html = _page(client, url)
    assert response.status_code == 200
    assert f'name="s{book.org.student_a.id}.regular.3"' in html
    assert 'data-testid="gradebook-grid"' in html and "gradebook-grid.js" in html
    client.post("/logout", data={"csrf_token": csrf_token_from(html)})
    login(client, "gvcn")
    response, html = _page(client, url)
    assert response.status_code == 200 and f'name="s{book.org.student_a.id}.mid"' not in html
    client.post("/logout", data={"csrf_token": csrf_token_from(html)})
    login(client, "hsa")
    assert client.get(url).status_code == 404


def test_whole_grid_posted_without_script_saves_every_row(client, book):
    class_id, a, b = book.org.class_x.id, book.org.student_a.id, book.org.student_b.id
    url = f"/gradebook/classes/{class_id}/subjects/LICHSU"
    login(client, "teacherx")
    reply = _post(client, url + "?term=1", url, {
        f"s{a}.regular.1": "6", f"s{a}.regular.2": "8", f"s{a}.regular.3": "7,5",
        f"s{a}.mid": "5", f"s{a}.end": "10", f"v{a}": "0", f"s{b}.mid": "9", f"v{b}": "0"})
    assert reply.status_code == 302
    _response, html = _page(client, url)
    assert "7,7" in html  # the average, with a decimal comma
    assert _db.session.scalar(select(func.count(GradebookEntry.id))) == 2


def test_one_bad_cell_in_the_posted_grid_saves_nothing(client, book):
    class_id, a, b = book.org.class_x.id, book.org.student_a.id, book.org.student_b.id
    url = f"/gradebook/classes/{class_id}/subjects/LICHSU"
    login(client, "teacherx")
    reply = _post(client, url, url, {f"s{a}.mid": "5", f"s{b}.mid": "8.25"})
    assert reply.status_code == 302
    _response, html = _page(client, url)
    assert f"{b}.mid" in html  # the flashed problem names the cell
    assert _db.session.scalar(select(func.count(GradebookEntry.id))) == 0


def test_publish_a_column_from_the_page(client, book):
    class_id = book.org.class_x.id
    url = f"/gradebook/classes/{class_id}/subjects/TOAN"
    login(client, "gvtoan")
    reply = _post(client, url + "/publication?term=1", url, {"column": "mid", "published": "1"})
    assert reply.status_code == 302
    _response, html = _page(client, url)
    assert "đã công bố" in html


def test_class_summary_and_conduct(client, book):
    fill_term(book, book.org.student_a.id, 1, {"LICHSU": "3"}, default="9")
    class_id, a = book.org.class_x.id, book.org.student_a.id
    url = f"/gradebook/classes/{class_id}"
    login(client, "gvcn")
    response, html = _page(client, url)
    assert response.status_code == 200 and 'data-testid="class-summary"' in html
    assert "3,0" in html and "Đạt" in html
    reply = _post(client, url + "?period=1", url, {f"c{a}": "K", f"v{a}": "0"})
    assert reply.status_code == 302
    assert _db.session.scalar(select(StudentTerm.conduct)) == "K"
    client.post("/logout", data={"csrf_token": csrf_token_from(html)})
    login(client, "gvtoan")
    assert client.get(url).status_code == 404


def test_class_summary_statements_do_not_grow_with_the_class(client, db, book):
    """40 students × 12 subjects with both terms filled: the page's statements are counted,
    not timed (budget ≤ 10, the login's session lookup included)."""
    org = book.org
    for n in range(38):
        member(UserFactory(username=f"hs{n:02d}"), Role.STUDENT, org.school_x, org.class_x)
    _db.session.commit()
    for student in (org.student_a, org.student_b):
        fill_term(book, student.id, 1, {})
        fill_term(book, student.id, 2, {})
    login(client, "gvcn")
    url = f"/gradebook/classes/{org.class_x.id}?period=year"
    client.get(url)
    with Statements(db.engine) as sql:
        response = client.get(url)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count('href="/gradebook/classes/') >= 40
    print(f"class summary (40 × 12, year): {len(sql)}\n{sql}")
    assert len(sql) <= 10, str(sql)


def test_student_page_shows_only_published_scores(client, book):
    class_id, a = book.org.class_x.id, book.org.student_a.id
    fill_term(book, a, 1, {"LICHSU": "6.5"})
    login(client, "hsa")
    _response, html = _page(client, f"/gradebook/classes/{class_id}/students/{a}")
    assert "6,5" not in html
    terms.set_published(book.org.teacher_x, class_id, "LICHSU", 1, ["regular", "mid", "end"],
                           True)
    _db.session.commit()
    _response, html = _page(client, f"/gradebook/classes/{class_id}/students/{a}")
    assert "6,5" in html
    assert client.get(f"/gradebook/classes/{class_id}/students/{book.org.student_b.id}"
                      ).status_code == 404


def test_leader_locks_a_term_from_the_lock_page(client, book):
    school, class_id = book.org.school_x.id, book.org.class_x.id
    url = f"/gradebook/schools/{school}/locks"
    login(client, "leaderx")
    response, html = _page(client, url)
    assert response.status_code == 200 and "10A1" in html
    reply = _post(client, url, url, {"term": "1", "locked": "1", "class_id": str(class_id)})
    assert reply.status_code == 302
    assert _db.session.get(TermLock, (class_id, 1)) is not None
    reply = _post(client, url, url, {"term": "1", "locked": "0"})  # every class
    assert _db.session.get(TermLock, (class_id, 1)) is None
    client.post("/logout", data={"csrf_token": csrf_token_from(html)})
    login(client, "gvcn")
    assert client.get(url).status_code == 404


def test_names_with_markup_are_shown_as_text(client, book):
    book.org.student_a.full_name = "<script>alert(1)</script> Á"
    _db.session.commit()
    login(client, "teacherx")
    _response, html = _page(client, f"/gradebook/classes/{book.org.class_x.id}/subjects/TOAN")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Á" in html


@pytest.mark.skipif(chromium_binary() is None, reason="no Chromium")
def test_term_report_pdf(client, book):
    class_id, a = book.org.class_x.id, book.org.student_a.id
    fill_term(book, a, 1, {"LICHSU": "7.5"}, default="8")
    login(client, "gvcn")
    response = client.get(f"/gradebook/classes/{class_id}/students/{a}/report.pdf?term=1")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=response.data,  # noqa: S603, S607
                              capture_output=True, check=True).stdout.decode()
        assert "PHIẾU BÁO KẾT QUẢ HỌC TẬP" in text and "Nguyễn Văn Á" in text and "7,5" in text
