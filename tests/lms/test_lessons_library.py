"""The lesson library: accent-insensitive search, filters, paging, visibility (own drafts,
published lessons of the province), assignment to a class with a due date, the student's
dashboard (security.md 2, 16, 18)."""

from datetime import datetime

import pytest
from sqlalchemy import select

from lms.kernel import db as _db
from lms.lessons.models import LessonAssignment
from lms.org.models import Role, SchoolLevel, UnitKind
from lms.org.services import add_unit
from tests.conftest import csrf_token_from, login
from tests.factories import UserFactory, make_class, member
from tests.lms.authored_helpers import add_page, create_draft, published_lesson
from tests.lms.exams_setup import bearer


def _titles(client, headers, **query) -> list[str]:
    response = client.get("/api/v1/lessons", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_json()
    return [item["title"] for item in response.get_json()["items"]]


def _publish(client, headers, title, **fields) -> dict:
    lesson = create_draft(client, headers, title=title, **fields)
    add_page(client, headers, lesson["id"], "Trang 1", "<p>Nội dung</p>")
    assert client.post(f"/api/v1/lessons/{lesson['id']}/publish",
                       headers=headers).status_code == 201
    return lesson


def test_search_is_accent_insensitive(client, db, org):
    teacher = bearer(client, "teacherx")
    _publish(client, teacher, "Phương trình bậc hai", authors="Phạm Thu Hà")
    _publish(client, teacher, "Đường tròn lượng giác", description="Góc và cung")
    for query, expected in (("phuong trinh", ["Phương trình bậc hai"]),
                            ("PHƯƠNG TRÌNH", ["Phương trình bậc hai"]),
                            ("duong tron", ["Đường tròn lượng giác"]),
                            ("goc cung", ["Đường tròn lượng giác"]),
                            ("trinh bac", ["Phương trình bậc hai"]),
                            ("phuong tron", [])):
        assert _titles(client, teacher, q=query) == expected, query
    assert _titles(client, teacher, author="pham thu ha") == ["Phương trình bậc hai"]


@pytest.mark.parametrize("query", ["%", "_", "' OR 1=1 --", "\\", "%' UNION SELECT 1 --"])
def test_sql_metacharacters_in_search_are_text(client, db, org, query):
    teacher = bearer(client, "teacherx")
    _publish(client, teacher, "Phương trình")
    assert _titles(client, teacher, q=query) == []


def test_filters_paging_and_bad_filters(client, db, org):
    teacher = bearer(client, "teacherx")
    for n in range(23):
        create_draft(client, teacher, title=f"Bài {n:02d}", grade=str(10 + n % 2))
    first = client.get("/api/v1/lessons", headers=teacher).get_json()
    assert first["total"] == 23 and first["pages"] == 2 and len(first["items"]) == 20
    second = client.get("/api/v1/lessons?page=2", headers=teacher).get_json()
    assert len(second["items"]) == 3
    assert len(_titles(client, teacher, grade="11")) == 11
    assert _titles(client, teacher, kind="video") == []
    assert len(_titles(client, teacher, school=str(org.school_x.id))) == 20
    assert _titles(client, teacher, school=str(org.school_y.id)) == []
    for query, code in (({"grade": "abc"}, "invalid_filter"), ({"grade": "13"}, "invalid_filter"),
                        ({"kind": "pdf"}, "invalid_filter"), ({"subject": "1 OR 1"},
                                                              "invalid_filter")):
        response = client.get("/api/v1/lessons", headers=teacher, query_string=query)
        assert response.status_code == 400, query
        error = response.get_json()["error"]
        assert error["code"] == code and error["message"]
    assert client.get("/api/v1/lessons?page=x", headers=teacher).status_code == 400


def test_visibility_own_drafts_and_published_lessons_of_the_province(client, db, org):
    teacher_x = bearer(client, "teacherx")
    _publish(client, teacher_x, "Bài đã xuất bản")
    create_draft(client, teacher_x, title="Bài nháp của X")
    # Another province: its teacher sees nothing of ours.
    dept2 = add_unit(UnitKind.DEPARTMENT, "Sở GD&ĐT Tỉnh Khác", None, external_code="T2")
    school_z = add_unit(UnitKind.SCHOOL, "Trường THPT Z", dept2,
                        school_level=SchoolLevel.UPPER_SECONDARY)
    class_z = make_class(school_z, org.class_x.school_year, "10Z")
    member(UserFactory(username="teacherz"), Role.TEACHER, school_z, class_z)
    _db.session.commit()
    assert sorted(_titles(client, teacher_x)) == ["Bài nháp của X", "Bài đã xuất bản"]
    assert _titles(client, bearer(client, "teachery")) == ["Bài đã xuất bản"]  # same province
    assert _titles(client, bearer(client, "hsa")) == ["Bài đã xuất bản"]
    assert _titles(client, bearer(client, "hsy")) == ["Bài đã xuất bản"]
    assert _titles(client, bearer(client, "teacherz")) == []
    assert _titles(client, bearer(client, "admin1")) == ["Bài đã xuất bản"]


def test_library_page_searches_and_escapes_titles(client, db, org):
    teacher = bearer(client, "teacherx")
    _publish(client, teacher, "Phương trình <script>alert(1)</script>")
    _publish(client, teacher, "Hình học không gian")
    login(client, "hsa")
    html = client.get("/lessons/library?q=phuong+trinh").get_data(as_text=True)
    assert "Phương trình &lt;script&gt;" in html and "<script>alert(1)" not in html
    assert "Hình học" not in html
    assert "Trường THPT X" in html and "Trường THCS Y" in html  # the school filter
    bad = client.get("/lessons/library?grade=99")
    assert bad.status_code == 200 and "Khối lớp phải là số từ 1 đến 12." in bad.get_data(
        as_text=True)
    assert "Thư viện bài giảng" in client.get("/").get_data(as_text=True)


# --- assignments ---------------------------------------------------------------------------

def test_teacher_assigns_a_published_lesson_to_their_class(client, db, org):
    made = published_lesson(client, org)
    lesson_id = made["lesson"]["id"]
    response = client.post(f"/api/v1/lessons/{lesson_id}/assignments", headers=made["teacher"],
                           json={"class_id": org.class_x.id, "due_at": "2026-12-10T16:59:00Z"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["lesson_version_id"] and body["due_at"] == "2026-12-10T16:59:00Z"
    row = _db.session.scalar(select(LessonAssignment))
    assert row.assigned_by_id == org.teacher_x.id and row.due_at == datetime(2026, 12, 10, 16, 59)
    login(client, "hsa")
    dashboard = client.get("/").get_data(as_text=True)
    todo = dashboard.split('data-testid="student-todo"', 1)[1]
    assert "Phương trình bậc hai" in todo and "10/12/2026 23:59" in todo  # Asia/Ho_Chi_Minh
    assert f"/lessons/{lesson_id}" in todo and "Chưa học" in todo
    login(client, "hsy")
    assert "Phương trình bậc hai" not in client.get("/").get_data(as_text=True)


def test_teacher_cannot_assign_to_another_teachers_class(client, db, org):
    made = published_lesson(client, org)
    url = f"/api/v1/lessons/{made['lesson']['id']}/assignments"
    due = "2026-12-10T10:00:00+07:00"
    assert client.post(url, headers=made["teacher"],
                       json={"class_id": org.class_y.id, "due_at": due}).status_code == 403
    assert client.post(url, headers=bearer(client, "hsa"),
                       json={"class_id": org.class_x.id, "due_at": due}).status_code == 403
    assert client.post(url, headers=bearer(client, "teachery"),
                       json={"class_id": org.class_x.id, "due_at": due}).status_code == 403
    assert _db.session.scalar(select(LessonAssignment)) is None
    assert client.post(url, headers=made["teacher"],
                       json={"class_id": org.class_x.id, "due_at": due}).status_code == 201


@pytest.mark.parametrize(("body", "code"), [
    ({"class_id": 999999, "due_at": "2026-12-10T10:00:00Z"}, 404),
    ({"class_id": "abc", "due_at": "2026-12-10T10:00:00Z"}, 400),
    ({"due_at": "2026-12-10T10:00:00Z"}, 400),
    ({"class_id": 1, "due_at": "10/12/2026"}, 400),
    ({"class_id": 1, "due_at": "2026-12-10T10:00:00Z", "assigned_by": 1}, 400),
])
def test_bad_assignment_input(client, db, org, body, code):
    made = published_lesson(client, org)
    if body.get("class_id") == 1:
        body = {**body, "class_id": org.class_x.id}
    response = client.post(f"/api/v1/lessons/{made['lesson']['id']}/assignments",
                           headers=made["teacher"], json=body)
    assert response.status_code == code, response.get_json()


def test_a_draft_cannot_be_assigned(client, db, org):
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher)
    response = client.post(f"/api/v1/lessons/{lesson['id']}/assignments", headers=teacher,
                           json={"class_id": org.class_x.id, "due_at": "2026-12-10T10:00:00Z"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "not_published"


def test_assign_form(client, db, org):
    made = published_lesson(client, org)
    lesson_id = made["lesson"]["id"]
    login(client, "teacherx")
    page = client.get(f"/lessons/{lesson_id}/assign").get_data(as_text=True)
    assert "10A1" in page and "8A1" not in page
    token = csrf_token_from(page)
    bad = client.post(f"/lessons/{lesson_id}/assign", data={
        "csrf_token": token, "class_id": org.class_x.id, "due_date": "31/12/2026"})
    assert "Hạn nộp phải là một ngày hợp lệ." in bad.get_data(as_text=True)
    ok = client.post(f"/lessons/{lesson_id}/assign", data={
        "csrf_token": token, "class_id": org.class_x.id, "due_date": "2026-12-31",
        "due_time": "07:00"})
    assert ok.status_code == 302
    assert _db.session.scalar(select(LessonAssignment)).due_at == datetime(2026, 12, 31, 0, 0)
    forbidden = client.post(f"/lessons/{lesson_id}/assign", data={
        "csrf_token": token, "class_id": org.class_y.id, "due_date": "2026-12-31"})
    assert forbidden.status_code == 403


def test_teacher_creates_a_lesson_through_the_form(client, db, org):
    login(client, "teacherx")
    page = client.get("/lessons/new").get_data(as_text=True)
    token = csrf_token_from(page)
    bad = client.post("/lessons/new", data={"csrf_token": token, "title": "Bài",
                                             "duration_minutes": "20"})
    assert "Thời lượng phải ít nhất một tiết (45 phút)." in bad.get_data(as_text=True)
    bad = client.post("/lessons/new", data={"csrf_token": token, "title": "Bài",
                                             "grade": "mười"})
    assert "Khối lớp phải là số." in bad.get_data(as_text=True)
    made = client.post("/lessons/new", data={
        "csrf_token": token, "title": "Thống kê", "grade": "10", "duration_minutes": "45",
        "authors": "Phạm Thu Hà; Lê Văn Bình", "licence": "CC BY 4.0",
        "textbook_series": "Cánh diều", "description": "Số trung bình"})
    assert made.status_code == 302 and made.headers["Location"].endswith("/edit")
    assert _titles(client, bearer(client, "teacherx"), author="le van binh") == ["Thống kê"]
    login(client, "hsa")
    assert client.get("/lessons/new").status_code == 403
