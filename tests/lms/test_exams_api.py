"""The attempt contract of issue 4 §3 through the API (security.md 1, 4, 7, 9, 11–15)."""

import json
from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from lms.exams.models import Attempt, AttemptAnswer, AttemptState, Exam
from lms.exams.tasks import close_overdue
from lms.kernel import db
from lms.questions import services as questions
from question_bank.models import Question
from tests.lms.exams_setup import T0, bearer, correct_response, published_exam

TIMED = {"time_limit_minutes": 15, "review": "immediately"}
FORBIDDEN_WORDS = ("correct", "fraction", "feedback", "solution", "answer\"")


def _start(client, headers, exam_id):
    return client.post(f"/api/v1/exams/{exam_id}/attempts", json={}, headers=headers)


def _save(client, headers, attempt_id, slot, response, seq):
    return client.put(f"/api/v1/attempts/{attempt_id}/answers/{slot}",
                      json={"response": response, "seq": seq}, headers=headers)


def _answers(attempt_id):
    return {a.slot: (a.response, a.saved_seq) for a in db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))}


def test_teacher_creates_assigns_and_publishes_through_the_api(client, org):
    bank = [questions.create_question(org.teacher_x, questions.QuestionMeta(
        subject_id=1, grade=10), {"schema": 1, "type": "true_false", "text_html": "1 = 1",
                                  "answer": True})]
    db.session.commit()
    teacher = bearer(client, "teacherx")
    body = {"title": "KT", "question_ids": [bank[0].id], "points": {str(bank[0].id): "2"},
            "settings": {"time_limit_minutes": 10, "late_policy": "grace", "grace_seconds": 20,
                         "review": "after_close"},
            "assign": {"class_ids": [org.class_x.id]}, "publish": True}
    created = client.post("/api/v1/exams", json=body, headers=teacher)
    assert created.status_code == 201, created.get_json()
    exam = db.session.get(Exam, created.get_json()["id"])
    assert exam.state.value == "published" and exam.snapshot[0]["points"] == "2"
    assert exam.settings["late"] == {"mode": "grace", "grace_s": 20}
    # a student may not create tests; a teacher may not assign to another school's class
    assert client.post("/api/v1/exams", json=body, headers=bearer(client, "hsa")).status_code == 403
    body["assign"] = {"class_ids": [org.class_y.id]}
    assert client.post("/api/v1/exams", json=body, headers=teacher).status_code == 403


def test_start_payload_reveals_no_key_and_resume_returns_saved_answers(client, org):
    """security.md 7: no correct/fraction/feedback/solution, ids never the stored keys."""
    exam = published_exam(org, TIMED)
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        first = _start(client, headers, exam.id)
    assert first.status_code == 200, first.get_json()
    data = first.get_json()
    text = json.dumps(data["questions"])
    assert not any(word in text for word in FORBIDDEN_WORDS)
    shown_ids = [o["id"] for q in data["questions"] for o in q.get("options", [])]
    assert shown_ids and not set(shown_ids) & set("abcde")
    assert data["deadline"] == (T0 + timedelta(minutes=15)).isoformat() + "Z"
    single = next(q for q in data["questions"] if q["type"] == "single_choice")
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert _save(client, headers, data["attempt_id"], single["slot"],
                     {"choice": single["options"][0]["id"]}, 1).status_code == 200
        again = _start(client, headers, exam.id).get_json()
    assert again["attempt_id"] == data["attempt_id"]
    assert again["answers"] == {str(single["slot"]): {"choice": single["options"][0]["id"]}}
    assert again["questions"] == data["questions"]


def test_seq_orders_saves_and_submit_grades_the_stored_answers(client, org):
    exam = published_exam(org, TIMED)
    payloads = {e["slot"]: e["payload"] for e in db.session.get(Exam, exam.id).snapshot}
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        data = _start(client, headers, exam.id).get_json()
        attempt_id = data["attempt_id"]
        for question in data["questions"]:
            right = correct_response(question, payloads[question["slot"]])
            saved = _save(client, headers, attempt_id, question["slot"], right, 5)
            assert saved.get_json()["saved_seq"] == 5
        slot = data["questions"][0]["slot"]
        stale = _save(client, headers, attempt_id, slot, None, 5)    # equal seq: ignored
        assert stale.status_code == 200 and stale.get_json()["saved_seq"] == 5
        assert _save(client, headers, attempt_id, slot, None, 3).get_json()["saved_seq"] == 5
        assert _answers(attempt_id)[slot][0] is not None
        submitted = client.post(f"/api/v1/attempts/{attempt_id}/submit", json={}, headers=headers)
    assert submitted.status_code == 200, submitted.get_json()
    assert submitted.get_json()["result"]["grade"] == "10.00"
    with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
        again = client.post(f"/api/v1/attempts/{attempt_id}/submit", json={}, headers=headers)
        late_save = _save(client, headers, attempt_id, slot, None, 9)
    assert again.status_code == 409 and again.get_json()["error"]["details"]["state"] == "finished"
    assert late_save.status_code == 409 and _answers(attempt_id)[slot][1] == 5


def test_invalid_foreign_and_oversized_answers_store_nothing(client, org):
    """security.md 13."""
    exam = published_exam(org, TIMED)
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        data = _start(client, headers, exam.id).get_json()
        attempt_id = data["attempt_id"]
        single = next(q for q in data["questions"] if q["type"] == "single_choice")
        bad = [(single["slot"], {"choice": "a"}),                  # stored key, not shown id
               (single["slot"], {"choice": "ffffffff"}),
               (single["slot"], {"text": "x" * 20_000}),
               (99, {"choice": single["options"][0]["id"]})]
        for slot, response in bad:
            reply = _save(client, headers, attempt_id, slot, response, 1)
            assert reply.status_code == 400, (slot, response, reply.get_json())
    assert _answers(attempt_id) == {}


def test_mass_assignment_in_bodies_is_refused(client, org):
    """security.md 4: state, score, deadline, user_id in bodies → 400, nothing changes."""
    exam = published_exam(org, TIMED)
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        assert _start(client, headers, exam.id, ).status_code == 200
        attempt = db.session.scalar(select(Attempt))
        for body in ({"response": None, "seq": 1, "state": "finished"},
                     {"response": None, "seq": 1, "score": 10},
                     {"response": None, "seq": 1, "deadline": "2030-01-01T00:00:00"}):
            reply = client.put(f"/api/v1/attempts/{attempt.id}/answers/1", json=body,
                               headers=headers)
            assert reply.status_code == 400
        assert client.post(f"/api/v1/attempts/{attempt.id}/submit", json={"score": 10},
                           headers=headers).status_code == 400
        assert client.post(f"/api/v1/exams/{exam.id}/attempts", json={"user_id": 1},
                           headers=headers).status_code == 400
    db.session.refresh(attempt)
    assert attempt.state == AttemptState.IN_PROGRESS and attempt.score is None
    assert attempt.deadline == T0 + timedelta(minutes=15)


def test_another_students_attempt_is_not_found_and_unchanged(client, org):
    """security.md 1."""
    exam = published_exam(org, TIMED)
    a, b = bearer(client, "hsa"), bearer(client, "hsb")
    with time_machine.travel(T0, tick=False):
        data = _start(client, a, exam.id).get_json()
        attempt_id, slot = data["attempt_id"], data["questions"][0]["slot"]
        assert client.get(f"/api/v1/attempts/{attempt_id}", headers=b).status_code == 404
        assert _save(client, b, attempt_id, slot, None, 1).status_code == 404
        assert client.post(f"/api/v1/attempts/{attempt_id}/submit", json={},
                           headers=b).status_code == 404
        # a student of another class is not assigned: the exam does not exist for them
        assert _start(client, bearer(client, "hsy"), exam.id).status_code == 404
        assert client.get(f"/api/v1/attempts/{attempt_id}", headers=a).status_code == 200
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.IN_PROGRESS and _answers(attempt_id) == {}


def test_window_and_attempt_limit(client, org):
    """security.md 12: outside the window 403, beyond the limit 409, at most one open."""
    settings = {"opens_at": T0.isoformat(), "closes_at": (T0 + timedelta(hours=1)).isoformat(),
                "attempts": 1}
    exam = published_exam(org, settings)
    headers = bearer(client, "hsa")
    with time_machine.travel(T0 - timedelta(seconds=1), tick=False):
        assert _start(client, headers, exam.id).status_code == 403
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert _start(client, headers, exam.id).status_code == 403
    with time_machine.travel(T0, tick=False):
        attempt_id = _start(client, headers, exam.id).get_json()["attempt_id"]
        client.post(f"/api/v1/attempts/{attempt_id}/submit", json={}, headers=headers)
        assert _start(client, headers, exam.id).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_forged_timing_is_ignored_and_late_saves_are_refused(client, org):
    """security.md 9: the server's clock decides; a replayed save after the deadline is 409."""
    exam = published_exam(org, {"time_limit_minutes": 15, "late_policy": "grace",
                                "grace_seconds": 30})
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        data = _start(client, headers, exam.id).get_json()
    attempt_id, slot = data["attempt_id"], data["questions"][0]["slot"]
    deadline = T0 + timedelta(minutes=15)
    with time_machine.travel(deadline + timedelta(seconds=30), tick=False):
        assert _save(client, headers, attempt_id, slot, None, 1).status_code == 200
    with time_machine.travel(deadline + timedelta(seconds=31), tick=False):
        reply = client.put(f"/api/v1/attempts/{attempt_id}/answers/{slot}",
                           json={"response": None, "seq": 2},
                           headers={**headers, "Date": T0.strftime("%a, %d %b %Y %H:%M:%S GMT")})
        assert reply.status_code == 409
    assert _answers(attempt_id)[slot][1] == 1


def test_sweep_closes_overdue_attempts_at_the_deadline_with_saved_answers(client, org):
    """security.md 11."""
    exam = published_exam(org, {"time_limit_minutes": 15, "late_policy": "grace",
                                "grace_seconds": 30})
    payloads = {e["slot"]: e["payload"] for e in db.session.get(Exam, exam.id).snapshot}
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        data = _start(client, headers, exam.id).get_json()
        question = data["questions"][0]
        _save(client, headers, data["attempt_id"], question["slot"],
              correct_response(question, payloads[question["slot"]]), 1)
    deadline = T0 + timedelta(minutes=15)
    with time_machine.travel(deadline + timedelta(seconds=30), tick=False):
        assert close_overdue.delay().get() == 0        # still inside the grace period
    with time_machine.travel(deadline + timedelta(seconds=31), tick=False):
        assert close_overdue.delay().get() == 1
    db.session.expire_all()
    attempt = db.session.get(Attempt, data["attempt_id"])
    assert attempt.state == AttemptState.FINISHED and attempt.finished_at == deadline
    assert attempt.score == 1 and attempt.grade is not None


def test_extra_time_moves_only_that_students_deadline(client, org):
    """security.md 14."""
    from lms.exams import services

    exam = published_exam(org, TIMED)
    assignment = db.session.get(Exam, exam.id).assignments[0]
    services.set_override(org.teacher_x, assignment, org.student_a.id, extra_time_s=600)
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        a = _start(client, bearer(client, "hsa"), exam.id).get_json()
        b = _start(client, bearer(client, "hsb"), exam.id).get_json()
    assert a["deadline"] == (T0 + timedelta(minutes=25)).isoformat() + "Z"
    assert b["deadline"] == (T0 + timedelta(minutes=15)).isoformat() + "Z"


def test_editing_a_bank_question_after_publish_leaves_the_snapshot(client, org):
    """security.md 15."""
    exam = published_exam(org, TIMED)
    before = json.dumps(db.session.get(Exam, exam.id).snapshot, sort_keys=True)
    question = db.session.get(Question, db.session.get(Exam, exam.id).snapshot[1]["question_id"])
    questions.revise_question(org.teacher_x, question,
                              {"schema": 1, "type": "true_false", "text_html": "Đổi đề",
                               "answer": False})
    db.session.commit()
    db.session.expire_all()
    assert json.dumps(db.session.get(Exam, exam.id).snapshot, sort_keys=True) == before
    with time_machine.travel(T0, tick=False):
        data = _start(client, bearer(client, "hsa"), exam.id).get_json()
    assert "Đổi đề" not in json.dumps(data, ensure_ascii=False)


def test_review_policy_hides_the_result_until_close(app, client, org):
    """security.md 7–8: with review after close, neither submit nor GET shows the score early."""
    close = T0 + timedelta(hours=1)
    exam = published_exam(org, {"closes_at": close.isoformat(), "review": "after_close"})
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        attempt_id = _start(client, headers, exam.id).get_json()["attempt_id"]
        submitted = client.post(f"/api/v1/attempts/{attempt_id}/submit", json={},
                                headers=headers).get_json()
        early = client.get(f"/api/v1/attempts/{attempt_id}", headers=headers).get_json()
    assert "result" not in submitted and "result" not in early and "correctness" not in early
    with time_machine.travel(close, tick=False):
        late = client.get(f"/api/v1/attempts/{attempt_id}", headers=headers).get_json()
    assert late["result"]["grade"] == "0.00" and set(late["correctness"]) == {"1", "2", "3"}
    assert app.extensions["celery"].conf.beat_schedule["exams-close-overdue"] == {
        "task": "exams.close_overdue", "schedule": 30.0}


def test_classes_lists_only_the_callers_classes(client, org):
    listed = client.get("/api/v1/classes", headers=bearer(client, "teacherx")).get_json()
    assert [(c["id"], c["name"]) for c in listed["classes"]] == [(org.class_x.id, "10A1")]
