"""Values that were accepted and then broke a test for everyone (security.md 41): dates at
the calendar's edges, points like ``1E+999999``, a published paper switched to a random draw.
Each is refused at input with the field named, and pages survive rows stored before that; a
teacher is warned when answers are shown while attempts remain."""

import copy
import re
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from lms.exams import logic
from lms.exams.models import Exam, ExamAssignment
from lms.kernel import db
from tests.conftest import csrf_token_from, login
from tests.lms.exams_setup import T0, bank_questions, bearer, correct_response, published_exam
from tests.lms.matrix_setup import make_bank, matrix_json, rows_2025
from tests.lms.test_exams_matrix import _exam_body

EDGES = ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:00-05:00", "9999-12-31T23:59:59",
         "1998-12-31T23:00:00Z", "2101-01-01T00:00:00Z")
LOCAL_EDGES = ("01/01/0001 00:00", "31/12/9999 23:59")
BAD_POINTS = ("1E+999999", "Infinity", "NaN", "101", "0", "-1", "0.001", "1e2x")


def _error(reply) -> dict:
    return reply.get_json()["error"]


def _fields(reply) -> dict:
    """The fields a 400 names, from a schema error (``details.fields.json``) or a service's
    (``details.fields``)."""
    fields = _error(reply)["details"]["fields"]
    return fields.get("json", fields)


def _post(client, url, data, page):
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("moment", EDGES)
def test_window_times_at_the_calendars_edges_are_400_naming_the_field(client, org, moment):
    exam = published_exam(org)
    teacher = bearer(client, "teacherx")
    for field in ("opens_at", "closes_at"):
        reply = client.patch(f"/api/v1/exams/{exam.id}/settings", json={field: moment},
                             headers=teacher)
        assert reply.status_code == 400, reply.get_json()
        assert _error(reply)["code"] == "invalid_time" and field in _fields(reply)
    created = client.post("/api/v1/exams", headers=teacher, json={
        "title": "x", "question_ids": [bank_questions(org.teacher_x)[0].id],
        "settings": {"closes_at": moment}})
    assert created.status_code == 400 and "closes_at" in _fields(created)


def test_window_times_inside_the_range_are_taken_with_their_offset(client, org):
    exam = published_exam(org)
    reply = client.patch(f"/api/v1/exams/{exam.id}/settings", headers=bearer(client, "teacherx"),
                         json={"opens_at": "2000-01-01T05:00:00+05:00",
                               "closes_at": "2099-12-31T23:59:00-05:00"})
    assert reply.status_code == 200, reply.get_json()
    db.session.expire_all()
    settings = db.session.get(Exam, exam.id).settings
    assert (settings["open_at"], settings["close_at"]) == ("2000-01-01T00:00:00",
                                                           "2100-01-01T04:59:00")


@pytest.mark.parametrize("moment", EDGES[:2])
def test_override_times_at_the_edges_are_400_naming_the_field(client, org, moment):
    exam = published_exam(org)
    teacher = bearer(client, "teacherx")
    assignment = db.session.scalar(select(ExamAssignment).where(ExamAssignment.exam_id == exam.id))
    student = client.put(f"/api/v1/exams/{exam.id}/overrides/{org.student_a.id}",
                         json={"closes_at": moment}, headers=teacher)
    group = client.put(f"/api/v1/exams/{exam.id}/assignments/{assignment.id}/override",
                       json={"opens_at": moment}, headers=teacher)
    assert (student.status_code, group.status_code) == (400, 400)
    assert "closes_at" in _fields(student) and "opens_at" in _fields(group)
    fine = client.put(f"/api/v1/exams/{exam.id}/overrides/{org.student_a.id}",
                      json={"closes_at": "2099-12-31T23:59:00+07:00"}, headers=teacher)
    assert fine.status_code == 200, fine.get_json()


@pytest.mark.parametrize("moment", EDGES[:2])
def test_attempt_events_at_the_edges_are_400_naming_at(client, org, moment):
    exam = published_exam(org)
    student = bearer(client, "hsa")
    attempt = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=student)
    url = f"/api/v1/attempts/{attempt.get_json()['attempt_id']}/events"
    reply = client.post(url, json={"events": [{"kind": "focus_lost", "at": moment}]},
                        headers=student)
    assert reply.status_code == 400 and "at" in _fields(reply)["events"]["0"]
    fine = client.post(url, json={"events": [{"kind": "focus_lost",
                                              "at": "2030-01-01T00:00:00+07:00"}]},
                       headers=student)
    assert fine.status_code == 200, fine.get_json()


@pytest.mark.parametrize("typed", LOCAL_EDGES)
def test_the_settings_form_refuses_edge_dates_with_a_message(client, org, typed):
    exam = published_exam(org)
    login(client, "teacherx")
    page = f"/teacher/exams/{exam.id}/settings"
    reply = _post(client, page, {"open_at": typed, "attempts": "1", "grading_method": "highest",
                                 "navigation": "free", "mode": "test", "late_mode": "auto_submit",
                                 "rounding": "0.01"}, page)
    assert reply.status_code == 200                       # the form again, with its error
    assert "2000–2099" in reply.get_data(as_text=True)
    override = _post(client, f"/teacher/exams/{exam.id}/overrides/{org.student_a.id}",
                     {"closes_at": typed}, f"/teacher/exams/{exam.id}/results")
    assert override.status_code == 302


# ---------------------------------------------------------------- points


def test_points_are_a_positive_number_of_at_most_100_with_two_decimals():
    assert logic.parse_points("0,25") == logic.parse_points(0.25) == logic.parse_points("0.25")
    assert logic.parse_points("100") == 100 and logic.parse_points(2) == 2
    assert [p for p in BAD_POINTS if logic.parse_points(p) is not None] == []
    assert logic.parse_points(True) is None and logic.parse_points(None) is None


@pytest.mark.parametrize("points", BAD_POINTS)
def test_points_out_of_range_are_400_naming_points(client, org, points):
    bank = bank_questions(org.teacher_x)
    db.session.commit()
    reply = client.post("/api/v1/exams", headers=bearer(client, "teacherx"),
                        json={"title": "x", "question_ids": [q.id for q in bank],
                              "points": {str(bank[0].id): points}})
    assert reply.status_code == 400 and "points" in _fields(reply)


def test_matrix_points_out_of_range_are_400_naming_the_cell(client, org):
    bank = make_bank(org)
    spec = matrix_json(rows_2025(bank))
    spec["sections"][0]["cells"][0]["points"] = "1E+999999"
    reply = client.post("/api/v1/exams", json=_exam_body(spec, org),
                        headers=bearer(client, "teacherx"))
    assert reply.status_code == 400
    cell = _fields(reply)["matrix"]["sections"]["0"]["cells"]["0"]
    assert "points" in cell


def test_the_points_form_refuses_huge_points_and_takes_normal_ones(client, org):
    bank = bank_questions(org.teacher_x)
    db.session.commit()
    teacher = bearer(client, "teacherx")
    made = client.post("/api/v1/exams", json={"title": "x", "question_ids": [bank[0].id]},
                       headers=teacher)
    exam_id = made.get_json()["id"]
    login(client, "teacherx")
    edit = f"/teacher/exams/{exam_id}"
    bad = _post(client, f"{edit}/points", {"points-0": "1E+999999"}, edit)
    assert "Điểm phải là một số" in client.get(bad.headers["Location"]).get_data(as_text=True)
    _post(client, f"{edit}/points", {"points-0": "0,25"}, edit)
    db.session.expire_all()
    assert db.session.get(Exam, exam_id).selection[0]["points"] == "0.25"


def _store(exam_id: int, change) -> None:
    """Write a bad value as an older release could have stored it."""
    exam = db.session.get(Exam, exam_id)
    snapshot, selection = copy.deepcopy(exam.snapshot), copy.deepcopy(exam.selection)
    change(exam, snapshot, selection)
    exam.snapshot, exam.selection = snapshot, selection
    db.session.commit()


def test_a_stored_slot_worth_1e999999_points_breaks_no_submit_or_report(client, org):
    exam = published_exam(org, {"review": "immediately"})

    def huge(exam, snapshot, selection):
        snapshot[0]["points"] = selection[0]["points"] = "1E+999999"
        snapshot[1]["points"] = selection[1]["points"] = "Infinity"
    _store(exam.id, huge)
    student = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        started = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=student)
        body = started.get_json()
        payloads = {e["slot"]: e["payload"] for e in db.session.get(Exam, exam.id).snapshot}
        for question in body["questions"]:
            client.put(f"/api/v1/attempts/{body['attempt_id']}/answers/{question['slot']}",
                       json={"response": correct_response(question, payloads[question["slot"]]),
                             "seq": 1}, headers=student)
        submitted = client.post(f"/api/v1/attempts/{body['attempt_id']}/submit", json={},
                                headers=student)
    assert submitted.status_code == 200, submitted.get_json()
    result = submitted.get_json()["result"]     # counted as 100 each: the largest points taken
    assert Decimal(result["score"]) == 2 * logic.MAX_POINTS + 1 and Decimal(result["grade"]) == 10
    teacher = bearer(client, "teacherx")
    for path in ("report", "item-analysis", "results"):
        assert client.get(f"/api/v1/exams/{exam.id}/{path}", headers=teacher).status_code == 200
    login(client, "teacherx")
    for page in (f"/teacher/exams/{exam.id}", f"/exams/{exam.id}/report",
                 f"/teacher/exams/{exam.id}/results"):
        assert client.get(page).status_code == 200, page


# ---------------------------------------------------------------- how papers are built


def test_a_published_paper_keeps_how_it_was_built(client, org):
    exam = published_exam(org)
    teacher = bearer(client, "teacherx")
    url = f"/api/v1/exams/{exam.id}/settings"
    for change in ({"generation": "random_draw"}, {"generation": "variants"},
                   {"variant_count": 7}, {"code_digits": 4}):
        reply = client.patch(url, json=change, headers=teacher)
        assert (reply.status_code, _error(reply)["code"]) == (409, "published_paper"), change
        assert _error(reply)["details"]["fields"] == list(change)
    same = client.patch(url, json={"generation": "fixed", "attempts": 2}, headers=teacher)
    assert same.status_code == 200, same.get_json()
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).settings["generation"] == "fixed"


def test_a_random_draw_needs_a_matrix_and_a_matrix_draft_changes_it_with_its_matrix(client, org):
    teacher = bearer(client, "teacherx")
    bank = bank_questions(org.teacher_x)
    db.session.commit()
    picked = client.post("/api/v1/exams", json={"title": "x", "question_ids": [bank[0].id]},
                         headers=teacher).get_json()["id"]
    url = f"/api/v1/exams/{picked}/settings"
    reply = client.patch(url, json={"generation": "random_draw"}, headers=teacher)
    assert (reply.status_code, _error(reply)["code"]) == (400, "invalid_settings")
    assert client.patch(url, json={"generation": "variants"}, headers=teacher).status_code == 200
    matrix_bank = make_bank(org)
    spec = matrix_json(rows_2025(matrix_bank))
    draft = client.post("/api/v1/exams", headers=teacher, json={
        **_exam_body(spec, org), "publish": False}).get_json()["id"]
    reply = client.patch(f"/api/v1/exams/{draft}/settings", json={"generation": "random_draw"},
                         headers=teacher)
    assert (reply.status_code, _error(reply)["code"]) == (409, "matrix_generation")
    through_matrix = client.put(f"/api/v1/exams/{draft}/matrix", headers=teacher,
                                json={"matrix": spec, "settings": {"generation": "random_draw"}})
    assert through_matrix.status_code == 200, through_matrix.get_json()
    sample = client.get(f"/api/v1/exams/{draft}/sample-draw", headers=teacher)
    assert sample.status_code == 200


def test_a_stored_random_draw_without_a_matrix_is_served_as_its_fixed_paper(client, org):
    exam = published_exam(org)

    def switch(exam, snapshot, selection):
        exam.settings = {**exam.settings, "generation": "random_draw"}
    _store(exam.id, switch)
    started = client.post(f"/api/v1/exams/{exam.id}/attempts", json={},
                          headers=bearer(client, "hsa"))
    assert started.status_code == 200, started.get_json()
    assert len(started.get_json()["questions"]) == len(exam.snapshot)
    teacher = bearer(client, "teacherx")
    for path in ("report", "item-analysis", "variants"):
        assert client.get(f"/api/v1/exams/{exam.id}/{path}", headers=teacher).status_code == 200
    sample = client.get(f"/api/v1/exams/{exam.id}/sample-draw", headers=teacher)
    assert (sample.status_code, _error(sample)["code"]) == (400, "not_random_draw")
    login(client, "teacherx")
    for page in (f"/exams/{exam.id}/report", f"/teacher/exams/{exam.id}/results",
                 f"/exams/{exam.id}/sample-draw", f"/exams/{exam.id}/variants"):
        assert client.get(page).status_code in (200, 400), page     # 400: not a random draw


# ---------------------------------------------------------------- the teacher's warning


WARNING = 'data-testid="warning-answers_before_last_attempt"'


@pytest.mark.parametrize("settings,warned", [
    ({"attempts": 3, "review": "immediately"}, True),
    ({"attempts": 0, "review": {"correct_answers": "after_submit"}}, True),
    ({"attempts": 2, "review": {"feedback": "during"}}, True),
    ({"attempts": 1, "review": "immediately"}, False),
    ({"attempts": 3, "review": "after_close"}, False),
    ({"attempts": 3, "review": "immediately", "mode": "practice"}, False),
])
def test_teachers_are_warned_when_answers_show_while_attempts_remain(client, org, settings,
                                                                     warned):
    exam = published_exam(org, settings)
    got = client.get(f"/api/v1/exams/{exam.id}", headers=bearer(client, "teacherx")).get_json()
    codes = [w["code"] for w in got["warnings"]]
    assert codes == (["answers_before_last_attempt"] if warned else [])
    login(client, "teacherx")
    for page in (f"/teacher/exams/{exam.id}/settings", f"/teacher/exams/{exam.id}/results"):
        assert (WARNING in client.get(page).get_data(as_text=True)) is warned
    if warned:
        login(client, "hsa")
        student_page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
        assert not re.search("warning-answers", student_page)
