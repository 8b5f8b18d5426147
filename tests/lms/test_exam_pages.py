"""Student test pages, the integrity log and its endpoint (security.md 1, 4, 7, 8, 13)."""

import io
import json
import re
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select

from lms.core.storage import storage
from lms.curriculum.models import Subject
from lms.exams import services
from lms.exams.models import Attempt, AttemptEvent, AttemptState, Exam
from lms.kernel import db
from lms.questions import services as questions
from tests.conftest import csrf_token_from, login
from tests.lms.exams_setup import T0, bank_questions, bearer, published_exam
from tests.question_bank.payloads import RAW

ALL_TYPES = tuple(t for t in RAW if t != "description")
#: Words and texts of keys/feedback that must not reach a student before the policy allows.
CANARIES = ('"correct"', "fraction", "feedback", "solution", '"answer"', "Nhận xét",
            "Đúng rồi", "Sai rồi", "reference", "rubric", '"keys"', '"correctness"')
AFTER_CLOSE = {"time_limit_minutes": 30, "review": "after_close",
               "closes_at": (T0 + timedelta(days=1)).isoformat()}


def _exam_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="exam-data">(.*?)</script>', html,
                      re.S)
    assert match, "no exam data in the page"
    return json.loads(match.group(1))


def _start(client, exam_id: int):
    page = client.get(f"/exams/{exam_id}")
    assert page.status_code == 200, page.status_code
    return client.post(f"/exams/{exam_id}/start",
                       data={"csrf_token": csrf_token_from(page.get_data(as_text=True))})


def _attempt(exam_id: int, username_id: int) -> Attempt:
    return db.session.scalar(select(Attempt).where(Attempt.exam_id == exam_id,
                                                   Attempt.user_id == username_id))


def test_student_sees_only_exams_assigned_to_their_own_classes(client, org):
    mine = published_exam(org)
    other_bank = bank_questions(org.teacher_y)
    theirs = services.create_exam(org.teacher_y, "Đề lớp khác", [q.id for q in other_bank])
    services.publish(org.teacher_y, theirs)
    services.assign_to_class(org.teacher_y, theirs, org.class_y)
    draft = services.create_exam(org.teacher_x, "Đề nháp", [q.id for q in bank_questions(
        org.teacher_x)])
    db.session.commit()
    login(client, "hsa")
    page = client.get("/exams/").get_data(as_text=True)
    assert mine.title in page and f'data-exam-id="{mine.id}"' in page
    assert "Đề lớp khác" not in page and "Đề nháp" not in page
    assert client.get(f"/exams/{theirs.id}").status_code == 404
    assert client.get(f"/exams/{draft.id}").status_code == 404
    assert client.post(f"/exams/{theirs.id}/start", data={
        "csrf_token": csrf_token_from(page)}).status_code == 404
    # the dashboard and the navigation lead to the list
    home = client.get("/").get_data(as_text=True)
    assert 'href="/exams/"' in home and mine.title in home


def test_the_list_shows_open_tests_first_then_upcoming_then_closed(client, org):
    def exam(title, opens, closes):
        made = published_exam(org, {"opens_at": opens.isoformat(),
                                     "closes_at": closes.isoformat()})
        made.title = title
        return made

    day = timedelta(days=1)
    exam("Đề đã đóng", T0 - 3 * day, T0 - day)
    exam("Đề sắp mở", T0 + day, T0 + 2 * day)
    exam("Đề đang mở", T0 - day, T0 + day)
    exam("Đề đóng gần đây", T0 - 2 * day, T0 - day)
    db.session.commit()
    with time_machine.travel(T0, tick=False):
        login(client, "hsa")
        page = client.get("/exams/").get_data(as_text=True)
    shown = re.findall(r'<div class="fw-semibold">([^<]*)</div>', page)
    # newest first inside each group: the later-published closed test comes first
    assert shown == ["Đề đang mở", "Đề sắp mở", "Đề đóng gần đây", "Đề đã đóng"], shown


def test_take_page_renders_every_type_without_keys_or_feedback(client, org):
    """security.md 7: the take page (HTML, data attributes, embedded JSON) holds no key."""
    exam = published_exam(org, AFTER_CLOSE, types=ALL_TYPES)
    with time_machine.travel(T0, tick=False):
        login(client, "hsa")
        started = _start(client, exam.id)
        assert started.status_code == 302
        take = client.get(started.headers["Location"])
    html = take.get_data(as_text=True)
    assert take.status_code == 200
    data = _exam_data(html)
    assert sorted(q["type"] for q in data["questions"]) == sorted(ALL_TYPES)
    assert data["deadline"] == (T0 + timedelta(minutes=30)).isoformat() + "Z"
    body = html.split('id="exam-i18n"')[0]
    for word in CANARIES:
        assert word not in body, word
    assert "js/exam-take.js" in html and "<script>" not in html


def test_take_page_resumes_with_saved_answers_and_their_seq(client, org):
    exam = published_exam(org, AFTER_CLOSE)
    with time_machine.travel(T0, tick=False):
        login(client, "hsa")
        location = _start(client, exam.id).headers["Location"]
        data = _exam_data(client.get(location).get_data(as_text=True))
        tf = next(q for q in data["questions"] if q["type"] == "true_false")
        csrf = csrf_token_from(client.get(location).get_data(as_text=True))
        saved = client.put(f"/api/v1/attempts/{data['attempt_id']}/answers/{tf['slot']}",
                           json={"response": {"value": True}, "seq": 41},
                           headers={"X-CSRFToken": csrf})
        assert saved.status_code == 200, saved.get_json()
        again = _exam_data(client.get(location).get_data(as_text=True))
    assert again["answers"] == {str(tf["slot"]): {"value": True}}
    assert again["saved_seq"] == {str(tf["slot"]): 41}
    # starting again from the start page resumes the same attempt
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        assert _start(client, exam.id).headers["Location"] == location


def test_result_page_shows_only_what_the_review_policy_allows(client, org):
    """security.md 8: after submit, before close: no score, correctness, key or feedback."""
    exam = published_exam(org, AFTER_CLOSE)
    with time_machine.travel(T0, tick=False):
        login(client, "hsa")
        location = _start(client, exam.id).headers["Location"]
        attempt = _attempt(exam.id, org.student_a.id)
        services.submit(org.student_a, attempt.id)
        db.session.commit()
        # the take page of a finished attempt goes to the result page
        assert client.get(location).headers["Location"].endswith(
            f"/exams/attempts/{attempt.id}/result")
        html = client.get(f"/exams/attempts/{attempt.id}/result").get_data(as_text=True)
    assert 'data-testid="no-score"' in html and 'data-testid="grade"' not in html
    data = _exam_data(html)  # responses are shown "during": the student's own answers
    assert "result" not in data and "correctness" not in data
    for word in CANARIES:
        assert word not in html.split('id="exam-i18n"')[0], word
    # once the exam has closed, the same page shows the score and correctness
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        login(client, "hsa")
        html = client.get(f"/exams/attempts/{attempt.id}/result").get_data(as_text=True)
    assert 'data-testid="grade"' in html
    data = _exam_data(html)
    assert set(data["correctness"]) == {str(e["slot"]) for e in exam.snapshot}
    assert "keys" in data and "feedback" in data


def test_result_page_immediately_shows_grade_and_keys(client, org):
    exam = published_exam(org, {"time_limit_minutes": 10, "review": "immediately"})
    login(client, "hsa")
    _start(client, exam.id)
    attempt = _attempt(exam.id, org.student_a.id)
    services.submit(org.student_a, attempt.id)
    db.session.commit()
    html = client.get(f"/exams/attempts/{attempt.id}/result").get_data(as_text=True)
    data = _exam_data(html)
    assert 'data-testid="grade"' in html and data["result"]["grade"] == "0.00"
    assert "Phương án B" in data["keys"][str(exam.snapshot[0]["slot"])]


def _image_exam(org) -> Exam:
    """A published exam of class 10A1 whose one question shows ``questions/t/a.png``; another
    stored image, ``questions/t/secret.png``, belongs to no exam."""
    storage().put_stream("questions/t/a.png", io.BytesIO(b"\x89PNGfake"),
                         content_type="image/png")
    storage().put_stream("questions/t/secret.png", io.BytesIO(b"\x89PNGx"),
                         content_type="image/png")
    payload = dict(RAW["stimulus"], media=[{"kind": "image", "key": "questions/t/a.png"}])
    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    question = questions.create_question(org.teacher_x, questions.QuestionMeta(
        subject_id=toan.id, grade=10), payload)
    exam = services.create_exam(org.teacher_x, "Ảnh", [question.id])
    services.publish(org.teacher_x, exam)
    services.assign_to_class(org.teacher_x, exam, org.class_x)
    db.session.commit()
    return exam


def test_another_students_attempt_pages_are_404(client, org):
    """security.md 1, through HTML: take, result and media of someone else's attempt. The
    same URLs answer their owner, and the image is one the exam really shows."""
    exam = _image_exam(org)
    login(client, "hsa")
    _start(client, exam.id)
    attempt = _attempt(exam.id, org.student_a.id)
    assert client.get(f"/exams/attempts/{attempt.id}").status_code == 200
    services.submit(org.student_a, attempt.id)
    db.session.commit()
    urls = (f"/exams/attempts/{attempt.id}/result",
            f"/exams/attempts/{attempt.id}/media/questions/t/a.png")
    for url in urls:
        assert client.get(url).status_code == 200, url
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/").get_data(
        as_text=True))})
    login(client, "hsb")
    for url in (f"/exams/attempts/{attempt.id}", *urls):
        assert client.get(url).status_code == 404, url


def test_media_of_the_attempt_only(client, org):
    exam = _image_exam(org)
    login(client, "hsa")
    _start(client, exam.id)
    attempt = _attempt(exam.id, org.student_a.id)
    image = client.get(f"/exams/attempts/{attempt.id}/media/questions/t/a.png")
    assert image.status_code == 200 and image.data == b"\x89PNGfake"
    for key in ("questions/t/secret.png", "questions/t/../t/a.png"):
        assert client.get(f"/exams/attempts/{attempt.id}/media/{key}").status_code == 404


# ---------------------------------------------------------------- integrity events


def _events(client, headers, attempt_id, events):
    return client.post(f"/api/v1/attempts/{attempt_id}/events", json={"events": events},
                       headers=headers)


def _open_attempt(client, org, settings=None):
    exam = published_exam(org, settings or {"time_limit_minutes": 30})
    headers = bearer(client, "hsa")
    started = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=headers)
    assert started.status_code == 200, started.get_json()
    return exam, headers, started.get_json()["attempt_id"]


def test_events_are_recorded_for_the_own_open_attempt(client, org):
    exam, headers, attempt_id = _open_attempt(client, org)
    now = datetime.utcnow()
    reply = _events(client, headers, attempt_id, [
        {"kind": "focus_lost", "at": now.isoformat() + "Z"},
        {"kind": "focus_back", "at": now.isoformat() + "Z", "detail": {"seconds": 12}},
        {"kind": "reconnect", "at": "2001-01-01T00:00:00Z", "detail": {"retries": 3}}])
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json() == {"stored": 3, "dropped": 0}
    stored = db.session.scalars(select(AttemptEvent).where(
        AttemptEvent.attempt_id == attempt_id).order_by(AttemptEvent.id)).all()
    assert [e.kind.value for e in stored] == ["focus_lost", "focus_back", "reconnect"]
    assert stored[1].detail == {"seconds": 12}
    attempt = db.session.get(Attempt, attempt_id)
    assert stored[2].at >= attempt.started_at - timedelta(minutes=2)  # a forged time is clamped
    # the teacher reads them per student; another teacher and the student cannot
    login(client, "teacherx")
    page = client.get(f"/exams/{exam.id}/integrity")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Nguyễn Văn Á" in html and "Rời khỏi trang" in html
    assert "seconds=12" in html
    client.post("/logout", data={"csrf_token": csrf_token_from(html)})
    login(client, "teachery")
    assert client.get(f"/exams/{exam.id}/integrity").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token_from(
        client.get("/").get_data(as_text=True))})
    login(client, "hsa")
    assert client.get(f"/exams/{exam.id}/integrity").status_code == 404


def test_events_bad_input_is_400_and_stores_nothing(client, org):
    _exam, headers, attempt_id = _open_attempt(client, org)
    at = datetime.utcnow().isoformat() + "Z"
    bad = [
        [],
        [{"kind": "cheated", "at": at}],
        [{"kind": "offline"}],
        [{"kind": "offline", "at": "yesterday"}],
        [{"kind": "offline", "at": at, "user_id": 2}],
        [{"kind": "offline", "at": at, "detail": {"nested": {"a": 1}}}],
        [{"kind": "offline", "at": at, "detail": {"text": "x" * 400}}],
        [{"kind": "offline", "at": at, "detail": "text"}],
        [{"kind": "offline", "at": at}] * 51,
    ]
    for events in bad:
        reply = _events(client, headers, attempt_id, events)
        assert reply.status_code == 400, (events[:1], reply.get_json())
    reply = client.post(f"/api/v1/attempts/{attempt_id}/events",
                        json={"events": [{"kind": "offline", "at": at}], "state": "finished"},
                        headers=headers)
    assert reply.status_code == 400
    assert db.session.scalars(select(AttemptEvent)).all() == []


def test_events_for_a_foreign_attempt_404_and_a_finished_one_409(client, org):
    _exam, headers, attempt_id = _open_attempt(client, org)
    event = [{"kind": "offline", "at": datetime.utcnow().isoformat() + "Z"}]
    assert _events(client, bearer(client, "hsb"), attempt_id, event).status_code == 404
    assert _events(client, headers, 999_999, event).status_code == 404
    assert client.post(f"/api/v1/attempts/{attempt_id}/submit", json={},
                       headers=headers).status_code == 200
    reply = _events(client, headers, attempt_id, event)
    assert reply.status_code == 409 and reply.get_json()["error"]["code"] == "attempt_finished"
    assert db.session.get(Attempt, attempt_id).state == AttemptState.FINISHED
    assert db.session.scalars(select(AttemptEvent)).all() == []


def test_events_after_the_deadline_are_refused(client, org):
    with time_machine.travel(T0, tick=False):
        _exam, headers, attempt_id = _open_attempt(client, org, {"time_limit_minutes": 5})
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        reply = _events(client, headers, attempt_id,
                        [{"kind": "online", "at": (T0 + timedelta(minutes=6)).isoformat()}])
    assert reply.status_code == 409 and reply.get_json()["error"]["code"] == "time_up"


def test_exam_model_is_untouched_by_events(client, org):
    """Integrity events never change a state or a score (product.md §3)."""
    exam, headers, attempt_id = _open_attempt(client, org)
    _events(client, headers, attempt_id,
            [{"kind": "focus_lost", "at": datetime.utcnow().isoformat() + "Z"}] * 10)
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.IN_PROGRESS and attempt.score is None
    assert db.session.get(Exam, exam.id).state.value == "published"
