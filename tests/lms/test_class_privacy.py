"""Classmates' personal data (issue 10 §1.3, security.md 40): a student sees the other students
of the class by name only — no login, birth date or join code on any page or API answer a
student reaches; the class's teachers and the school's leaders still see them."""

import json
from datetime import date, timedelta

import pytest

from lms.core.models import utcnow
from lms.exams import services as exams
from lms.kernel import db
from lms.org import services
from lms.org.models import Role
from tests.conftest import login
from tests.factories import UserFactory, member
from tests.lms.exams_setup import bearer, published_exam

SECRET_LOGIN = "hs-bimat-0314"
BIRTH = date(2010, 3, 14)
BIRTH_TEXTS = ("14/03/2010", "2010-03-14")


@pytest.fixture
def classmate(org):
    """A student of 10A1 with a login and birth date nobody else's page contains."""
    user = member(UserFactory(username=SECRET_LOGIN, full_name="Lê Thị Cúc", birth_date=BIRTH),
                  Role.STUDENT, org.school_x, org.class_x)
    db.session.commit()
    return user


def _leaks(text: str, join_code: str) -> list[str]:
    return [w for w in (SECRET_LOGIN, join_code, *BIRTH_TEXTS) if w in text]


def test_a_student_sees_classmates_by_name_only(client, org, classmate):
    login(client, "hsa")
    page = client.get(f"/schools/classes/{org.class_x.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Lê Thị Cúc" in html and "Trần Thị Bê" in html
    assert _leaks(html, org.class_x.join_code) == []
    assert "hsb" not in html.split('data-testid="roster"')[1]   # no login column at all
    assert "reset-password" not in html


@pytest.mark.parametrize("username", ["teacherx", "leaderx", "admin1"])
def test_the_class_teacher_and_leaders_still_see_logins_birth_dates_and_the_code(
        client, org, classmate, username):
    login(client, username)
    html = client.get(f"/schools/classes/{org.class_x.id}").get_data(as_text=True)
    assert SECRET_LOGIN in html and "14/03/2010" in html and org.class_x.join_code in html
    assert "Lê Thị Cúc" in html


def test_the_service_hands_a_student_names_only(org, classmate):
    rows, details = services.class_roster(org.student_a, org.class_x)
    assert details is False
    assert {r.full_name for r in rows} == {"Nguyễn Văn Á", "Trần Thị Bê", "Lê Thị Cúc"}
    assert all(r.username is None and r.birth_date is None for r in rows)
    staff_rows, staff = services.class_roster(org.teacher_x, org.class_x)
    assert staff and {r.username for r in staff_rows} == {"hsa", "hsb", SECRET_LOGIN}


def test_no_page_or_api_answer_a_student_reaches_leaks_a_classmate(client, org, classmate):
    """The pages and API answers of a student's day: none carries a classmate's login, birth
    date or the class's join code (the student's own data is theirs to see)."""
    exam = published_exam(org)
    sat = exams.start_attempt(classmate, exam, utcnow() - timedelta(minutes=2))
    exams.submit(classmate, sat.id, utcnow())             # a classmate's score exists
    db.session.commit()
    headers = bearer(client, "hsa")
    started = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=headers)
    mine = started.get_json()["attempt_id"]
    client.post(f"/api/v1/attempts/{mine}/submit", json={}, headers=headers)
    answers = [started, client.get("/api/v1/me", headers=headers),
               client.get("/api/v1/classes", headers=headers),
               client.get(f"/api/v1/attempts/{mine}", headers=headers)]
    for reply in answers:
        assert reply.status_code == 200
        text = json.dumps(reply.get_json(), ensure_ascii=False)
        assert _leaks(text, org.class_x.join_code) == [] and "Lê Thị Cúc" not in text
    login(client, "hsa")
    pages = ("/", "/exams/", f"/exams/{exam.id}", f"/exams/attempts/{mine}/result",
             "/lessons/library", f"/schools/classes/{org.class_x.id}")
    for url in pages:
        reply = client.get(url)
        assert reply.status_code == 200, url
        html = reply.get_data(as_text=True)
        assert _leaks(html, org.class_x.join_code) == [], url
        if "/exams" in url:                              # no other student on a test's pages
            assert "Lê Thị Cúc" not in html, url


def test_a_parent_does_not_open_the_class_page(client, org, classmate):
    parent = member(UserFactory(username="phuhuynh1"), Role.PARENT, org.school_x)
    db.session.commit()
    login(client, parent.username)
    assert client.get(f"/schools/classes/{org.class_x.id}").status_code == 403
