"""SQL statements per attempt request, counted with a ``before_cursor_execute`` hook.

No timing here: a count is deterministic, so an N+1 regression (a query per question, per
answer or per option) fails the unit suite. Budgets (issue 4 §6 S3: ≤ 10 statements per page
view) include the one statement that resolves the Bearer token.
"""

import pytest
from sqlalchemy import event

from tests.lms.exams_setup import bearer, published_exam

#: Every objective type, so a per-type loader added later is counted too.
MIXED = ("single_choice", "multiple_response", "true_false", "true_false_4", "short_text",
         "short_numeric", "matching", "ordering", "cloze")
UNTIMED = {"review": "immediately", "attempts": 0, "time_limit_minutes": 45}


class Statements:
    """The SQL statements run through the engine while the ``with`` block runs."""

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _record(self, _conn, _cursor, statement, *_args):
        self.seen.append(statement)

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)

    def __len__(self):
        return len(self.seen)

    def __str__(self):
        return "\n".join(s.split("\n", 1)[0][:120] for s in self.seen)


def response_for(question: dict) -> dict:
    """Some valid response to a shown question, in the attempt's ids."""
    kind = question["type"]
    if kind == "single_choice":
        return {"choice": question["options"][0]["id"]}
    if kind == "multiple_response":
        return {"choices": [o["id"] for o in question["options"][:2]]}
    if kind == "true_false":
        return {"value": True}
    if kind == "true_false_4":
        return {"statements": {s["id"]: True for s in question["statements"]}}
    if kind == "short_text":
        return {"text": "Hà Nội"}
    if kind == "short_numeric":
        return {"text": "27,5"}
    if kind == "matching":
        return {"pairs": {left["id"]: question["right"][0]["id"] for left in question["left"]}}
    if kind == "ordering":
        return {"order": [item["id"] for item in question["items"]]}
    if kind == "cloze":
        gaps = {}
        for gap in question["gaps"]:
            gaps[gap["id"]] = (gap["options"][0]["id"] if gap["kind"] == "dropdown"
                               else "3,14" if gap["kind"] == "numeric" else "Hà Nội")
        return {"gaps": gaps}
    raise AssertionError(kind)


@pytest.fixture
def started(client, org, db):
    """hsa's token, the exam id and the started attempt's payload; every answer saved once."""
    exam = published_exam(org, UNTIMED, types=MIXED)
    headers = bearer(client, "hsa")
    data = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=headers).get_json()
    for question in data["questions"]:
        reply = client.put(f"/api/v1/attempts/{data['attempt_id']}/answers/{question['slot']}",
                           json={"response": response_for(question), "seq": 1},
                           headers=headers)
        assert reply.status_code == 200, reply.get_json()
    db.session.expire_all()
    return headers, exam.id, data


def test_resume_is_at_most_six_statements(client, db, started):
    headers, exam_id, data = started
    with Statements(db.engine) as sql:
        reply = client.post(f"/api/v1/exams/{exam_id}/attempts", json={}, headers=headers)
    assert reply.status_code == 200
    assert reply.get_json()["attempt_id"] == data["attempt_id"]
    assert len(reply.get_json()["answers"]) == len(MIXED)
    print(f"resume: {len(sql)}\n{sql}")
    assert len(sql) <= 6, str(sql)


def test_page_view_is_at_most_ten_statements(client, db, started):
    headers, _exam_id, data = started
    with Statements(db.engine) as sql:
        reply = client.get(f"/api/v1/attempts/{data['attempt_id']}", headers=headers)
    assert reply.status_code == 200 and len(reply.get_json()["answers"]) == len(MIXED)
    print(f"page: {len(sql)}\n{sql}")
    assert len(sql) <= 10, str(sql)


def test_autosave_statements(client, db, started):
    headers, _exam_id, data = started
    question = data["questions"][-1]
    with Statements(db.engine) as sql:
        reply = client.put(f"/api/v1/attempts/{data['attempt_id']}/answers/{question['slot']}",
                           json={"response": response_for(question), "seq": 2}, headers=headers)
    assert reply.status_code == 200 and reply.get_json()["saved_seq"] == 2
    print(f"save: {len(sql)}\n{sql}")
    # token (user with the session), attempt joined with its exam, and ONE write: the upsert
    # that checks the attempt is open (services._save_if_open); no separate lock UPDATE
    writes = [s for s in sql.seen if not s.lstrip().startswith("SELECT")]
    assert len(writes) == 1 and "ON CONFLICT" in writes[0], str(sql)
    assert len(sql) <= 4, str(sql)


def test_first_start_statements(client, db, org):
    exam_id = published_exam(org, UNTIMED, types=MIXED).id
    headers = bearer(client, "hsb")
    with Statements(db.engine) as sql:
        reply = client.post(f"/api/v1/exams/{exam_id}/attempts", json={}, headers=headers)
    assert reply.status_code == 200 and len(reply.get_json()["questions"]) == len(MIXED)
    print(f"start: {len(sql)}\n{sql}")
    # token, exam, the assignment reaching the student (audience.assignment_for: one statement,
    # no memberships loaded), the open attempt with the attempts used (one statement),
    # savepoint + insert + release; no query for the saved answers of a new attempt
    assert len(sql) <= 7, str(sql)
    assert not any("membership.id, membership.user_id" in s for s in sql.seen), str(sql)
    assert not any("FROM attempt_answer" in s for s in sql.seen), str(sql)


def test_submit_statements_do_not_grow_with_the_answers(client, db, started):
    headers, _exam_id, data = started
    with Statements(db.engine) as sql:
        reply = client.post(f"/api/v1/attempts/{data['attempt_id']}/submit", json={},
                            headers=headers)
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["state"] == "finished"
    print(f"submit: {len(sql)}\n{sql}")
    assert len(sql) <= 8, str(sql)
