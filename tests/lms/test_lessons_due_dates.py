"""Lesson due dates and numbers that could break pages for a whole class (security.md 41): a
due date at the calendar's edge is refused at input with the field named, and one stored
before that still shows on every student's dashboard."""

from datetime import datetime

import pytest
from sqlalchemy import select

from lms.kernel import db
from lms.lessons.models import MAX_LESSON_MINUTES, LessonAssignment
from tests.conftest import csrf_token_from, login
from tests.lms.authored_helpers import create_draft, published_lesson
from tests.lms.exams_setup import bearer


@pytest.mark.parametrize("due", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:00-05:00",
                                 "9999-12-31T23:59:59Z", "2150-06-01T00:00:00Z"])
def test_a_due_date_at_the_calendars_edge_is_400_naming_due_at(client, org, due):
    made = published_lesson(client, org)
    reply = client.post(f"/api/v1/lessons/{made['lesson']['id']}/assignments",
                        headers=made["teacher"], json={"class_id": org.class_x.id, "due_at": due})
    assert reply.status_code == 400
    assert "due_at" in reply.get_json()["error"]["details"]["fields"]["json"]
    assert db.session.scalar(select(LessonAssignment)) is None


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_the_assign_form_refuses_an_edge_date_and_takes_a_normal_one(client, org, day):
    made = published_lesson(client, org)
    login(client, "teacherx")
    url = f"/lessons/{made['lesson']['id']}/assign"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    form = {"csrf_token": token, "class_id": str(org.class_x.id), "due_time": "23:59"}
    reply = client.post(url, data={**form, "due_date": day})
    assert reply.status_code == 200 and "2000–2099" in reply.get_data(as_text=True)
    assert db.session.scalar(select(LessonAssignment)) is None
    assert client.post(url, data={**form, "due_date": "2099-12-31"}).status_code == 302
    assert db.session.scalar(select(LessonAssignment)).due_at == datetime(2099, 12, 31, 16, 59)


def test_a_stored_due_date_in_year_9999_still_shows_on_the_dashboard(client, org):
    made = published_lesson(client, org)
    reply = client.post(f"/api/v1/lessons/{made['lesson']['id']}/assignments",
                        headers=made["teacher"],
                        json={"class_id": org.class_x.id, "due_at": "2026-12-10T16:59:00Z"})
    assert reply.status_code == 201
    row = db.session.scalar(select(LessonAssignment))
    row.due_at = datetime(9999, 12, 31, 23, 59)        # as an older release could store it
    db.session.commit()
    login(client, "hsa")
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "31/12/9999 23:59" in dashboard.get_data(as_text=True)


@pytest.mark.parametrize("minutes,status", [(MAX_LESSON_MINUTES, 201),
                                            (MAX_LESSON_MINUTES + 1, 400), (2**31, 400),
                                            (2**63, 400)])
def test_a_lesson_lasts_at_most_a_week(client, org, minutes, status):
    teacher = bearer(client, "teacherx")
    reply = client.post("/api/v1/lessons", headers=teacher, json={
        "kind": "authored", "title": "Bài dài", "duration_minutes": minutes})
    assert reply.status_code == status, reply.get_json()
    if status == 201:
        assert create_draft(client, teacher)["duration_minutes"] == 45


@pytest.mark.parametrize("query,status", [("page=2", 200), ("page=100000", 200),
                                          (f"page={2**63}", 400), ("page=0", 400)])
def test_library_pages_are_bounded(client, org, query, status):
    reply = client.get(f"/api/v1/lessons?{query}", headers=bearer(client, "teacherx"))
    assert reply.status_code == status
