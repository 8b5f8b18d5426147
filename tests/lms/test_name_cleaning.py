"""Names and titles entered through forms, the API and the roster import are stored without
bidirectional overrides or zero-width characters (issue 10 §1.10, ``clean_name``)."""

from sqlalchemy import select

from lms.auth.models import User
from lms.exams.models import Exam, ExamAssignment
from lms.lessons.models import Lesson
from lms.org.models import SchoolClass, Unit
from tests.conftest import csrf_token_from, login
from tests.lms.authored_helpers import add_page, create_draft
from tests.lms.exams_setup import bank_questions, bearer
from tests.lms.test_roster_import import HEADER, confirm, upload

RLO, PDF, ZWSP, ZWJ, BOM, LRI, PDI = "\u202e", "\u202c", "\u200b", "\u200d", "\ufeff", \
    "\u2066", "\u2069"


def _post(client, url: str, data: dict, page: str | None = None):
    token = csrf_token_from(client.get(page or "/").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_class_and_unit_names_from_the_forms(client, org, db):
    login(client, "leaderx")
    url = f"/schools/{org.school_x.id}/classes"
    assert _post(client, url, {"name": f"10{ZWSP}a{RLO}3{PDF}", "grade": 10,
                               "school_year": org.class_x.school_year_id}, url).status_code == 302
    assert db.session.scalar(select(SchoolClass.name).where(
        SchoolClass.school_id == org.school_x.id, SchoolClass.name.like("10%3"))) == "10A3"
    login(client, "admin1")
    created = _post(client, "/admin/units/new", {
        "kind": "school", "name": f"{BOM}Trường {LRI}THCS{PDI} Z{ZWJ}", "parent": org.district.id,
        "school_level": "lower_secondary", "external_code": "Z-1"})
    assert created.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.external_code == "Z-1"))
    assert (unit.name, unit.name_key) == ("Trường THCS Z", "truong thcs z")


def test_a_name_made_only_of_invisible_characters_is_refused_as_empty(client, org, db):
    login(client, "admin1")
    reply = _post(client, "/admin/units/new", {
        "kind": "commune", "name": f"{ZWSP}{RLO}", "parent": org.dept.id, "school_level": ""})
    assert reply.status_code == 200 and "không được để trống" in reply.get_data(as_text=True)
    assert db.session.scalar(select(Unit).where(Unit.kind == "commune")) is None


def test_exam_titles_and_group_names_from_the_api(client, org, db):
    teacher = bearer(client, "teacherx")
    ids = [q.id for q in bank_questions(org.teacher_x)]
    db.session.commit()
    reply = client.post("/api/v1/exams", headers=teacher, json={
        "title": f"{RLO}Kiểm tra{ZWSP} 15 phút", "question_ids": ids,
        "assign": {"groups": [{"name": f"Nhóm{ZWJ} A{BOM}", "student_ids": [org.student_a.id]}]}})
    assert reply.status_code == 201, reply.get_json()
    exam = db.session.get(Exam, reply.get_json()["id"])
    assert exam.title == "Kiểm tra 15 phút"
    assert db.session.scalar(select(ExamAssignment.name).where(
        ExamAssignment.exam_id == exam.id)) == "Nhóm A"


def test_lesson_and_page_titles_from_the_api(client, org, db):
    teacher = bearer(client, "teacherx")
    lesson = create_draft(client, teacher, title=f"Phương trình{ZWSP} bậc{RLO} hai")
    page = add_page(client, teacher, lesson["id"], f"Trang{BOM} 1{PDF}", "<p>Nội dung</p>")
    assert db.session.get(Lesson, lesson["id"]).title == "Phương trình bậc hai"
    assert page["title"] == "Trang 1"


def test_roster_import_cleans_names_and_logins(client, org, db):
    login(client, "leaderx")
    body = HEADER + f"hs{ZWSP}300;Lê{ZWJ} Văn{RLO} Mới{PDF};05/09/2009;10a{ZWSP}1\n"
    preview = upload(client, org.school_x.id, body.encode())
    assert preview.status_code == 302
    assert confirm(client, preview.location).status_code == 200
    user = db.session.scalar(select(User).where(User.username == "hs300"))
    assert user is not None and user.full_name == "Lê Văn Mới"
    assert [m.school_class.name for m in user.memberships] == ["10A1"]
