"""Writing and editing questions in the browser: save, problems, preview, media, versions."""

import html
import io
import json

from sqlalchemy import func, select

from lms.curriculum.models import Subject, Topic, TopicKind
from lms.kernel import db as _db
from lms.questions import authoring
from question_bank.models import Question, QuestionVersion
from tests.conftest import csrf_token_from, login
from tests.question_bank.payloads import RAW

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _form(client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    return csrf_token_from(page.get_data(as_text=True))


def _save(client, url: str, payload, form_url: str | None = None, **fields):
    token = _form(client, form_url or url)
    data = {"csrf_token": token, "subject": "TOAN", "grade": "10", "tags": "", "note": "",
            "payload": payload if isinstance(payload, str) else json.dumps(payload)}
    data.update(fields)
    return client.post(url, data=data)


def _count(model=Question) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def test_blank_of_every_type_opens_in_the_editor(client, org):
    login(client, "teacherx")
    for name in authoring.editor_choices_types():
        page = client.get(f"/questions/new?type={name}")
        assert page.status_code == 200, name
        assert json.loads(_payload_field(page.get_data(as_text=True)))["type"] == name
    assert client.get("/questions/new?type=nope").status_code == 404


def _payload_field(page: str) -> str:
    marker = 'id="payload-field" name="payload">'
    start = page.index(marker) + len(marker)
    return html.unescape(page[start:page.index("</textarea>", start)])


def test_create_saves_a_draft_and_sanitises(client, org):
    login(client, "teacherx")
    payload = dict(RAW["single_choice"])
    payload["text_html"] = "Tính \\(x^2\\) <script>alert(1)</script><img src=x onerror=alert(2)>"
    response = _save(client, "/questions/new", payload, tags="đại số, Lớp 10")
    assert response.status_code == 302
    question = _db.session.scalar(select(Question).order_by(Question.id.desc()))
    stored = question.current_version.payload
    assert "<script>" not in stored["text_html"] and "onerror" not in stored["text_html"]
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in detail and 'data-testid="edit-question"' in detail


def test_invalid_payload_keeps_the_teachers_work_and_lists_problems(client, org):
    login(client, "teacherx")
    payload = dict(RAW["single_choice"])
    payload["options"] = [dict(o, correct=True) for o in payload["options"]]  # two correct
    payload["text_html"] = "Câu hỏi còn đang viết dở"
    response = _save(client, "/questions/new", payload)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and _count() == 0
    assert 'data-testid="editor-error"' in html and "options" in html
    kept = json.loads(_payload_field(html))  # nothing typed is lost
    assert kept["text_html"] == "Câu hỏi còn đang viết dở" and len(kept["options"]) == 4
    broken = _save(client, "/questions/new", "{not json")
    assert broken.status_code == 400 and "JSON" in broken.get_data(as_text=True)
    toan = _db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    wrong_topic = Topic(subject_id=toan.id, grade=11, kind=TopicKind.TOPIC, name="Đạo hàm")
    _db.session.add(wrong_topic)
    _db.session.commit()
    response = _save(client, "/questions/new", RAW["true_false"], topic_id=str(wrong_topic.id))
    assert response.status_code == 400 and _count() == 0
    assert "không thuộc môn" in response.get_data(as_text=True)


def test_edit_adds_a_version_and_compare_shows_the_change(client, org):
    login(client, "teacherx")
    _save(client, "/questions/new", RAW["true_false_4"])
    question = _db.session.scalar(select(Question))
    payload = dict(question.current_version.payload)
    payload["statements"] = [dict(s) for s in payload["statements"]]
    payload["statements"][1]["answer"] = not payload["statements"][1]["answer"]
    response = _save(client, f"/questions/{question.id}/edit", payload, note="sửa đáp án b")
    assert response.status_code == 302
    assert _count(QuestionVersion) == 2
    same = _save(client, f"/questions/{question.id}/edit", payload, tags="hình học")
    assert same.status_code == 302 and _count(QuestionVersion) == 2  # metadata only
    page = client.get(f"/questions/{question.id}/versions").get_data(as_text=True)
    assert "statements[2].answer" in page and "sửa đáp án b" in page
    assert client.get(f"/questions/{question.id}/versions?a=1&b=9").status_code == 404


def test_other_teachers_cannot_edit_or_compare(client, org):
    login(client, "teacherx")
    _save(client, "/questions/new", RAW["true_false"])
    question = _db.session.scalar(select(Question))
    client.post("/logout", data={"csrf_token": _form(client, "/questions/")})
    login(client, "teachery")
    assert client.get(f"/questions/{question.id}/edit").status_code in (403, 404)
    response = _save(client, f"/questions/{question.id}/edit", RAW["true_false"],
                     form_url="/questions/new")
    assert response.status_code in (403, 404) and _count(QuestionVersion) == 1
    assert client.get(f"/questions/{question.id}/versions").status_code in (403, 404)


def test_preview_renders_the_student_view_without_keys(client, org):
    login(client, "teacherx")
    token = _form(client, "/questions/new")
    payload = dict(RAW["single_choice"], feedback_html="Bí mật phản hồi")
    response = client.post("/questions/preview", json={"payload": payload},
                           headers={"X-CSRFToken": token})
    body = response.get_json()
    assert body["ok"] is True
    assert "Bí mật phản hồi" not in body["html"] and "Đáp án đúng" not in body["html"]
    bad = client.post("/questions/preview", json={"payload": {"type": "single_choice"}},
                      headers={"X-CSRFToken": token}).get_json()
    assert bad["ok"] is False and bad["problems"]
    assert client.post("/questions/preview", json={"payload": payload}).status_code == 400


def test_media_upload_checks_the_bytes_not_the_name(client, org):
    login(client, "teacherx")
    token = _form(client, "/questions/new")
    ok = client.post("/questions/media", data={"file": (io.BytesIO(PNG), "hinh.svg")},
                     headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert ok.status_code == 201
    body = ok.get_json()
    assert body["kind"] == "image" and body["url"].endswith("/hinh.png")
    fetched = client.get(body["url"])
    assert fetched.status_code == 200 and fetched.data == PNG
    disguised = client.post("/questions/media",
                            data={"file": (io.BytesIO(b"<svg onload=alert(1)>"), "anh.png")},
                            headers={"X-CSRFToken": token, "Accept": "application/json"},
                            content_type="multipart/form-data")
    assert disguised.status_code == 400
    assert "anh.png" in disguised.get_json()["error"]["message"]
    login(client, "hsa")
    student = client.post("/questions/media", data={"file": (io.BytesIO(PNG), "a.png")},
                          headers={"X-CSRFToken": token}, content_type="multipart/form-data")
    assert student.status_code in (400, 403)


def test_payload_changes_lists_fields():
    older = {"text_html": "a", "options": [{"id": "a", "correct": True}]}
    newer = {"text_html": "b", "options": [{"id": "a", "correct": False}, {"id": "b"}]}
    changes = {c["field"]: (c["before"], c["after"]) for c in
               authoring.payload_changes(older, newer)}
    assert changes == {"text_html": ("a", "b"), "options[1].correct": ("true", "false"),
                       "options[2].id": (None, "b")}


def test_bank_bulk_actions_apply_to_own_questions_only(client, org):
    from lms.questions import services
    from question_bank.models import QuestionStatus

    toan = services.subject_by_code("TOAN")
    mine = [services.create_question(org.teacher_x, services.QuestionMeta(toan.id, 10), {
        "schema": 1, "type": "true_false", "answer": True, "text_html": f"<p>Câu {n}</p>"})
        for n in (1, 2)]
    theirs = services.create_question(org.teacher_y, services.QuestionMeta(toan.id, 10), {
        "schema": 1, "type": "true_false", "answer": False, "text_html": "<p>Của Y</p>"})
    _db.session.commit()
    ids = [str(q.id) for q in mine] + [str(theirs.id)]
    login(client, "teacherx")
    token = _form(client, "/questions/")

    def act(action, value=""):
        return client.post("/questions/bulk", data={"csrf_token": token, "action": action,
                                                    "value": value, "question_id": ids},
                           follow_redirects=True).get_data(as_text=True)

    page = act("tag", "Ôn thi  HK1")
    assert "Đã gắn nhãn cho 2 câu hỏi." in page and f"#{theirs.id}" in page
    assert services.tags_of([mine[0].id])[mine[0].id] == ["ôn thi hk1"]
    assert services.tags_of([theirs.id])[theirs.id] == []
    assert "Đã lưu trữ 2 câu hỏi." in act("archive")
    assert "cần nhập nội dung" in act("tag", "  ")
    _db.session.expire_all()
    assert [_db.session.get(Question, q.id).status for q in (*mine, theirs)] == [
        QuestionStatus.ARCHIVED, QuestionStatus.ARCHIVED, QuestionStatus.DRAFT]
    assert "Đã khôi phục 2 câu hỏi." in act("restore")
    assert client.post("/questions/bulk", data={"csrf_token": token, "action": "drop",
                                                "question_id": ids}).status_code in (302, 400)
