"""Taking a test in Chromium on a phone: answers survive a Wi-Fi drop and a reload, the queue
is resent when the connection returns, and the page submits when the timer runs out.

The app runs in-process on the test database (``in_process_server``), so the test reads what
the server stored directly."""

import re
from datetime import UTC, timedelta

import pytest
import time_machine
from sqlalchemy import select

from lms.core.models import utcnow
from lms.curriculum.models import Subject
from lms.exams.demo import load_demo_exam
from lms.exams.models import Attempt, AttemptAnswer, AttemptEvent, AttemptState, Exam
from lms.kernel import db
from tests.e2e.browser_helpers import log_in_at
from tests.lms.exams_setup import published_exam

pytestmark = pytest.mark.e2e
TYPES = ("single_choice", "true_false", "multiple_response", "short_text")


def _stored(attempt_id: int) -> dict[int, dict]:
    db.session.expire_all()
    return {a.slot: a.response for a in db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id))}


def _start(page, server: str, exam_id: int) -> int:
    page.goto(f"{server}/exams/")
    page.get_by_test_id("start").click()
    page.get_by_test_id("start-button").click()
    page.wait_for_url(re.compile(r"/exams/attempts/\d+$"))
    page.wait_for_selector("#exam-take[data-ready=true]")
    return int(page.url.rsplit("/", 1)[1])


def _current(page):
    return page.locator("section.exam-question:not([hidden])")


def test_answers_survive_offline_and_reload_then_submit(app, db, org, in_process_server,
                                                        phone, screenshot):
    from playwright.sync_api import expect

    context, page = phone
    exam = published_exam(org, {"time_limit_minutes": 30}, types=TYPES)
    slots = [entry["slot"] for entry in exam.snapshot]
    log_in_at(page, in_process_server, "hsa")
    attempt_id = _start(page, in_process_server, exam.id)
    status = page.get_by_test_id("save-status")
    expect(status).to_have_text("Đã lưu")
    expect(page.get_by_test_id("timer")).to_have_text(re.compile(r"^(29:5\d|30:00)$"))

    context.set_offline(True)
    _current(page).locator(".exam-option").nth(1).click()          # 1: single choice
    page.get_by_test_id("next").click()
    _current(page).get_by_text("Đúng", exact=True).click()         # 2: true/false
    page.get_by_test_id("next").click()
    _current(page).locator(".exam-option").nth(0).click()          # 3: multiple response
    _current(page).locator(".exam-option").nth(2).click()
    _current(page).get_by_test_id("flag").click()
    expect(status).to_have_text("Chưa lưu, đang thử lại")
    expect(page.locator(".exam-cell.answered")).to_have_count(3)
    assert _stored(attempt_id) == {}
    screenshot(page, "exam-take-offline-phone")

    context.set_offline(False)
    expect(status).to_have_text("Đã lưu", timeout=10_000)
    stored = _stored(attempt_id)
    assert set(stored) == set(slots[:3])
    assert set(stored[slots[0]]) == {"choice"} and stored[slots[1]] == {"value": True}
    assert len(stored[slots[2]]["choices"]) == 2

    # A reload resumes on the same question with every answer and the flag.
    page.reload()
    page.wait_for_selector("#exam-take[data-ready=true]")
    expect(page.locator(".exam-cell.answered")).to_have_count(3)
    expect(page.locator(".exam-cell.flagged")).to_have_count(1)
    expect(_current(page).locator("input:checked")).to_have_count(2)

    # An answer the server never received stays queued on the device across a reload.
    page.route("**/answers/**", lambda route: route.abort())
    page.get_by_test_id("next").click()
    _current(page).locator("input.exam-text").fill("Hà Nội")
    expect(status).to_have_text("Chưa lưu, đang thử lại")
    page.reload()
    page.wait_for_selector("#exam-take[data-ready=true]")
    expect(_current(page).locator("input.exam-text")).to_have_value("Hà Nội")
    expect(status).to_have_text("Chưa lưu, đang thử lại")
    page.unroute("**/answers/**")
    context.set_offline(True)   # the "online" event starts the resend at once
    context.set_offline(False)
    expect(status).to_have_text("Đã lưu", timeout=10_000)
    assert _stored(attempt_id)[slots[3]] == {"text": "Hà Nội"}

    # Submitting lists flagged questions; the server finishes the attempt.
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("submit-flagged")).to_have_text(re.compile(r"3$"))
    expect(page.get_by_test_id("submit-unanswered")).to_have_text(
        "Em đã trả lời tất cả các câu.")
    screenshot(page, "exam-submit-dialog-phone")
    page.get_by_test_id("submit-confirm").click()
    page.wait_for_url(re.compile(rf"/exams/attempts/{attempt_id}/result$"))
    db.session.expire_all()
    assert db.session.get(Attempt, attempt_id).state == AttemptState.FINISHED
    kinds = {e.kind.value for e in db.session.scalars(select(AttemptEvent).where(
        AttemptEvent.attempt_id == attempt_id))}
    assert {"offline", "online", "resumed"} <= kinds
    screenshot(page, "exam-result-phone")


def test_the_page_submits_when_the_timer_runs_out(app, db, org, in_process_server, phone):
    """Nobody waits 30 minutes: the phone's clock (Playwright's) and the server's (the app runs
    in this process: time-machine) jump together to 3 s before the deadline. The phone is
    offline during the jump, so no reply re-syncs its clock with the server's halfway."""
    from playwright.sync_api import expect

    context, page = phone
    exam = published_exam(org, {"time_limit_minutes": 30}, types=TYPES)
    log_in_at(page, in_process_server, "hsa")
    attempt_id = _start(page, in_process_server, exam.id)
    page.clock.install()
    page.reload()
    page.wait_for_selector("#exam-take[data-ready=true]")
    timer = page.get_by_test_id("timer")
    expect(timer).to_have_text(re.compile(r"^(29:5\d|30:00)$"))
    _current(page).locator(".exam-option").nth(0).click()
    expect(page.get_by_test_id("save-status")).to_have_text("Đã lưu")
    page.wait_for_load_state("networkidle")
    db.session.expire_all()
    deadline = db.session.get(Attempt, attempt_id).deadline
    context.set_offline(True)
    jump = deadline - timedelta(seconds=3) - utcnow()
    with time_machine.travel(utcnow().replace(tzinfo=UTC) + jump, tick=True):
        page.clock.fast_forward(int(jump.total_seconds() * 1000))
        context.set_offline(False)
        expect(timer).to_have_text(re.compile(r"^00:0[0-4]$"))
        assert page.url.endswith(f"/exams/attempts/{attempt_id}")    # not submitted early
        page.wait_for_url(re.compile(rf"/exams/attempts/{attempt_id}/result$"), timeout=20_000)
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.FINISHED
    assert deadline - timedelta(seconds=1) <= attempt.finished_at <= deadline + timedelta(seconds=2)
    assert exam.snapshot[0]["slot"] in _stored(attempt_id)


def test_every_question_type_on_a_phone(app, db, org, in_process_server, phone, screenshot):
    """The demo test (every type, math, an image, audio) renders and saves on a phone."""
    from playwright.sync_api import expect

    _context, page = phone
    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    load_demo_exam(org.teacher_x, toan, org.class_x)
    db.session.commit()
    exam = db.session.scalar(select(Exam))
    log_in_at(page, in_process_server, "hsa")
    attempt_id = _start(page, in_process_server, exam.id)
    total = len(exam.snapshot)
    for number in range(1, total + 1):
        section = _current(page)
        expect(section).to_have_attribute("data-number", str(number))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"exam-type-{number:02d}-phone")
        if number < total:
            page.get_by_test_id("next").click()
    # math is MathML, the image and the audio load through the attempt's media route
    assert page.locator("math").count() > 0
    page.get_by_test_id("palette-toggle").click()
    screenshot(page, "exam-palette-phone")

    def go(kind: str):
        slot = next(e["slot"] for e in exam.snapshot if e["payload"]["type"] == kind)
        page.locator(f'.exam-cell[data-slot="{slot}"]').click()
        return slot

    go("stimulus")
    audio = _current(page).locator("audio")
    assert "/media/" in audio.get_attribute("src")
    assert page.evaluate("async (src) => (await fetch(src)).status",
                         audio.get_attribute("src")) == 200
    go("short_numeric")
    expect(_current(page).locator("img")).to_have_js_property("complete", True)
    assert _current(page).locator("img").evaluate("i => i.naturalWidth") == 240
    # a typed answer of the cloze question reaches the server
    cloze = go("cloze")
    _current(page).locator("input").first.fill("6")
    expect(page.get_by_test_id("save-status")).to_have_text("Đã lưu")
    page.wait_for_timeout(1500)
    expect(page.get_by_test_id("save-status")).to_have_text("Đã lưu")
    assert list(_stored(attempt_id)[cloze]["gaps"].values())[0] == "6"


def test_wide_screen_shows_the_palette_beside_the_question(app, db, org, in_process_server,
                                                           browser, screenshot):
    from playwright.sync_api import expect

    from tests.e2e.conftest import DESKTOP

    exam = published_exam(org, {"time_limit_minutes": 30}, types=TYPES)
    context = browser.new_context(base_url=in_process_server, **DESKTOP)
    try:
        page = context.new_page()
        log_in_at(page, in_process_server, "hsa")
        _start(page, in_process_server, exam.id)
        palette = page.get_by_test_id("palette")
        expect(palette).to_be_visible()
        expect(page.get_by_test_id("palette-toggle")).to_be_hidden()
        question = _current(page).bounding_box()
        assert palette.bounding_box()["x"] > question["x"] + question["width"] - 1
        screenshot(page, "exam-take-desktop")
    finally:
        context.close()
