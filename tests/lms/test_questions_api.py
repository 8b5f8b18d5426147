"""The question bank through /api/v1/questions: contract, visibility, import, review."""

import io

import pytest
from sqlalchemy import func, select

from lms.kernel import db as _db
from lms.questions import search
from question_bank.models import Question, QuestionStatus
from tests.conftest import api_token
from tests.question_bank.fixtures import fixture_bytes

PAYLOAD = {"schema": 1, "type": "single_choice", "text_html": "<p>Đường tròn có mấy tâm?</p>",
           "options": [{"id": "a", "text_html": "Một", "correct": True},
                       {"id": "b", "text_html": "Hai", "correct": False}],
           "feedback_html": "<p>Bí mật</p>"}


def _auth(client, username):
    return {"Authorization": f"Bearer {api_token(client, username)}"}


@pytest.fixture
def heads(client, org):
    search.rebuild()
    return {name: _auth(client, name) for name in ("teacherx", "teachery", "reviewer1", "hsa")}


def _create(client, headers, payload=PAYLOAD):
    return client.post("/api/v1/questions", headers=headers,
                       json={"subject": "TOAN", "grade": 10, "tags": ["hình"],
                             "payload": payload})


def test_create_search_read_review_contract(client, heads):
    created = _create(client, heads["teacherx"])
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    qid = body["id"]
    assert body["status"] == "draft" and body["view"] == "teacher" and body["duplicates"] == []
    assert _create(client, heads["teacherx"]).get_json()["duplicates"][0]["id"] == qid

    listing = client.get("/api/v1/questions?q=duong tron&subject=TOAN&grade=10",
                         headers=heads["teacherx"]).get_json()
    assert listing["total"] == 2
    item = listing["items"][0]
    assert {"id", "type", "text_html", "subject", "grade", "level", "status"} <= set(item)
    assert listing["facets"]["type"] == {"single_choice": 2}
    # teacher Y sees neither draft, in search or by id
    assert client.get("/api/v1/questions?q=duong", headers=heads["teachery"]) \
        .get_json()["total"] == 0
    assert client.get(f"/api/v1/questions/{qid}", headers=heads["teachery"]).status_code == 403

    assert client.post(f"/api/v1/questions/{qid}/submit",
                       headers=heads["teacherx"]).get_json()["status"] == "submitted"
    returned = client.post(f"/api/v1/questions/{qid}/return", headers=heads["reviewer1"],
                           json={"comment": "Thêm phương án"})
    assert returned.status_code == 200 and returned.get_json()["status"] == "returned"
    client.post(f"/api/v1/questions/{qid}/submit", headers=heads["teacherx"])
    approved = client.post(f"/api/v1/questions/{qid}/approve", headers=heads["reviewer1"])
    assert approved.get_json()["status"] == "approved"

    other = client.get(f"/api/v1/questions/{qid}", headers=heads["teachery"]).get_json()
    assert other["view"] == "student"
    assert "Bí mật" not in str(other["payload"]) and "correct" not in str(other["payload"])
    assert client.get("/api/v1/questions?q=duong", headers=heads["teachery"]) \
        .get_json()["total"] == 1
    assert client.get("/api/v1/questions", headers=heads["hsa"]).status_code == 403


def test_put_adds_a_version_and_invalid_payloads_are_400(client, heads):
    qid = _create(client, heads["teacherx"]).get_json()["id"]
    changed = {**PAYLOAD, "text_html": "<p>Hình vuông có mấy trục đối xứng?</p>"}
    response = client.put(f"/api/v1/questions/{qid}", headers=heads["teacherx"],
                          json={"payload": changed, "note": "sửa đề"})
    assert response.status_code == 200
    assert [v["number"] for v in response.get_json()["versions"]] == [1, 2]
    bad = client.put(f"/api/v1/questions/{qid}", headers=heads["teacherx"],
                     json={"payload": {**PAYLOAD, "options": []}})
    assert bad.status_code == 400
    error = bad.get_json()["error"]
    assert error["code"] == "invalid_payload" and error["details"]["problems"]
    assert client.put(f"/api/v1/questions/{qid}", headers=heads["teachery"],
                      json={"payload": changed}).status_code == 403
    assert client.get("/api/v1/questions/999999", headers=heads["teacherx"]).status_code == 404


def _upload(client, headers, data, name, **form):
    return client.post("/api/v1/questions/import", headers=headers,
                       data={"file": (io.BytesIO(data), name), "subject": "TOAN",
                             "grade": "10", **form},
                       content_type="multipart/form-data")


def test_import_fixture_through_the_api_twice(client, heads):
    data = fixture_bytes("gift/questions.gift.txt")
    first = _upload(client, heads["teacherx"], data, "questions.gift.txt")
    assert first.status_code == 200, first.get_json()
    report = first.get_json()
    assert report["saved"] is True and report["format"] == "gift" and report["questions"] == 9
    again = _upload(client, heads["teacherx"], data, "questions.gift.txt").get_json()
    assert again["duplicates"] == 9
    assert _db.session.scalar(select(func.count()).select_from(Question)) == 9 - \
        report["duplicates"]


def test_import_with_errors_saves_nothing_and_dry_run_too(client, heads):
    bad = b"::A:: Hai {~%50%A ~%-50%B ~%0%C}\n\n::B:: Ba {T}\n"
    report = _upload(client, heads["teacherx"], bad, "bad.gift").get_json()
    assert report["saved"] is False and report["errors"]
    dry = _upload(client, heads["teacherx"], b"::B:: Ba {T}\n", "ok.gift",
                  dry_run="true").get_json()
    assert dry["saved"] is False and dry["questions"] == 1
    only = _upload(client, heads["teacherx"], bad, "bad.gift", only_valid="true").get_json()
    assert only["saved"] is True
    assert _db.session.scalar(select(Question.status)) == QuestionStatus.DRAFT
    assert _db.session.scalar(select(func.count()).select_from(Question)) == 1


@pytest.mark.parametrize("query", [
    "q=' OR 1=1 --", "sort=id; DROP TABLE question", "sort=-updated%27", "grade=1 OR 1=1",
    "subject=TOAN'--", "type=%00", "page=abc", "status=\"", "q=%29%28%2A",
])
def test_sql_metacharacters_never_give_500(client, heads, query):
    response = client.get(f"/api/v1/questions?{query}", headers=heads["teacherx"])
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    if response.status_code == 400:
        assert "error" in response.get_json()


def test_openapi_documents_the_question_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert {"/api/v1/questions", "/api/v1/questions/{question_id}",
            "/api/v1/questions/import", "/api/v1/questions/{question_id}/approve"} <= set(paths)
    body = paths["/api/v1/questions/import"]["post"]["requestBody"]["content"]
    ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"file", "format", "dry_run", "only_valid"} <= \
        set(spec["components"]["schemas"][ref]["properties"])
