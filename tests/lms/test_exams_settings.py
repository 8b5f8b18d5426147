"""Issue 4 §1 settings through the API: access code, overrides per student and per class,
practice mode, review items in GET, pre-generated attempts, sequential navigation
(security.md 4, 7, 8, 12, 14)."""

import json
from datetime import datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from lms.exams import logic
from lms.exams.models import Attempt, AttemptAnswer, AttemptState, Exam
from lms.i18n import parse_local, to_local, vn_date
from lms.kernel import db
from tests.factories import UserFactory, member
from tests.lms.exams_setup import T0, bearer, correct_response, published_exam
from tests.lms.test_exams_races import _together

TIMED = {"time_limit_minutes": 15, "review": "immediately"}
FEEDBACK_WORDS = ("Nhận xét", "Đúng rồi", "Sai rồi", "correct_answer", "feedback", "fraction")


def _start(client, headers, exam_id, **body):
    return client.post(f"/api/v1/exams/{exam_id}/attempts", json=body, headers=headers)


def _save(client, headers, attempt_id, slot, response, seq):
    return client.put(f"/api/v1/attempts/{attempt_id}/answers/{slot}",
                      json={"response": response, "seq": seq}, headers=headers)


def _error(reply) -> dict:
    return reply.get_json()["error"]


def _payloads(exam_id) -> dict:
    return {e["slot"]: e["payload"] for e in db.session.get(Exam, exam_id).snapshot}


# ---------------------------------------------------------------- pure rules


def test_vietnam_time_round_trips_through_naive_utc(app):
    with app.app_context():
        assert parse_local("01/12/2026 07:30") == datetime(2026, 12, 1, 0, 30)
        assert parse_local("01/01/2027 03:00") == datetime(2026, 12, 31, 20, 0)
        assert vn_date(datetime(2026, 12, 31, 20, 0)) == "01/01/2027 03:00"
        assert parse_local("  ") is None and vn_date(None) == ""
        for bad in ("2026-12-01 07:30", "31/02/2026 07:00", "01/12/2026", "01/12/2026 24:00"):
            with pytest.raises(ValueError):
                parse_local(bad)


def test_one_time_zone_setting_drives_forms_pages_and_exports(app, monkeypatch):
    """TIMEZONE is the only source: typed times, shown times and export times follow it."""
    monkeypatch.setitem(app.config, "TIMEZONE", "Asia/Tokyo")      # UTC+9
    with app.app_context():
        assert parse_local("01/12/2026 09:00") == datetime(2026, 12, 1, 0, 0)
        assert vn_date(datetime(2026, 12, 1, 0, 0)) == "01/12/2026 09:00"
        assert to_local(datetime(2026, 12, 1, 0, 0)) == datetime(2026, 12, 1, 9, 0)


def test_access_code_hash_is_salted_and_compares_normalised_codes():
    first, second = logic.hash_code("Mã 7A"), logic.hash_code("Mã 7A")
    assert first != second and "7A" not in first                 # salted, not the code
    assert logic.code_matches(first, " mã 7a ")
    assert logic.code_matches(first, "Ma\u0303 7A")             # NFD typed → NFC
    assert not logic.code_matches(first, "Mã 7B")


def test_a_students_own_override_wins_key_by_key():
    group = {"extra_time_s": 300, "close_at": "2026-12-01T10:00:00", "extra_attempts": 1}
    own = {"extra_time_s": 1200, "extra_attempts": None}
    assert logic.merged_override(group, own) == {
        "extra_time_s": 1200, "close_at": "2026-12-01T10:00:00", "extra_attempts": 1}
    assert logic.merged_override(None, None) == {}


def test_sequential_position_closes_only_earlier_slots():
    order = [3, 1, 2]
    assert [logic.sequential_allows(order, 1, slot) for slot in order] == [False, True, True]
    # a slot outside the attempt is not this rule's to refuse (the answer check answers 400)
    assert logic.sequential_allows(order, 1, 9)


# ---------------------------------------------------------------- access code


def test_access_code_is_stored_hashed_and_needed_to_start_not_to_resume(client, org):
    exam = published_exam(org, {**TIMED, "access_code": "Lop10A1"})
    stored = json.dumps(db.session.get(Exam, exam.id).settings)
    assert "Lop10A1" not in stored and "lop10a1" not in stored
    shown = client.get(f"/api/v1/exams/{exam.id}", headers=bearer(client, "teacherx")).get_json()
    assert shown["settings"]["access_code_set"] is True
    assert "access_code_hash" not in json.dumps(shown)
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        missing = _start(client, headers, exam.id)
        wrong = _start(client, headers, exam.id, access_code="lop10a2")
        assert (missing.status_code, _error(missing)["code"]) == (403, "access_code")
        assert (wrong.status_code, _error(wrong)["code"]) == (403, "access_code")
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0
        right = _start(client, headers, exam.id, access_code="  lop10A1 ")   # case, spaces
        assert right.status_code == 200, right.get_json()
        resumed = _start(client, headers, exam.id)                          # no code needed
    assert resumed.status_code == 200
    assert resumed.get_json()["attempt_id"] == right.get_json()["attempt_id"]


def test_wrong_access_codes_are_throttled_per_student(client, org):
    """Five wrong codes in the login window → the sixth try is 429, even with the right
    code; another student is not affected; after the window the right code works."""
    exam = published_exam(org, {"access_code": "7391"})
    a, b = bearer(client, "hsa"), bearer(client, "hsb")
    with time_machine.travel(T0, tick=False):
        codes = [_start(client, a, exam.id, access_code=f"00{n}").status_code for n in range(5)]
        assert codes == [403] * 5
        blocked = _start(client, a, exam.id, access_code="7391")
        assert (blocked.status_code, _error(blocked)["code"]) == (429, "access_code_throttled")
        assert _start(client, b, exam.id, access_code="7391").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Attempt)
                             .where(Attempt.user_id == org.student_a.id)) == 0
    with time_machine.travel(T0 + timedelta(seconds=901), tick=False):
        assert _start(client, a, exam.id, access_code="7391").status_code == 200


def test_parallel_wrong_codes_cannot_all_slip_under_the_limit(app, client, org):
    """Twelve guesses at once: the counter is an atomic upsert, so exactly five are judged
    (403) and the rest refused (429); no error, no attempt."""
    exam_id = published_exam(org, {"access_code": "7391"}).id
    headers = bearer(client, "hsa")
    replies = _together(app, 12, lambda c, i: c.post(
        f"/api/v1/exams/{exam_id}/attempts", json={"access_code": f"x{i}"}, headers=headers))
    codes = sorted(r.status_code for r in replies)
    assert codes == [403] * 5 + [429] * 7, [r.get_json() for r in replies]
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_access_code_can_be_changed_and_removed_by_the_manager_only(client, org):
    exam = published_exam(org, {"access_code": "abc"})
    teacher, student = bearer(client, "teacherx"), bearer(client, "hsa")
    url = f"/api/v1/exams/{exam.id}/settings"
    assert client.patch(url, json={"access_code": None}, headers=student).status_code == 404
    assert client.patch(url, json={"access_code": None},
                        headers=bearer(client, "teachery")).status_code == 404
    changed = client.patch(url, json={"access_code": ""}, headers=teacher)
    assert changed.status_code == 200 and changed.get_json()["settings"]["access_code_set"] is False
    assert _start(client, student, exam.id).status_code == 200


# ---------------------------------------------------------------- settings input


def test_bad_settings_are_400_with_a_specific_message(client, org):
    exam = published_exam(org)
    teacher = bearer(client, "teacherx")
    url = f"/api/v1/exams/{exam.id}/settings"
    cases = [({"mode": "exam"}, "mode"), ({"navigation": "backwards"}, "navigation"),
             ({"rounding": "0.3"}, "rounding"), ({"attempts": -1}, "attempts"),
             ({"review": {"score": "sometimes"}}, "review"), ({"state": "draft"}, "state")]
    for body, field in cases:
        reply = client.patch(url, json=body, headers=teacher)
        assert reply.status_code == 400, body
        assert field in _error(reply)["details"]["fields"]["json"], reply.get_json()
    window = client.patch(url, json={"opens_at": "2026-12-01T09:00:00",
                                     "closes_at": "2026-12-01T08:00:00"}, headers=teacher)
    assert (window.status_code, _error(window)["code"]) == (400, "invalid_window")
    bad_time = client.patch(url, json={"opens_at": "mai"}, headers=teacher)
    assert bad_time.status_code == 400 and "mai" in _error(bad_time)["message"]
    grid = client.patch(url, json={"review": {"feedback": "after_submit"}, "mode": "practice",
                                   "navigation": "sequential"}, headers=teacher)
    assert grid.status_code == 200
    settings = grid.get_json()["settings"]
    assert settings["review"]["feedback"] == "after_submit"
    assert settings["review"]["score"] == "after_close"          # the rest kept
    assert (settings["mode"], settings["navigation"]) == ("practice", "sequential")


def test_changing_the_time_limit_moves_open_deadlines(client, org):
    exam = published_exam(org, TIMED)
    with time_machine.travel(T0, tick=False):
        data = _start(client, bearer(client, "hsa"), exam.id).get_json()
    reply = client.patch(f"/api/v1/exams/{exam.id}/settings", json={"time_limit_minutes": 30},
                         headers=bearer(client, "teacherx"))
    assert reply.status_code == 200
    db.session.expire_all()
    assert db.session.get(Attempt, data["attempt_id"]).deadline == T0 + timedelta(minutes=30)


# ---------------------------------------------------------------- overrides


def test_student_override_moves_only_that_students_open_deadline(client, org):
    """security.md 14 through the API: an open attempt's deadline is recomputed."""
    exam = published_exam(org, TIMED)
    with time_machine.travel(T0, tick=False):
        a = _start(client, bearer(client, "hsa"), exam.id).get_json()
        b = _start(client, bearer(client, "hsb"), exam.id).get_json()
    reply = client.put(f"/api/v1/exams/{exam.id}/overrides/{org.student_a.id}",
                       json={"extra_time_minutes": 10}, headers=bearer(client, "teacherx"))
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["override"]["extra_time_minutes"] == 10
    db.session.expire_all()
    assert db.session.get(Attempt, a["attempt_id"]).deadline == T0 + timedelta(minutes=25)
    assert db.session.get(Attempt, b["attempt_id"]).deadline == T0 + timedelta(minutes=15)


def test_group_override_applies_to_the_class_and_a_students_own_value_wins(client, org):
    close = T0 + timedelta(hours=1)
    exam = published_exam(org, {"time_limit_minutes": 15, "closes_at": close.isoformat(),
                                "attempts": 1})
    assignment = db.session.get(Exam, exam.id).assignments[0]
    teacher = bearer(client, "teacherx")
    group = client.put(f"/api/v1/exams/{exam.id}/assignments/{assignment.id}/override",
                       json={"extra_time_minutes": 5, "extra_attempts": 1,
                             "closes_at": (close + timedelta(hours=1)).isoformat()},
                       headers=teacher)
    assert group.status_code == 200, group.get_json()
    own = client.put(f"/api/v1/exams/{exam.id}/overrides/{org.student_a.id}",
                     json={"extra_time_minutes": 20}, headers=teacher)
    assert own.status_code == 200
    with time_machine.travel(close + timedelta(minutes=30), tick=False):   # after the exam's close
        a = _start(client, bearer(client, "hsa"), exam.id).get_json()
        b = _start(client, bearer(client, "hsb"), exam.id).get_json()
        start = close + timedelta(minutes=30)
        assert a["deadline"] == (start + timedelta(minutes=35)).isoformat() + "Z"
        assert b["deadline"] == (start + timedelta(minutes=20)).isoformat() + "Z"
        # one attempt + one extra from the class override
        client.post(f"/api/v1/attempts/{b['attempt_id']}/submit", json={},
                    headers=bearer(client, "hsb"))
        assert _start(client, bearer(client, "hsb"), exam.id).status_code == 200
    view = client.get(f"/api/v1/exams/{exam.id}", headers=teacher).get_json()
    assert view["assignments"][0]["group_override"]["extra_attempts"] == 1
    assert view["assignments"][0]["overrides"][str(org.student_a.id)]["extra_time_minutes"] == 20
    cleared = client.put(f"/api/v1/exams/{exam.id}/assignments/{assignment.id}/override",
                         json={}, headers=teacher)
    assert cleared.get_json()["override"] == {"extra_time_minutes": None, "opens_at": None,
                                              "closes_at": None, "extra_attempts": None}


def test_only_the_exams_manager_sets_overrides(client, org):
    """A student can never give themself extra time; for another teacher the exam does not
    exist (404), nor do ids that do not belong to it; nothing is stored."""
    exam = published_exam(org, TIMED)
    assignment = db.session.get(Exam, exam.id).assignments[0]
    own = f"/api/v1/exams/{exam.id}/overrides/{org.student_a.id}"
    group = f"/api/v1/exams/{exam.id}/assignments/{assignment.id}/override"
    body = {"extra_time_minutes": 600}
    for who in ("hsa", "teachery"):
        assert client.put(own, json=body, headers=bearer(client, who)).status_code == 404
        assert client.put(group, json=body, headers=bearer(client, who)).status_code == 404
    colleague = member(UserFactory(username="teacherx2"), org.teacher_x.memberships[0].role,
                       org.school_x, org.class_x)
    db.session.commit()
    assert client.put(own, json=body, headers=bearer(client, colleague.username)).status_code \
        == 404
    teacher = bearer(client, "teacherx")
    assert client.put(f"/api/v1/exams/{exam.id}/overrides/{org.student_y.id}", json=body,
                      headers=teacher).status_code == 404
    assert client.put(f"/api/v1/exams/999999/overrides/{org.student_a.id}", json=body,
                      headers=teacher).status_code == 404
    other = published_exam(org, TIMED)
    assert client.put(f"/api/v1/exams/{other.id}/assignments/{assignment.id}/override",
                      json=body, headers=teacher).status_code == 404
    db.session.expire_all()
    stored = db.session.get(Exam, exam.id).assignments[0]
    assert stored.overrides == {} and stored.group_override == {}


def test_bad_override_input_is_400_with_a_specific_message(client, org):
    close = T0 + timedelta(hours=1)
    exam = published_exam(org, {"closes_at": close.isoformat()})
    url = f"/api/v1/exams/{exam.id}/overrides/{org.student_a.id}"
    teacher = bearer(client, "teacherx")
    for body, field in (({"extra_time_minutes": -5}, "extra_time_minutes"),
                        ({"extra_time_minutes": "nhiều"}, "extra_time_minutes"),
                        ({"extra_attempts": 1000}, "extra_attempts"),
                        ({"extra_time_s": 60}, "extra_time_s"),
                        ({"deadline": "2030-01-01T00:00:00"}, "deadline")):
        reply = client.put(url, json=body, headers=teacher)
        assert reply.status_code == 400 and field in _error(reply)["details"]["fields"]["json"]
    bad_time = client.put(url, json={"closes_at": "31/12/2026"}, headers=teacher)
    assert bad_time.status_code == 400 and "31/12/2026" in _error(bad_time)["message"]
    reversed_window = client.put(url, json={"opens_at": (close + timedelta(hours=2)).isoformat()},
                                 headers=teacher)
    assert (reversed_window.status_code, _error(reversed_window)["code"]) == \
        (400, "invalid_window")
    assert db.session.get(Exam, exam.id).assignments[0].overrides == {}


# ---------------------------------------------------------------- review items in GET


def test_correct_answers_and_feedback_appear_only_when_the_policy_allows(client, org):
    """security.md 7–8: absent from submit and GET before the close, present after."""
    close = T0 + timedelta(hours=1)
    exam = published_exam(org, {"closes_at": close.isoformat(), "review": "after_close"})
    payloads = _payloads(exam.id)
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        data = _start(client, headers, exam.id).get_json()
        single = next(q for q in data["questions"] if q["type"] == "single_choice")
        wrong = next(o["id"] for o in single["options"]
                     if o["text_html"] != "Phương án B")
        _save(client, headers, data["attempt_id"], single["slot"], {"choice": wrong}, 1)
        submitted = client.post(f"/api/v1/attempts/{data['attempt_id']}/submit", json={},
                                headers=headers).get_json()
        early = client.get(f"/api/v1/attempts/{data['attempt_id']}", headers=headers).get_json()
    for body in (submitted, early):
        text = json.dumps(body, ensure_ascii=False)
        assert not any(word in text for word in FEEDBACK_WORDS), text
    with time_machine.travel(close, tick=False):
        late = client.get(f"/api/v1/attempts/{data['attempt_id']}", headers=headers).get_json()
    slot = str(single["slot"])
    right = correct_response(single, payloads[single["slot"]])
    assert late["correct_answers"][slot] == right
    wrong_letter = next(o["id"] for o in payloads[single["slot"]]["options"]
                        if o["text_html"] == next(x["text_html"] for x in single["options"]
                                                  if x["id"] == wrong))
    assert late["feedback"][slot] == {"options": {wrong: f"Nhận xét {wrong_letter}"}}
    assert set(late["correct_answers"]) == {"1", "2", "3"}


def test_review_grid_can_show_correct_answers_but_not_feedback(client, org):
    exam = published_exam(org, {"review": {"correct_answers": "after_submit",
                                           "feedback": "never"}})
    headers = bearer(client, "hsa")
    data = _start(client, headers, exam.id).get_json()
    done = client.post(f"/api/v1/attempts/{data['attempt_id']}/submit", json={},
                       headers=headers).get_json()
    assert set(done["correct_answers"]) == {"1", "2", "3"} and "feedback" not in done
    assert "Nhận xét" not in json.dumps(done, ensure_ascii=False)


# ---------------------------------------------------------------- practice


def test_practice_check_gives_immediate_feedback_and_freezes_the_answer(client, org):
    exam = published_exam(org, {"mode": "practice", "review": "after_close"})
    payloads = _payloads(exam.id)
    headers = bearer(client, "hsa")
    data = _start(client, headers, exam.id).get_json()
    assert data["mode"] == "practice" and data["checked"] == {}
    assert not any(w in json.dumps(data["questions"], ensure_ascii=False)
                   for w in FEEDBACK_WORDS)
    attempt_id = data["attempt_id"]
    multiple = next(q for q in data["questions"] if q["type"] == "multiple_response")
    slot = multiple["slot"]
    unanswered = client.post(f"/api/v1/attempts/{attempt_id}/check/{slot}", json={},
                             headers=headers)
    assert (unanswered.status_code, _error(unanswered)["code"]) == (400, "unanswered")
    by_text = {o["text_html"]: o["id"] for o in multiple["options"]}
    chosen = [by_text["Phương án A"], by_text["Phương án D"]]          # one right, one wrong
    _save(client, headers, attempt_id, slot, {"choices": chosen}, 1)
    checked = client.post(f"/api/v1/attempts/{attempt_id}/check/{slot}", json={},
                          headers=headers)
    assert checked.status_code == 200, checked.get_json()
    review = checked.get_json()
    assert review["fraction"] == "0"                                    # (1 − 1) / 3
    assert review["correct_answer"] == correct_response(multiple, payloads[slot])
    assert review["parts"] == {by_text["Phương án A"]: True, by_text["Phương án B"]: False,
                               by_text["Phương án C"]: False, by_text["Phương án D"]: False,
                               by_text["Phương án E"]: True}
    assert review["feedback"]["options"] == {by_text["Phương án A"]: "Nhận xét a",
                                             by_text["Phương án D"]: "Nhận xét d"}
    again = _save(client, headers, attempt_id, slot, {"choices": []}, 2)
    assert (again.status_code, _error(again)["code"]) == (409, "checked")
    resumed = client.get(f"/api/v1/attempts/{attempt_id}", headers=headers).get_json()
    assert resumed["checked"][str(slot)]["fraction"] == "0"
    assert set(resumed["checked"]) == {str(slot)}                       # only what was checked


def test_practice_attempts_are_unlimited_and_never_in_the_final_grade(client, org):
    exam = published_exam(org, {"mode": "practice"})
    assert db.session.get(Exam, exam.id).settings["attempts_allowed"] == 0
    headers = bearer(client, "hsa")
    for _ in range(3):
        data = _start(client, headers, exam.id).get_json()
        assert data["deadline"] is None
        client.post(f"/api/v1/attempts/{data['attempt_id']}/submit", json={}, headers=headers)
    results = client.get(f"/api/v1/exams/{exam.id}/results",
                         headers=bearer(client, "teacherx")).get_json()
    assert [a["practice"] for a in results["attempts"]] == [True] * 3
    assert results["final_grades"] == []


def test_check_is_refused_outside_practice_mode(client, org):
    """security.md 7: a test attempt never gets feedback through the practice endpoint."""
    exam = published_exam(org, TIMED)
    headers = bearer(client, "hsa")
    data = _start(client, headers, exam.id).get_json()
    question = data["questions"][0]
    _save(client, headers, data["attempt_id"], question["slot"],
          correct_response(question, _payloads(exam.id)[question["slot"]]), 1)
    reply = client.post(f"/api/v1/attempts/{data['attempt_id']}/check/{question['slot']}",
                        json={}, headers=headers)
    assert (reply.status_code, _error(reply)["code"]) == (403, "not_practice")
    assert "correct_answer" not in reply.get_data(as_text=True)
    other = client.post(f"/api/v1/attempts/{data['attempt_id']}/check/{question['slot']}",
                        json={}, headers=bearer(client, "hsb"))
    assert other.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(AttemptAnswer).where(
        AttemptAnswer.checked_at.is_not(None))) == 0


def test_final_grade_follows_the_grading_method_and_counts_tests_only(client, org):
    exam = published_exam(org, {"attempts": 0, "grading_method": "first", "review": "never"})
    payloads = _payloads(exam.id)
    headers = bearer(client, "hsa")
    first = _start(client, headers, exam.id).get_json()
    client.post(f"/api/v1/attempts/{first['attempt_id']}/submit", json={}, headers=headers)
    second = _start(client, headers, exam.id).get_json()
    for question in second["questions"]:
        _save(client, headers, second["attempt_id"], question["slot"],
              correct_response(question, payloads[question["slot"]]), 1)
    client.post(f"/api/v1/attempts/{second['attempt_id']}/submit", json={}, headers=headers)
    results = client.get(f"/api/v1/exams/{exam.id}/results",
                         headers=bearer(client, "teacherx")).get_json()
    assert results["final_grades"] == [{"user_id": org.student_a.id, "grade": "0.00"}]


# ---------------------------------------------------------------- pre-generated attempts


def test_pregenerate_creates_pending_attempts_that_start_cheaply(app, client, org):
    exam = published_exam(org, TIMED)
    teacher = bearer(client, "teacherx")
    url = f"/api/v1/exams/{exam.id}/pregenerate"
    assert client.post(url, json={}, headers=bearer(client, "hsa")).status_code == 404
    assert client.post(url, json={}, headers=bearer(client, "teachery")).status_code == 404
    with time_machine.travel(T0 - timedelta(hours=1), tick=False):
        report = client.post(url, json={}, headers=teacher).get_json()
        assert report == {"created": 2, "pending": 2, "students": 2}
        assert client.post(url, json={}, headers=teacher).get_json()["created"] == 0
    pending = {a.user_id: a for a in db.session.scalars(select(Attempt))}
    assert {a.state for a in pending.values()} == {AttemptState.PENDING}
    assert all(a.deadline is None and a.order for a in pending.values())
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        early = _save(client, headers, pending[org.student_a.id].id, 1, None, 1)
        assert (early.status_code, _error(early)["code"]) == (409, "attempt_pending")
        started = _start(client, headers, exam.id).get_json()
    assert started["attempt_id"] == pending[org.student_a.id].id
    assert started["deadline"] == (T0 + timedelta(minutes=15)).isoformat() + "Z"
    db.session.expire_all()
    attempt = db.session.get(Attempt, started["attempt_id"])
    assert attempt.state == AttemptState.IN_PROGRESS and attempt.started_at == T0
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 2
    # a finished student with attempts left gets the next number; an open one is skipped
    client.post(f"/api/v1/attempts/{attempt.id}/submit", json={}, headers=headers)
    assert client.post(url, json={}, headers=teacher).get_json()["created"] == 0   # limit 1


def test_pregenerate_needs_a_published_exam_and_works_from_the_cli(app, client, org):
    exam = published_exam(org, {"attempts": 2})
    draft = db.session.get(Exam, exam.id)
    draft_copy = Exam(title="Nháp", owner_id=org.teacher_x.id, settings=draft.settings,
                      selection=draft.selection)
    db.session.add(draft_copy)
    db.session.commit()
    reply = client.post(f"/api/v1/exams/{draft_copy.id}/pregenerate", json={},
                        headers=bearer(client, "teacherx"))
    assert (reply.status_code, _error(reply)["code"]) == (409, "not_published")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["exams", "pregenerate", str(exam.id)])
    assert result.exit_code == 0, result.output
    assert "2" in result.output
    assert runner.invoke(args=["exams", "pregenerate", "999999"]).exit_code == 2
    assert runner.invoke(args=["exams", "pregenerate", str(draft_copy.id)]).exit_code == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.state == AttemptState.PENDING)) == 2


def test_a_pending_attempt_beyond_a_lowered_limit_does_not_start(client, org):
    exam = published_exam(org, {"attempts": 2})
    headers, teacher = bearer(client, "hsa"), bearer(client, "teacherx")
    first = _start(client, headers, exam.id).get_json()
    client.post(f"/api/v1/attempts/{first['attempt_id']}/submit", json={}, headers=headers)
    client.post(f"/api/v1/exams/{exam.id}/pregenerate", json={}, headers=teacher)
    client.patch(f"/api/v1/exams/{exam.id}/settings", json={"attempts": 1}, headers=teacher)
    reply = _start(client, headers, exam.id)
    assert (reply.status_code, _error(reply)["code"]) == (409, "no_attempts_left")
    assert db.session.scalar(select(Attempt.state).where(Attempt.number == 2)) == \
        AttemptState.PENDING


def test_pregenerated_then_simultaneous_starts_give_one_attempt_each(app, client, org):
    """A room clicks Start at once: each student gets their own pre-generated attempt,
    exactly one open attempt each, nothing new inserted (security.md 12)."""
    exam = published_exam(org, {"review": "immediately", "attempts": 0})
    client.post(f"/api/v1/exams/{exam.id}/pregenerate", json={},
                headers=bearer(client, "teacherx"))
    pending = {a.user_id: a.id for a in db.session.scalars(select(Attempt))}
    heads = [bearer(client, "hsa"), bearer(client, "hsb")]
    replies = _together(app, 8, lambda c, i: c.post(f"/api/v1/exams/{exam.id}/attempts",
                                                    json={}, headers=heads[i % 2]))
    assert [r.status_code for r in replies] == [200] * 8, [r.get_json() for r in replies]
    ids = {r.get_json()["attempt_id"] for r in replies}
    assert ids == set(pending.values())
    db.session.expire_all()
    states = db.session.execute(select(Attempt.user_id, Attempt.state)).all()
    assert sorted(states) == sorted((uid, AttemptState.IN_PROGRESS) for uid in pending)


# ---------------------------------------------------------------- sequential navigation


def test_sequential_navigation_refuses_going_back(client, org):
    exam = published_exam(org, {"navigation": "sequential", "shuffle_questions": True})
    headers = bearer(client, "hsa")
    data = _start(client, headers, exam.id).get_json()
    attempt_id, order = data["attempt_id"], [q["slot"] for q in data["questions"]]
    assert (data["navigation"], data["position"]) == ("sequential", 0)
    assert _save(client, headers, attempt_id, order[0], None, 1).status_code == 200
    moved = client.post(f"/api/v1/attempts/{attempt_id}/next", json={"slot": order[0]},
                        headers=headers)
    assert moved.get_json()["position"] == 1 and moved.get_json()["slot"] == order[1]
    resent = client.post(f"/api/v1/attempts/{attempt_id}/next", json={"slot": order[0]},
                         headers=headers)
    assert resent.get_json()["position"] == 1                          # idempotent
    back = _save(client, headers, attempt_id, order[0], None, 2)
    assert (back.status_code, _error(back)["code"]) == (409, "sequential")
    assert _error(back)["details"] == {"position": 1, "slot": order[1]}
    assert _save(client, headers, attempt_id, order[2], None, 1).status_code == 200  # ahead
    assert client.get(f"/api/v1/attempts/{attempt_id}", headers=headers).get_json()[
        "position"] == 2
    assert _save(client, headers, attempt_id, order[1], None, 1).status_code == 409
    last = client.post(f"/api/v1/attempts/{attempt_id}/next", json={"slot": order[2]},
                       headers=headers)
    assert last.get_json()["position"] == 2                            # stays on the last
    bad = client.post(f"/api/v1/attempts/{attempt_id}/next", json={"slot": 99}, headers=headers)
    assert bad.status_code == 400
    assert client.post(f"/api/v1/attempts/{attempt_id}/next", json={"slot": order[0]},
                       headers=bearer(client, "hsb")).status_code == 404


def test_next_is_refused_in_free_navigation(client, org):
    exam = published_exam(org)
    headers = bearer(client, "hsa")
    data = _start(client, headers, exam.id).get_json()
    reply = client.post(f"/api/v1/attempts/{data['attempt_id']}/next",
                        json={"slot": data["questions"][0]["slot"]}, headers=headers)
    assert (reply.status_code, _error(reply)["code"]) == (409, "not_sequential")
    assert _save(client, headers, data["attempt_id"], data["questions"][0]["slot"], None,
                 1).status_code == 200
