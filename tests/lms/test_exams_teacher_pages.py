"""The teacher's test pages: list, hand-picking from the bank, settings in Vietnam time,
assignment, publishing, results with overrides and pre-generated attempts (security.md 2, 14,
16)."""

import json
import re
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select

from lms.exams import services
from lms.exams.models import Attempt, AttemptState, Exam, ExamState
from lms.kernel import db
from lms.questions import search
from tests.conftest import csrf_token_from, login
from tests.lms.exams_setup import T0, bank_questions, published_exam


def _token(client, url="/teacher/exams/") -> str:
    return csrf_token_from(client.get(url).get_data(as_text=True))


def _post(client, url, data=None, page="/teacher/exams/"):
    return client.post(url, data={"csrf_token": _token(client, page), **(data or {})})


def _flashes(html: str) -> list[str]:
    return re.findall(r'<div class="alert alert-\w+" role="alert">(.*?)</div>', html)


def test_teachers_find_the_tests_page_from_the_nav_and_dashboard(client, org):
    login(client, "teacherx")
    home = client.get("/").get_data(as_text=True)
    assert home.count('href="/teacher/exams/"') == 2                     # nav + dashboard
    assert client.get("/teacher/exams/").status_code == 200
    login(client, "hsa")
    assert 'href="/teacher/exams/"' not in client.get("/").get_data(as_text=True)
    assert client.get("/teacher/exams/").status_code == 403


def test_a_teacher_builds_assigns_and_publishes_a_test_by_hand_picking(client, org):
    bank = bank_questions(org.teacher_x)
    db.session.commit()
    search.rebuild()
    login(client, "teacherx")
    created = _post(client, "/teacher/exams/new", {"title": "Kiểm tra <b>15</b> phút"},
                    page="/teacher/exams/new")
    assert created.status_code == 302
    exam = db.session.scalar(select(Exam))
    edit = f"/teacher/exams/{exam.id}"
    page = client.get(edit + "?q=so nguyen to").get_data(as_text=True)
    assert f'data-testid="add-{bank[2].id}"' in page                     # accent-insensitive
    assert f'data-testid="add-{bank[0].id}"' not in page
    for question in bank:
        reply = _post(client, f"{edit}/questions/add", {"question_id": question.id,
                                                        "points": "0,5", "q": "x"}, page=edit)
        assert reply.status_code == 302 and "q=x" in reply.headers["Location"]
    duplicate = _post(client, f"{edit}/questions/add", {"question_id": bank[0].id}, page=edit)
    assert "đã có trong bài" in client.get(duplicate.headers["Location"]).get_data(as_text=True)
    _post(client, f"{edit}/questions/0/down", page=edit)
    _post(client, f"{edit}/questions/2/remove", page=edit)
    _post(client, f"{edit}/points", {"points-0": "2", "points-1": "1,25"}, page=edit)
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).selection == [
        {"question_id": bank[1].id, "points": "2"}, {"question_id": bank[0].id, "points": "1.25"}]
    bad = _post(client, f"{edit}/points", {"points-0": "hai", "points-1": "1"}, page=edit)
    assert "Điểm phải là một số" in " ".join(_flashes(client.get(bad.headers["Location"])
                                                      .get_data(as_text=True)))
    _post(client, f"{edit}/assign", {"class_id": org.class_x.id}, page=edit)
    _post(client, f"{edit}/publish", page=edit)
    db.session.expire_all()
    exam = db.session.get(Exam, exam.id)
    assert exam.state == ExamState.PUBLISHED and [e["points"] for e in exam.snapshot] == \
        ["2", "1.25"]
    assert [a.class_id for a in exam.assignments] == [org.class_x.id]
    listing = client.get("/teacher/exams/").get_data(as_text=True)
    assert "Kiểm tra &lt;b&gt;15&lt;/b&gt; phút" in listing and "<b>15</b>" not in listing
    after = _post(client, f"{edit}/questions/0/remove", page=edit)
    assert "đã phát hành" in client.get(after.headers["Location"]).get_data(as_text=True)
    assert len(db.session.get(Exam, exam.id).selection) == 2


def test_settings_form_takes_vietnam_time_and_stores_utc(client, org):
    exam = published_exam(org)
    login(client, "teacherx")
    url = f"/teacher/exams/{exam.id}/settings"
    form = {"open_at": "01/12/2026 07:30", "close_at": "01/12/2026 09:00",
            "time_limit_minutes": "45", "attempts": "2", "grading_method": "last",
            "shuffle_questions": "y", "navigation": "sequential", "mode": "test",
            "late_mode": "grace", "grace_seconds": "30", "rounding": "0.25",
            "access_code": "Bí mật", "review_responses": "during",
            "review_correctness": "after_submit", "review_score": "after_submit",
            "review_correct_answers": "after_close", "review_feedback": "never"}
    reply = _post(client, url, form, page=url)
    assert reply.status_code == 302, _flashes(reply.get_data(as_text=True))
    db.session.expire_all()
    settings = db.session.get(Exam, exam.id).settings
    assert settings["open_at"] == "2026-12-01T00:30:00"                  # 07:30 UTC+7
    assert settings["close_at"] == "2026-12-01T02:00:00"
    assert (settings["time_limit_s"], settings["attempts_allowed"]) == (2700, 2)
    assert settings["navigation"] == "sequential" and settings["shuffle_questions"] is True
    assert settings["late"] == {"mode": "grace", "grace_s": 30}
    assert settings["review"]["feedback"] == "never"
    assert "Bí mật" not in json.dumps(settings, ensure_ascii=False)
    page = client.get(url).get_data(as_text=True)
    assert 'value="01/12/2026 07:30"' in page and "Bí mật" not in page
    assert "Bài đang có mã truy cập" in page
    wrong = _post(client, url, {**form, "open_at": "2026-12-01 07:30"}, page=url)
    assert wrong.status_code == 200 and "Hãy nhập thời điểm dạng" in wrong.get_data(as_text=True)
    reversed_window = _post(client, url, {**form, "open_at": "01/12/2026 10:00"}, page=url)
    assert "Thời điểm đóng phải sau thời điểm mở" in reversed_window.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).settings["open_at"] == "2026-12-01T00:30:00"
    removed = _post(client, url, {**form, "access_code": "", "remove_access_code": "y"},
                    page=url)
    assert removed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).settings["access_code_hash"] is None


@time_machine.travel(T0, tick=False)   # before the close time the override sets, whatever today is
def test_results_page_lists_attempts_and_sets_overrides(client, org):
    exam = published_exam(org, {"time_limit_minutes": 15})
    org.student_b.full_name = "<img src=x onerror=alert(1)>"
    db.session.commit()
    started = services.start_attempt(org.student_a, db.session.get(Exam, exam.id))
    db.session.commit()
    login(client, "teacherx")
    url = f"/teacher/exams/{exam.id}/results"
    page = client.get(url).get_data(as_text=True)
    assert page.count('data-testid="student-row"') == 2
    assert page.count('data-testid="attempt-row"') == 1 and "Đang làm" in page
    assert "<img src=x" not in page and "&lt;img src=x" in page
    reply = _post(client, f"/teacher/exams/{exam.id}/overrides/{org.student_a.id}",
                  {"extra_time_minutes": "10", "closes_at": "02/12/2026 17:00"}, page=url)
    assert reply.status_code == 302
    db.session.expire_all()
    assignment = db.session.get(Exam, exam.id).assignments[0]
    assert assignment.overrides[str(org.student_a.id)] == {
        "extra_time_s": 600, "close_at": "2026-12-02T10:00:00"}
    assert db.session.get(Attempt, started.id).deadline == \
        started.started_at + timedelta(minutes=25)
    group = _post(client, f"/teacher/exams/{exam.id}/assignments/{assignment.id}/override",
                  {"extra_attempts": "2"}, page=url)
    assert group.status_code == 302
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).assignments[0].group_override == {"extra_attempts": 2}
    bad = _post(client, f"/teacher/exams/{exam.id}/overrides/{org.student_b.id}",
                {"opens_at": "ngày mai"}, page=url)
    assert "Hãy nhập thời điểm dạng" in client.get(bad.headers["Location"]).get_data(as_text=True)
    assert str(org.student_b.id) not in db.session.get(Exam, exam.id).assignments[0].overrides
    page = client.get(url).get_data(as_text=True)
    assert 'value="02/12/2026 17:00"' in page
    _post(client, f"/teacher/exams/{exam.id}/pregenerate", page=url)
    states = {a.user_id: a.state for a in db.session.scalars(select(Attempt))}
    assert states == {org.student_a.id: AttemptState.IN_PROGRESS,
                      org.student_b.id: AttemptState.PENDING}


def test_another_teacher_cannot_open_or_change_the_pages(client, org):
    """security.md 2: someone else's test does not exist for them (404 on every page and
    form), like a missing one."""
    exam = published_exam(org)
    assignment = db.session.get(Exam, exam.id).assignments[0]
    login(client, "teachery")
    base = f"/teacher/exams/{exam.id}"
    for url in (base, f"{base}/settings", f"{base}/results"):
        assert client.get(url).status_code == 404, url
    token = _token(client)
    for url in (f"{base}/questions/add", f"{base}/questions/0/up", f"{base}/points",
                f"{base}/assign", f"{base}/publish", f"{base}/settings",
                f"{base}/overrides/{org.student_a.id}", f"{base}/pregenerate",
                f"{base}/assignments/{assignment.id}/override"):
        assert client.post(url, data={"csrf_token": token, "extra_time_minutes": "600",
                                      "class_id": org.class_y.id}).status_code == 404, url
    assert client.get("/teacher/exams/999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).assignments[0].overrides == {}
    assert db.session.scalars(select(Attempt)).all() == []
    login(client, "hsa")
    assert client.get(f"{base}/results").status_code == 404


def test_times_are_shown_in_vietnam_time(client, org):
    exam = published_exam(org, {"opens_at": "2026-12-01T00:30:00Z"})
    login(client, "teacherx")
    page = client.get(f"/teacher/exams/{exam.id}/settings").get_data(as_text=True)
    assert 'value="01/12/2026 07:30"' in page
    assert db.session.get(Exam, exam.id).settings["open_at"] == \
        datetime(2026, 12, 1, 0, 30).isoformat()


def test_search_parameters_with_sql_metacharacters_do_not_break_the_editor(client, org):
    """security.md 18: no 500; a bad page or grade is a message, not an error."""
    login(client, "teacherx")
    created = _post(client, "/teacher/exams/new", {"title": "KT"}, page="/teacher/exams/new")
    edit = created.headers["Location"]
    for query in ("?q=%27%20OR%201%3D1%20--&grade=10", "?page=-1%3B%20DROP%20TABLE%20exam",
                  "?grade=abc%27", "?type=%22%3E%3Cscript%3E", "?subject=%25"):
        reply = client.get(edit + query)
        assert reply.status_code == 200, query
        assert "<script>" not in reply.get_data(as_text=True).split("<main")[1]
    assert db.session.scalar(select(Exam)).title == "KT"
