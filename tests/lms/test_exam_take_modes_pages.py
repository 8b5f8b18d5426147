"""The student pages with the access code, sequential navigation, practice mode, variants
(mã đề) and pre-generated attempts (security.md 7, 12)."""

import json
import re

from sqlalchemy import select

from lms.auth.models import LoginFailure
from lms.exams import manage, navigation, practice, services
from lms.exams.models import Attempt, AttemptState
from lms.kernel import db
from tests.conftest import csrf_token_from, login
from tests.lms.exams_setup import correct_response, published_exam


def _exam_data(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="exam-data">(.*?)</script>', html,
                      re.S)
    assert match, "no exam data in the page"
    return json.loads(match.group(1))


def _strings(html: str) -> dict:
    match = re.search(r'<script type="application/json" id="exam-i18n">(.*?)</script>', html,
                      re.S)
    return json.loads(match.group(1))


def _attempts(exam_id: int, user_id: int) -> list[Attempt]:
    db.session.expire_all()
    return list(db.session.scalars(select(Attempt).where(
        Attempt.exam_id == exam_id, Attempt.user_id == user_id).order_by(Attempt.number)))


def _post_start(client, exam_id: int, code: str | None = None):
    page = client.get(f"/exams/{exam_id}").get_data(as_text=True)
    form = {"csrf_token": csrf_token_from(page)}
    if code is not None:
        form["access_code"] = code
    return client.post(f"/exams/{exam_id}/start", data=form)


# ---------------------------------------------------------------- access code


def test_start_page_asks_for_the_access_code_and_a_wrong_one_is_refused(client, org):
    exam = published_exam(org, {"access_code": "Lop10A1"})
    login(client, "hsa")
    page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert 'name="access_code"' in page and "Mã truy cập" in page
    wrong = _post_start(client, exam.id, "sai-ma")
    assert wrong.status_code == 403
    body = wrong.get_data(as_text=True)
    assert "Mã truy cập không đúng." in body and 'data-testid="access-code-error"' in body
    assert _attempts(exam.id, org.student_a.id) == []
    # the wrong guess was counted (committed) even though the start was refused
    assert db.session.scalar(select(LoginFailure.count).where(
        LoginFailure.key == f"exam_code:{exam.id}:{org.student_a.id}")) == 1
    missing = _post_start(client, exam.id)
    assert missing.status_code == 403 and "cần mã truy cập" in missing.get_data(as_text=True)
    # the right code (typed with another case and spaces, as phones do) starts
    right = _post_start(client, exam.id, "  lop10a1 ")
    assert right.status_code == 302
    [attempt] = _attempts(exam.id, org.student_a.id)
    assert right.headers["Location"].endswith(f"/exams/attempts/{attempt.id}")
    # resuming needs no code: the start page offers "Làm tiếp" and no code field
    page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert 'data-testid="resume"' in page and 'name="access_code"' not in page
    again = _post_start(client, exam.id)
    assert again.status_code == 302 and len(_attempts(exam.id, org.student_a.id)) == 1


def test_no_code_field_without_an_access_code(client, org):
    exam = published_exam(org)
    login(client, "hsa")
    page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert 'name="access_code"' not in page and "Mã truy cập" not in page


def test_too_many_wrong_codes_says_when_to_try_again(app, client, org):
    exam = published_exam(org, {"access_code": "Lop10A1"})
    login(client, "hsa")
    limit = app.config["LOGIN_MAX_FAILURES_ACCOUNT"]
    for _ in range(limit):
        assert _post_start(client, exam.id, "sai").status_code == 403
    throttled = _post_start(client, exam.id, "Lop10A1")     # even the right code, now
    assert throttled.status_code == 429
    body = throttled.get_data(as_text=True)
    assert "Nhập sai mã truy cập quá nhiều lần" in body
    assert re.search(r"thử lại lúc \d\d/\d\d/\d{4} \d\d:\d\d \(khoảng 15 phút nữa\)", body), body
    assert _attempts(exam.id, org.student_a.id) == []


def test_a_student_not_assigned_never_learns_whether_there_is_a_code(client, org):
    """404 stays 404: no code field, no code message for a student of another class."""
    exam = published_exam(org, {"access_code": "Lop10A1"})
    login(client, "hsy")
    page = client.get(f"/exams/{exam.id}")
    assert page.status_code == 404 and "Mã truy cập" not in page.get_data(as_text=True)
    home = client.get("/exams/").get_data(as_text=True)
    for code in ("sai", "Lop10A1", None):
        form = {"csrf_token": csrf_token_from(home)}
        if code is not None:
            form["access_code"] = code
        refused = client.post(f"/exams/{exam.id}/start", data=form)
        assert refused.status_code == 404
        assert "mã truy cập" not in refused.get_data(as_text=True).lower()
    assert db.session.scalar(select(LoginFailure).where(
        LoginFailure.key.like(f"exam_code:{exam.id}:%"))) is None


# ---------------------------------------------------------------- sequential


def test_sequential_take_page_carries_the_position_and_the_note(client, org):
    exam = published_exam(org, {"navigation": "sequential"})
    login(client, "hsa")
    start_page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "Bài này làm lần lượt: không quay lại câu trước" in start_page
    take = client.get(_post_start(client, exam.id).headers["Location"])
    html = take.get_data(as_text=True)
    data = _exam_data(html)
    assert data["navigation"] == "sequential" and data["position"] == 0
    assert 'data-navigation="sequential"' in html
    assert "Bài này làm lần lượt: không quay lại câu trước" in html
    [attempt] = _attempts(exam.id, org.student_a.id)
    assert attempt.state == AttemptState.IN_PROGRESS
    assert _strings(html)["locked_sequential"]
    # the page reads the server's position after "next" (a reload resumes there)
    navigation.advance(org.student_a, attempt.id, attempt.order[0])
    db.session.commit()
    data = _exam_data(client.get(f"/exams/attempts/{attempt.id}").get_data(as_text=True))
    assert data["position"] == 1
    page = client.get(f"/exams/attempts/{attempt.id}").get_data(as_text=True)
    assert f'"next": "/api/v1/attempts/{attempt.id}/next"' in page.replace("&#34;", '"')


def test_free_navigation_has_no_sequential_note(client, org):
    exam = published_exam(org)
    login(client, "hsa")
    html = client.get(_post_start(client, exam.id).headers["Location"]).get_data(as_text=True)
    assert 'data-navigation="free"' in html and "làm lần lượt" not in html
    assert 'data-testid="practice-badge"' not in html


# ---------------------------------------------------------------- practice


def test_practice_take_page_says_practice_and_carries_checked_reviews(client, org):
    exam = published_exam(org, {"mode": "practice"})
    login(client, "hsa")
    start_page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert "Luyện tập" in start_page
    location = _post_start(client, exam.id).headers["Location"]
    html = client.get(location).get_data(as_text=True)
    data = _exam_data(html)
    assert data["mode"] == "practice" and data["checked"] == {}
    assert 'data-practice="true"' in html and 'data-testid="practice-badge"' in html
    assert "Kiểm tra" in _strings(html)["check"]
    # nothing of the key is in the page before a check (security.md 7)
    assert '"correct_answer"' not in html and '"fraction"' not in html
    [attempt] = _attempts(exam.id, org.student_a.id)
    first = data["questions"][0]
    payload = exam.snapshot[0]["payload"]
    services.save_answer(org.student_a, attempt.id, first["slot"],
                         correct_response(first, payload), 1)
    practice.check_slot(org.student_a, attempt.id, first["slot"])
    db.session.commit()
    data = _exam_data(client.get(location).get_data(as_text=True))
    assert set(data["checked"]) == {str(first["slot"])}
    review = data["checked"][str(first["slot"])]
    assert review["fraction"] == "1" and review["correct_answer"]
    # only the checked slot carries a review
    assert len(data["checked"]) == 1


def test_practice_result_shows_the_practice_score(client, org):
    exam = published_exam(org, {"mode": "practice", "review": "never"})
    login(client, "hsa")
    _post_start(client, exam.id)
    [attempt] = _attempts(exam.id, org.student_a.id)
    views = services.question_views(attempt)
    first = views[0]
    services.save_answer(org.student_a, attempt.id, first["slot"],
                         correct_response(first, exam.snapshot[0]["payload"]), 1)
    practice.check_slot(org.student_a, attempt.id, first["slot"])
    services.submit(org.student_a, attempt.id)
    db.session.commit()
    page = client.get(f"/exams/attempts/{attempt.id}/result").get_data(as_text=True)
    assert 'data-testid="practice-grade"' in page and "Điểm luyện tập: 3,33" in page
    assert "Đã kiểm tra 1/3 câu." in page and "Luyện tập" in page
    assert 'data-testid="no-score"' not in page


def test_a_test_result_has_no_practice_score(client, org):
    exam = published_exam(org, {"review": "immediately"})
    login(client, "hsa")
    _post_start(client, exam.id)
    [attempt] = _attempts(exam.id, org.student_a.id)
    services.submit(org.student_a, attempt.id)
    db.session.commit()
    page = client.get(f"/exams/attempts/{attempt.id}/result").get_data(as_text=True)
    assert 'data-testid="grade"' in page and "Điểm luyện tập" not in page


# ---------------------------------------------------------------- variants, pending


def test_variant_code_on_the_take_and_result_pages(client, org):
    exam = published_exam(org, {"generation": "variants", "variant_count": 2,
                                "code_digits": 3, "review": "immediately"})
    login(client, "hsa")
    html = client.get(_post_start(client, exam.id).headers["Location"]).get_data(as_text=True)
    [attempt] = _attempts(exam.id, org.student_a.id)
    assert re.fullmatch(r"[1-9]\d\d", attempt.variant_code)
    assert f"Mã đề: {attempt.variant_code}" in html
    assert _exam_data(html)["variant_code"] == attempt.variant_code
    services.submit(org.student_a, attempt.id)
    db.session.commit()
    result = client.get(f"/exams/attempts/{attempt.id}/result").get_data(as_text=True)
    assert f"Mã đề: {attempt.variant_code}" in result


def test_no_variant_code_on_a_fixed_paper(client, org):
    exam = published_exam(org)
    login(client, "hsa")
    html = client.get(_post_start(client, exam.id).headers["Location"]).get_data(as_text=True)
    assert "Mã đề" not in html


def test_a_pre_generated_attempt_starts_from_the_start_page(client, org):
    """One attempt allowed and already pre-generated: the start page still offers to start,
    the POST flips the pending attempt (no second one) and the take page opens it."""
    exam = published_exam(org, {"attempts": 1, "access_code": "Lop10A1"})
    report = manage.pregenerate(org.teacher_x, exam)
    db.session.commit()
    assert report["created"] == 2
    [pending] = _attempts(exam.id, org.student_a.id)
    assert pending.state == AttemptState.PENDING
    login(client, "hsa")
    assert client.get(f"/exams/attempts/{pending.id}").headers["Location"].endswith(
        f"/exams/{exam.id}")                       # a pending attempt is started first
    listing = client.get("/exams/").get_data(as_text=True)
    assert 'data-testid="start"' in listing and "Đã làm 0/1 lượt" in listing
    page = client.get(f"/exams/{exam.id}").get_data(as_text=True)
    assert 'data-testid="start-button"' in page and "Đã làm 0/1 lượt" in page
    assert _post_start(client, exam.id, "sai").status_code == 403
    started = _post_start(client, exam.id, "Lop10A1")
    assert started.headers["Location"].endswith(f"/exams/attempts/{pending.id}")
    [attempt] = _attempts(exam.id, org.student_a.id)
    assert attempt.id == pending.id and attempt.state == AttemptState.IN_PROGRESS
    take = client.get(started.headers["Location"])
    assert take.status_code == 200 and _exam_data(take.get_data(as_text=True))[
        "attempt_id"] == pending.id


def test_pre_generated_attempts_carry_their_variant_code_round_robin(client, org):
    """Pre-generation keeps each attempt's mã đề and goes round the variants (the batch is
    inserted at the end, so it counts the attempts it has planned)."""
    from lms.exams.models import ExamVariant

    exam = published_exam(org, {"generation": "variants", "variant_count": 2})
    manage.pregenerate(org.teacher_x, exam)
    db.session.commit()
    variants = {v.code: v for v in db.session.scalars(select(ExamVariant).where(
        ExamVariant.exam_id == exam.id))}
    pending = [*_attempts(exam.id, org.student_a.id), *_attempts(exam.id, org.student_b.id)]
    assert [a.state for a in pending] == [AttemptState.PENDING] * 2
    assert {a.variant_code for a in pending} == set(variants)
    for attempt in pending:
        assert attempt.order == list(variants[attempt.variant_code].order)
    login(client, "hsa")
    html = client.get(_post_start(client, exam.id).headers["Location"]).get_data(as_text=True)
    code = pending[0].variant_code
    assert f"Mã đề: {code}" in html and _exam_data(html)["variant_code"] == code


def test_the_api_says_when_a_throttled_student_may_try_again(app, client, org):
    from datetime import datetime, timedelta

    from lms.core.models import utcnow
    from tests.lms.exams_setup import bearer

    exam = published_exam(org, {"access_code": "Lop10A1"})
    headers = bearer(client, "hsa")
    for _ in range(app.config["LOGIN_MAX_FAILURES_ACCOUNT"]):
        client.post(f"/api/v1/exams/{exam.id}/attempts", json={"access_code": "sai"},
                    headers=headers)
    blocked = client.post(f"/api/v1/exams/{exam.id}/attempts",
                          json={"access_code": "Lop10A1"}, headers=headers)
    assert blocked.status_code == 429
    retry_at = datetime.fromisoformat(blocked.get_json()["error"]["details"]["retry_at"])
    window = timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"])
    assert utcnow() < retry_at <= utcnow() + window
