"""The take page on a phone with the access code, sequential navigation and practice checks.

The app runs in-process on the test database (``in_process_server``): exams are made with the
services, and the test reads what the server stored."""

import re

import pytest
from sqlalchemy import func, select

from lms.curriculum.models import Subject
from lms.exams import services
from lms.exams.models import Attempt, AttemptAnswer, AttemptState
from lms.kernel import db
from lms.questions import services as questions
from tests.e2e.browser_helpers import log_in_at
from tests.lms.exams_setup import bank_questions, published_exam

pytestmark = pytest.mark.e2e
TYPES = ("single_choice", "true_false", "multiple_response", "short_text")


def _attempt(exam_id: int) -> Attempt:
    db.session.expire_all()
    return db.session.scalar(select(Attempt).where(Attempt.exam_id == exam_id))


def _stored(attempt_id: int) -> dict[int, AttemptAnswer]:
    db.session.expire_all()
    return {a.slot: a for a in db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))}


def _current(page):
    return page.locator("section.exam-question:not([hidden])")


def _ready(page):
    page.wait_for_url(re.compile(r"/exams/attempts/\d+$"))
    page.wait_for_selector("#exam-take[data-ready=true]")
    return int(page.url.rsplit("/", 1)[1])


_FOREIGN_SAVE = """async ([url, response]) => (await fetch(url, {
  method: 'PUT', credentials: 'same-origin',
  headers: {'Content-Type': 'application/json', 'Accept': 'application/json',
            'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content},
  body: JSON.stringify({response: response, seq: 999})})).status"""


def _save_elsewhere(page, attempt_id: int, slot: int, response: dict) -> int:
    """A save sent from the same session outside the page (another tab); its status."""
    return page.evaluate(_FOREIGN_SAVE, [f"/api/v1/attempts/{attempt_id}/answers/{slot}",
                                         response])


def test_access_code_wrong_then_right(app, db, org, in_process_server, phone, screenshot):
    from playwright.sync_api import expect

    _context, page = phone
    exam = published_exam(org, {"time_limit_minutes": 30, "access_code": "Lop10A1"},
                          types=TYPES)
    log_in_at(page, in_process_server, "hsa")
    page.goto(f"{in_process_server}/exams/")
    page.get_by_test_id("start").click()
    code = page.get_by_test_id("access-code")
    expect(code).to_be_visible()
    code.fill("12345")
    page.get_by_test_id("start-button").click()
    expect(page.get_by_test_id("access-code-error")).to_have_text("Mã truy cập không đúng.")
    assert _attempt(exam.id) is None
    screenshot(page, "exam-access-code-wrong-phone")
    page.get_by_test_id("access-code").fill("lop10a1")
    page.get_by_test_id("start-button").click()
    attempt_id = _ready(page)
    assert _attempt(exam.id).id == attempt_id
    # resuming asks for nothing
    page.goto(f"{in_process_server}/exams/{exam.id}")
    expect(page.get_by_test_id("access-code")).to_have_count(0)
    page.get_by_test_id("resume").click()
    assert _ready(page) == attempt_id


def test_sequential_answer_next_no_way_back_and_reload(app, db, org, in_process_server, phone,
                                                       screenshot):
    from playwright.sync_api import expect

    _context, page = phone
    exam = published_exam(org, {"time_limit_minutes": 30, "navigation": "sequential"},
                          types=TYPES)
    slots = [entry["slot"] for entry in exam.snapshot]
    log_in_at(page, in_process_server, "hsa")
    page.goto(f"{in_process_server}/exams/{exam.id}")
    expect(page.get_by_test_id("sequential-rule")).to_be_visible()
    page.get_by_test_id("start-button").click()
    attempt_id = _ready(page)
    expect(page.get_by_test_id("sequential-note")).to_have_text(
        "Bài này làm lần lượt: không quay lại câu trước")
    expect(page.get_by_test_id("prev")).to_be_hidden()
    expect(page.get_by_test_id("flag")).to_have_count(0)
    expect(_current(page)).to_have_attribute("data-number", "1")
    screenshot(page, "exam-sequential-q1-phone")

    _current(page).locator(".exam-option").nth(1).click()
    page.get_by_test_id("next").click()
    expect(_current(page)).to_have_attribute("data-number", "2")
    expect(page.get_by_test_id("save-status")).to_have_text("Đã lưu")
    attempt = _attempt(exam.id)
    assert attempt.position == 1
    assert set(_stored(attempt_id)) == {slots[0]}      # saved before the move
    # no way back: no "Câu trước", the palette's first cell is disabled
    expect(page.get_by_test_id("prev")).to_be_hidden()
    page.get_by_test_id("palette-toggle").click()
    first = page.locator(f'.exam-cell[data-slot="{slots[0]}"]')
    expect(first).to_be_disabled()
    expect(page.locator(f'.exam-cell[data-slot="{slots[1]}"]')).to_have_attribute(
        "aria-current", "step")
    screenshot(page, "exam-sequential-q2-palette-phone")
    page.get_by_test_id("palette-toggle").click()

    # a typed answer is sent before "next" names the slot it leaves
    _current(page).get_by_text("Sai", exact=True).click()
    page.get_by_test_id("next").click()
    expect(_current(page)).to_have_attribute("data-number", "3")
    expect(page.get_by_test_id("save-status")).to_have_text("Đã lưu")
    assert _stored(attempt_id)[slots[1]].response == {"value": False}
    assert _attempt(exam.id).position == 2

    # an answer and a "next" that could not be sent survive a reload and go in order
    page.route("**/api/v1/attempts/**", lambda route: route.abort())
    _current(page).locator(".exam-option").nth(0).click()
    page.get_by_test_id("next").click()
    expect(_current(page)).to_have_attribute("data-number", "4")
    expect(page.get_by_test_id("save-status")).to_have_text("Chưa lưu, đang thử lại")
    page.reload()
    page.wait_for_selector("#exam-take[data-ready=true]")
    expect(_current(page)).to_have_attribute("data-number", "4")   # not back to 3
    page.unroute("**/api/v1/attempts/**")
    _context.set_offline(True)
    _context.set_offline(False)
    expect(page.get_by_test_id("save-status")).to_have_text("Đã lưu", timeout=10_000)
    assert len(_stored(attempt_id)[slots[2]].response["choices"]) == 1
    assert _attempt(exam.id).position == 3

    # a reload resumes at the server's position
    page.reload()
    page.wait_for_selector("#exam-take[data-ready=true]")
    expect(_current(page)).to_have_attribute("data-number", "4")
    expect(page.get_by_test_id("prev")).to_be_hidden()

    # a late save of a question left behind (another tab): 409 sequential, shown, not retried
    status = _save_elsewhere(page, attempt_id, slots[1], {"value": True})
    assert status == 409
    assert _stored(attempt_id)[slots[1]].response == {"value": False}

    # the last question: "Câu sau" is disabled, submitting works
    expect(page.get_by_test_id("next")).to_be_disabled()
    _current(page).locator("input.exam-text").fill("Hà Nội")
    expect(page.get_by_test_id("save-status")).to_have_text("Đã lưu", timeout=10_000)
    screenshot(page, "exam-sequential-last-phone")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("submit-confirm").click()
    page.wait_for_url(re.compile(rf"/exams/attempts/{attempt_id}/result$"))
    assert _attempt(exam.id).state == AttemptState.FINISHED


def test_sequential_late_save_is_locked_not_retried(app, db, org, in_process_server, phone):
    """A queued save of a question the server has already moved past (the position moved on
    another device) gets 409 sequential: the page drops it, locks the question and moves on."""
    from playwright.sync_api import expect

    from lms.exams import navigation

    _context, page = phone
    exam = published_exam(org, {"time_limit_minutes": 30, "navigation": "sequential"},
                          types=TYPES)
    slots = [entry["slot"] for entry in exam.snapshot]
    log_in_at(page, in_process_server, "hsa")
    page.goto(f"{in_process_server}/exams/{exam.id}")
    page.get_by_test_id("start-button").click()
    attempt_id = _ready(page)
    page.route("**/answers/**", lambda route: route.abort())
    _current(page).locator(".exam-option").nth(0).click()
    expect(page.get_by_test_id("save-status")).to_have_text("Chưa lưu, đang thử lại")
    navigation.advance(org.student_a, attempt_id, slots[0])     # moved on elsewhere
    navigation.advance(org.student_a, attempt_id, slots[1])
    db.session.commit()
    page.unroute("**/answers/**")
    _context.set_offline(True)
    _context.set_offline(False)
    expect(_current(page)).to_have_attribute("data-number", "3", timeout=10_000)
    expect(page.get_by_test_id("save-status")).to_have_text("Đã lưu")
    assert slots[0] not in _stored(attempt_id)
    queued = page.evaluate(f"localStorage.getItem('hoclieu.attempt.{attempt_id}.queue')")
    assert queued == "{}"


def _practice_exam(org):
    """Single choice, Đúng/Sai ×4 and a short answer whose key looks like markup."""
    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    bank = bank_questions(org.teacher_x, ("single_choice", "true_false_4"))
    tricky = questions.create_question(
        org.teacher_x, questions.QuestionMeta(subject_id=toan.id, grade=10),
        {"type": "short_text", "text_html": "Viết thẻ in đậm",
         "answers": [{"text": "<b>x</b>", "fraction": "1"}],
         "feedback_html": "<p>Lời giải: dùng thẻ <code>b</code>.</p>"})
    exam = services.create_exam(org.teacher_x, "Luyện tập chương 1",
                                [q.id for q in [*bank, tricky]], None,
                                {"mode": "practice", "time_limit_minutes": 30})
    services.publish(org.teacher_x, exam)
    services.assign_to_class(org.teacher_x, exam, org.class_x)
    db.session.commit()
    return exam


def test_practice_check_shows_feedback_and_key_and_locks(app, db, org, in_process_server,
                                                         phone, screenshot):
    from playwright.sync_api import expect

    _context, page = phone
    exam = _practice_exam(org)
    slots = [entry["slot"] for entry in exam.snapshot]
    log_in_at(page, in_process_server, "hsa")
    page.goto(f"{in_process_server}/exams/{exam.id}")
    page.get_by_test_id("start-button").click()
    attempt_id = _ready(page)
    expect(page.get_by_test_id("practice-badge")).to_have_text("Luyện tập")

    # checking before answering says so and sends nothing
    _current(page).get_by_test_id("check").click()
    expect(_current(page).get_by_test_id("question-error")).to_have_text(
        "Hãy trả lời câu này trước khi kiểm tra.")
    # a wrong choice (A; the key is B), then "Kiểm tra"
    _current(page).locator(".exam-option").filter(has_text="Phương án A").click()
    screenshot(page, "exam-practice-before-check-phone")
    _current(page).get_by_test_id("check").click()
    result = _current(page).get_by_test_id("check-result")
    expect(result.get_by_test_id("correctness")).to_have_text("Sai")
    expect(result.get_by_test_id("check-key")).to_contain_text("Phương án B")
    expect(result.get_by_test_id("check-feedback")).to_contain_text("Nhận xét a")
    expect(_current(page).locator(".exam-option.exam-part-wrong")).to_have_text(
        re.compile("Phương án A"))
    expect(_current(page).locator(".exam-option.exam-part-right")).to_have_text(
        re.compile("Phương án B"))
    expect(_current(page).locator("input[type=radio]").first).to_be_disabled()
    expect(_current(page).get_by_test_id("check")).to_be_hidden()
    stored = _stored(attempt_id)[slots[0]]
    assert stored.checked_at is not None
    screenshot(page, "exam-practice-checked-phone")

    # Đúng/Sai ×4: right/wrong per statement
    page.get_by_test_id("next").click()
    for statement, value in zip(_current(page).locator(".exam-statement").all(),
                                ("Đúng", "Đúng", "Đúng", "Sai"), strict=True):
        statement.get_by_text(value, exact=True).click()
    _current(page).get_by_test_id("check").click()
    expect(_current(page).get_by_test_id("correctness")).to_have_text("Đúng một phần")
    expect(_current(page).locator(".exam-statement.exam-part-right")).to_have_count(3)
    expect(_current(page).locator(".exam-statement.exam-part-wrong")).to_have_count(1)
    expect(_current(page).get_by_test_id("check-key").locator(".exam-key")).to_have_text(
        "a) Đúng; b) Sai; c) Đúng; d) Sai")
    screenshot(page, "exam-practice-tf4-phone")

    # a typed key that looks like markup is shown as text; the feedback HTML is rendered
    page.get_by_test_id("next").click()
    _current(page).locator("input.exam-text").fill("x")
    _current(page).get_by_test_id("check").click()
    expect(_current(page).get_by_test_id("check-key").locator(".exam-key")).to_have_text("<b>x</b>")
    expect(_current(page).get_by_test_id("check-feedback").locator("code")).to_have_text("b")
    assert _current(page).get_by_test_id("check-key").locator("b").count() == 0
    assert _stored(attempt_id)[slots[2]].response == {"text": "x"}

    # a reload shows the checks again, locked
    page.reload()
    page.wait_for_selector("#exam-take[data-ready=true]")
    expect(_current(page).get_by_test_id("check-key").locator(".exam-key")).to_have_text("<b>x</b>")
    expect(_current(page).locator("input.exam-text")).to_be_disabled()

    # a save to a checked question (another tab) is refused with 409 checked
    status = _save_elsewhere(page, attempt_id, slots[2], {"text": "y"})
    assert status == 409
    page.get_by_test_id("submit").click()
    page.get_by_test_id("submit-confirm").click()
    page.wait_for_url(re.compile(rf"/exams/attempts/{attempt_id}/result$"))
    expect(page.get_by_test_id("practice-grade")).to_contain_text("Điểm luyện tập")
    expect(page.get_by_test_id("practice-checked")).to_have_text("Đã kiểm tra 3/3 câu.")
    # the checks seen while practising are shown again on the result page
    expect(page.get_by_test_id("correctness")).to_have_text(["Sai", "Đúng một phần", "Sai"])
    screenshot(page, "exam-practice-result-phone")


def test_practice_save_to_a_checked_question_is_locked_not_retried(app, db, org,
                                                                   in_process_server, phone):
    """The question was checked on another device while this one still had a queued answer:
    409 checked → the entry is dropped, the question shows the server's answer and check."""
    from playwright.sync_api import expect

    from lms.exams import practice

    _context, page = phone
    exam = _practice_exam(org)
    slots = [entry["slot"] for entry in exam.snapshot]
    log_in_at(page, in_process_server, "hsa")
    page.goto(f"{in_process_server}/exams/{exam.id}")
    page.get_by_test_id("start-button").click()
    attempt_id = _ready(page)
    page.get_by_test_id("next").click()
    page.get_by_test_id("next").click()
    page.route("**/answers/**", lambda route: route.abort())
    _current(page).locator("input.exam-text").fill("mine")
    expect(page.get_by_test_id("save-status")).to_have_text("Chưa lưu, đang thử lại")
    attempt = db.session.get(Attempt, attempt_id)
    services.save_answer(org.student_a, attempt.id, slots[2], {"text": "other"}, 1)
    practice.check_slot(org.student_a, attempt.id, slots[2])
    db.session.commit()
    page.unroute("**/answers/**")
    _context.set_offline(True)
    _context.set_offline(False)
    expect(page.get_by_test_id("save-status")).to_have_text("Đã lưu", timeout=10_000)
    expect(_current(page).get_by_test_id("question-error")).to_contain_text("đã được kiểm tra")
    expect(_current(page).locator("input.exam-text")).to_have_value("other")
    expect(_current(page).locator("input.exam-text")).to_be_disabled()
    expect(_current(page).get_by_test_id("check-key").locator(".exam-key")).to_have_text("<b>x</b>")
    assert _stored(attempt_id)[slots[2]].response == {"text": "other"}


def test_pre_generated_variant_starts_and_shows_its_code(app, db, org, in_process_server,
                                                         phone, screenshot):
    """Variants made at publish, attempts pre-generated: the start page starts the pending
    attempt (no second one) and the header shows its mã đề."""
    from playwright.sync_api import expect

    from lms.exams import manage

    _context, page = phone
    exam = published_exam(org, {"time_limit_minutes": 30, "attempts": 1,
                                "generation": "variants", "variant_count": 3},
                          types=TYPES)
    manage.pregenerate(org.teacher_x, exam)
    db.session.commit()
    pending = _attempt(exam.id)
    assert pending.state == AttemptState.PENDING and pending.variant_code
    log_in_at(page, in_process_server, "hsa")
    page.goto(f"{in_process_server}/exams/")
    page.get_by_test_id("start").click()
    page.get_by_test_id("start-button").click()
    assert _ready(page) == pending.id
    expect(page.get_by_test_id("variant-code")).to_have_text(f"Mã đề: {pending.variant_code}")
    assert _attempt(exam.id).state == AttemptState.IN_PROGRESS
    assert db.session.scalar(select(func.count()).select_from(Attempt)
                             .where(Attempt.exam_id == exam.id,
                                    Attempt.user_id == org.student_a.id)) == 1
    screenshot(page, "exam-variant-code-phone")


def test_a_refused_save_is_dropped_and_the_queue_goes_on(app, db, org, in_process_server,
                                                         phone):
    """An answer the server refuses (400) is dropped with the reason on its question; the
    answers queued after it are still sent."""
    from playwright.sync_api import expect

    _context, page = phone
    exam = published_exam(org, {"time_limit_minutes": 30}, types=TYPES)
    slots = [entry["slot"] for entry in exam.snapshot]
    log_in_at(page, in_process_server, "hsa")
    page.goto(f"{in_process_server}/exams/{exam.id}")
    page.get_by_test_id("start-button").click()
    attempt_id = _ready(page)
    # a queued answer that can never be stored (an option id the attempt does not have),
    # ahead of a good one
    page.evaluate("""([key, bad, good]) => localStorage.setItem(key, JSON.stringify({
        [bad]: {response: {choice: "ffffffff"}, seq: 50},
        [good]: {response: {value: true}, seq: 51}}))""",
                  [f"hoclieu.attempt.{attempt_id}.queue", str(slots[0]), str(slots[1])])
    page.reload()
    page.wait_for_selector("#exam-take[data-ready=true]")
    expect(page.get_by_test_id("save-status")).to_have_text("Đã lưu", timeout=10_000)
    expect(_current(page).get_by_test_id("question-error")).to_contain_text(
        "không được lưu")
    stored = _stored(attempt_id)
    assert slots[0] not in stored and stored[slots[1]].response == {"value": True}
    assert page.evaluate(f"localStorage.getItem('hoclieu.attempt.{attempt_id}.queue')") == "{}"
    # answering again clears the message and saves
    _current(page).locator(".exam-option").nth(0).click()
    expect(page.get_by_test_id("save-status")).to_have_text("Đã lưu")
    expect(_current(page).get_by_test_id("question-error")).to_be_hidden()
    assert slots[0] in _stored(attempt_id)
