"""Concurrency through the real app (security.md 12, 30, 31): threads released by a Barrier.

Meaningful on PostgreSQL (row locks, READ COMMITTED); on SQLite the writes serialise on the
database lock and the same outcomes must hold.
"""

import threading

from sqlalchemy import func, select

from lms.exams.models import Attempt, AttemptAnswer, AttemptState, Exam
from lms.kernel import db
from tests.lms.exams_setup import bearer, correct_response, published_exam

UNTIMED = {"review": "immediately", "attempts": 0}


def _together(app, count: int, call) -> list:
    """Run ``call(client, index)`` in ``count`` threads released at once; their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        client = app.test_client()
        barrier.wait()
        try:
            results[index] = call(client, index)
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    return results


def test_starting_twice_at_once_gives_one_open_attempt(app, client, org):
    exam_id = published_exam(org, UNTIMED).id
    headers = bearer(client, "hsa")
    replies = _together(app, 8, lambda c, _i: c.post(f"/api/v1/exams/{exam_id}/attempts",
                                                    json={}, headers=headers))
    assert [r.status_code for r in replies] == [200] * 8, [r.get_json() for r in replies]
    assert len({r.get_json()["attempt_id"] for r in replies}) == 1
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_thirty_simultaneous_submits_finish_once_with_one_grade(app, client, org):
    exam = published_exam(org, UNTIMED)
    payloads = {e["slot"]: e["payload"] for e in db.session.get(Exam, exam.id).snapshot}
    headers = bearer(client, "hsa")
    data = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=headers).get_json()
    question = data["questions"][0]
    client.put(f"/api/v1/attempts/{data['attempt_id']}/answers/{question['slot']}",
               json={"response": correct_response(question, payloads[question["slot"]]),
                     "seq": 1}, headers=headers)
    replies = _together(app, 30, lambda c, _i: c.post(
        f"/api/v1/attempts/{data['attempt_id']}/submit", json={}, headers=headers))
    codes = sorted(r.status_code for r in replies)
    assert codes == [200] + [409] * 29, [r.get_json() for r in replies if r.status_code >= 500]
    grades = {r.get_json()["result"]["grade"] for r in replies if r.status_code == 200}
    attempt = db.session.get(Attempt, data["attempt_id"])
    assert attempt.state == AttemptState.FINISHED and grades == {str(attempt.grade)}
    assert attempt.score == 1


def test_autosaves_racing_submit_are_either_graded_or_refused(app, client, org):
    """Two tabs saving different slots while a third submits: every 200 save is in the
    graded answers; every refused save is a 409 and left nothing behind."""
    exam = published_exam(org, UNTIMED, points=None)
    payloads = {e["slot"]: e["payload"] for e in db.session.get(Exam, exam.id).snapshot}
    headers = bearer(client, "hsa")
    data = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=headers).get_json()
    attempt_id, shown = data["attempt_id"], data["questions"]

    def act(c, index):
        if index == 2:
            return ("submit", None, c.post(f"/api/v1/attempts/{attempt_id}/submit", json={},
                                           headers=headers))
        question = shown[index]
        right = correct_response(question, payloads[question["slot"]])
        return ("save", question["slot"], c.put(
            f"/api/v1/attempts/{attempt_id}/answers/{question['slot']}",
            json={"response": right, "seq": 1}, headers=headers))

    results = _together(app, 3, act)
    stored = {a.slot for a in db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))}
    accepted = {slot for kind, slot, r in results if kind == "save" and r.status_code == 200}
    refused = {slot for kind, slot, r in results if kind == "save" and r.status_code == 409}
    assert accepted | refused == {shown[0]["slot"], shown[1]["slot"]}
    assert stored == accepted
    submit = next(r for kind, _s, r in results if kind == "submit")
    assert submit.status_code == 200
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.score == len(accepted)       # each correct saved answer is worth 1 point
    for slot in refused:
        assert _refused_after(attempt, slot)


def _refused_after(attempt, slot) -> bool:
    return attempt.state == AttemptState.FINISHED and slot not in {a.slot for a in attempt.answers}
