"""The autosave body is checked by hand on the common path (lms/api/exams.py
``_plain_answer``); everything else still goes through ``AnswerSchema`` with its 400s."""

import time_machine

from lms.api.exams import AnswerSchema, _plain_answer
from tests.lms.exams_setup import T0, bearer, published_exam

BODIES = [
    {"response": {"choice": "x"}, "seq": 1},
    {"response": None, "seq": 0},
    {"response": [1, 2], "seq": 2**31 - 1},
    {"response": "text", "seq": 2**31},
    {"response": None, "seq": -1},
    {"response": None, "seq": "3"},
    {"response": None, "seq": 3.0},
    {"response": None, "seq": True},
    {"response": None, "seq": None},
    {"response": None},
    {"seq": 1},
    {"seq": 1, "respons": None},
    {"response": None, "seq": 1, "state": "finished"},
    [],
    "x",
    None,
]


def test_the_hand_check_accepts_only_what_the_schema_loads_unchanged():
    accepted = [body for body in BODIES if _plain_answer(body)]
    assert len(accepted) == 3
    for body in accepted:
        assert AnswerSchema().load(body) == body


def test_other_bodies_get_the_schemas_errors(client, org):
    exam = published_exam(org, {"time_limit_minutes": 15})
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        started = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=headers)
        path = f"/api/v1/attempts/{started.get_json()['attempt_id']}/answers/1"
        for body, field in (({"response": None, "seq": -1}, "seq"),
                            ({"response": None, "seq": 2**31}, "seq"),
                            ({"response": None, "seq": True}, "seq"),
                            ({"response": None}, "seq"),
                            ({"seq": 1}, "response"),
                            ({"response": None, "seq": 1, "state": "finished"}, "state")):
            reply = client.put(path, json=body, headers=headers)
            assert reply.status_code == 400, body
            error = reply.get_json()["error"]
            assert error["code"] == "validation_error" and field in error["details"]["fields"][
                "json"], (body, error)
        for raw in ("[]", "not json"):
            reply = client.put(path, data=raw, content_type="application/json", headers=headers)
            assert reply.status_code == 400, raw
        assert client.put(path, json={"response": None, "seq": "3"},
                          headers=headers).get_json()["saved_seq"] == 3    # as the schema loads
        assert client.put(path, json={"response": None, "seq": 4},
                          headers=headers).get_json()["saved_seq"] == 4
