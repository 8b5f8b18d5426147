"""A teacher builds a test on a phone: nav link, new draft, bank search, add, points,
settings in Vietnam time, assignment and publishing — no page scrolls sideways."""

import pytest
from playwright.sync_api import expect

from lms.exams.models import Exam, ExamState
from lms.questions import search
from tests.e2e.browser_helpers import log_in_at
from tests.e2e.conftest import PHONE
from tests.lms.exams_setup import bank_questions

pytestmark = pytest.mark.e2e


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_teacher_builds_and_publishes_a_test_on_a_phone(app, db, org, in_process_server, phone,
                                                        screenshot):
    bank = bank_questions(org.teacher_x)
    db.session.commit()
    search.rebuild()
    page = phone
    log_in_at(page, in_process_server, "teacherx")
    page.get_by_label("Mở menu").click()
    page.get_by_role("link", name="Bài kiểm tra").first.click()
    expect(page.get_by_test_id("no-exams")).to_be_visible()
    page.get_by_test_id("new-exam").click()
    page.get_by_label("Tên bài kiểm tra").fill("Kiểm tra 15 phút Toán")
    page.get_by_role("button", name="Tạo và chọn câu hỏi").click()
    expect(page.get_by_test_id("no-questions")).to_be_visible()
    assert _fits(page)

    page.get_by_test_id("bank-search").fill("so nguyen to")
    page.get_by_role("button", name="Tìm", exact=True).click()
    expect(page.get_by_test_id("bank-row")).to_have_count(2)           # TF and MR mention it
    page.get_by_test_id(f"add-{bank[2].id}").click()
    expect(page.get_by_test_id("selected-question")).to_have_count(1)
    page.get_by_label("Điểm", exact=True).first.fill("2,5")
    page.get_by_test_id("save-points").click()
    expect(page.get_by_test_id("total-points")).to_contain_text("2,50")
    page.get_by_label("10A1").check()
    page.get_by_test_id("assign").click()
    screenshot(page, "exam-teacher-edit-phone")
    assert _fits(page)

    page.get_by_role("link", name="Cài đặt").click()
    page.get_by_label("Mở lúc").fill("01/12/2026 07:30")
    page.get_by_label("Đóng lúc").fill("01/12/2026 09:00")
    page.get_by_label("Đáp án đúng: Ngay sau khi nộp").check()
    assert _fits(page)
    screenshot(page, "exam-teacher-settings-phone")
    page.get_by_test_id("save-settings").click()
    expect(page.get_by_text("Đã lưu cài đặt.")).to_be_visible()

    page.get_by_role("link", name="Câu hỏi và giao bài").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("publish").click()
    expect(page.get_by_text("Đã phát hành bài kiểm tra")).to_be_visible()
    page.get_by_role("link", name="Kết quả", exact=True).click()
    expect(page.get_by_test_id("student-row")).to_have_count(2)
    assert _fits(page)

    db.session.expire_all()
    exam = db.session.scalar(db.select(Exam))
    assert exam.state == ExamState.PUBLISHED and exam.snapshot[0]["points"] == "2.5"
    assert exam.settings["open_at"] == "2026-12-01T00:30:00"
    assert exam.settings["review"]["correct_answers"] == "after_submit"
