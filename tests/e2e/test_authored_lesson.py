"""A teacher writes a lesson in the browser (metadata, a page with math seen in the live preview,
a page with a check question found in the bank), publishes it and assigns it to 10A1; a student
on a phone opens it from the dashboard, reads both pages, answers the check question, sees the
feedback, and the lesson is completed on the server."""

import pytest
from sqlalchemy import select

from lms.kernel import db as _db
from lms.lessons.models import Lesson, LessonProgress
from tests.e2e.browser_helpers import log_in_at
from tests.e2e.conftest import DESKTOP, PHONE
from tests.lms.exams_setup import bank_questions

pytestmark = pytest.mark.e2e

MATH_BODY = ("<p>Phương trình \\(ax^2 + bx + c = 0\\) có biệt thức</p>"
             "<p>\\[\\Delta = b^2 - 4ac\\]</p>")


def _teacher_writes_lesson(browser, base, screenshot) -> int:
    from playwright.sync_api import expect

    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    try:
        log_in_at(page, base, "teacherx")
        page.goto(f"{base}/lessons/library")
        page.click("[data-testid=new-lesson]")
        page.fill("#title", "Phương trình bậc hai")
        page.select_option("#grade", "10")
        page.fill("#description", "Công thức nghiệm và một câu hỏi kiểm tra")
        page.click("[data-testid=save-meta]")
        page.click("[data-testid=add-page]")
        page.fill("#title", "Lý thuyết")
        page.fill("#body_html", MATH_BODY)
        expect(page.locator("#page-preview math").first).to_be_visible()
        screenshot(page, "authored-editor-preview")
        page.click("[data-testid=save-page]")
        page.click("[data-testid=add-page]")
        page.fill("#title", "Luyện tập")
        page.fill("#body_html", "<p>Trả lời câu hỏi sau:</p>")
        page.click("text=Chèn câu hỏi")
        page.fill("#question-q", "thu do")
        page.click("#question-search")
        page.locator("#question-results button").first.click()
        expect(page.locator("#page-preview [data-testid=check-question]")).to_be_visible()
        page.click("[data-testid=save-page]")
        page.click("[data-testid=publish]")
        expect(page.locator("[data-testid=lesson-version]")).to_contain_text("phiên bản 1")
        screenshot(page, "authored-edit-published")
        lesson_id = int(page.url.split("/lessons/")[1].split("/")[0])
        page.goto(f"{base}/lessons/{lesson_id}/assign")
        page.fill("#due_date", "2030-12-31")
        page.click("[data-testid=assign-submit]")
        expect(page.locator(".alert-success")).to_be_visible()
        return lesson_id
    finally:
        context.close()


def test_teacher_made_lesson_answered_and_completed_on_a_phone(app, db, org, in_process_server,
                                                                browser, screenshot):
    from playwright.sync_api import expect

    bank_questions(org.teacher_x, ("single_choice",))
    _db.session.commit()
    base = in_process_server
    lesson_id = _teacher_writes_lesson(browser, base, screenshot)

    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        log_in_at(page, base, "hsa")
        todo = page.locator("[data-testid=student-todo]")
        expect(todo).to_contain_text("Phương trình bậc hai")
        expect(todo).to_contain_text("31/12/2030")
        screenshot(page, "authored-student-dashboard")
        todo.locator("a", has_text="Phương trình bậc hai").click()
        expect(page.locator("[data-testid=page-title]")).to_have_text("Lý thuyết")
        expect(page.locator(".lesson-page-body math").first).to_be_visible()
        expect(page.locator('[data-field="pages_viewed"]')).to_have_text("1")
        screenshot(page, "authored-student-page1")
        page.click("[data-testid=next-page]")
        expect(page.locator("[data-testid=page-title]")).to_have_text("Luyện tập")
        question = page.locator("[data-testid=check-question]")
        expect(question).not_to_contain_text("Nhận xét")
        question.locator("label", has_text="Phương án A").click()
        question.locator("[data-testid=check-answer]").click()
        feedback = page.locator("[data-testid=check-feedback]")
        expect(feedback).to_contain_text("Chưa đúng.")
        expect(feedback).to_contain_text("Phương án B")
        expect(page.locator("[data-testid=lesson-completed]")).to_be_visible()
        screenshot(page, "authored-student-feedback")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        page.goto(f"{base}/lessons/library?q=phuong+trinh")
        expect(page.locator("[data-testid=library-results]")).to_contain_text(
            "Phương trình bậc hai")
        screenshot(page, "authored-library-phone")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()

    _db.session.expire_all()
    lesson = _db.session.get(Lesson, lesson_id)
    progress = _db.session.scalar(select(LessonProgress).where(
        LessonProgress.lesson_id == lesson.id, LessonProgress.user_id == org.student_a.id))
    assert progress.status == "completed" and progress.score == 0.0


def test_lesson_editor_fits_a_phone(app, db, org, client, in_process_server, browser,
                                    screenshot):
    from playwright.sync_api import expect

    from tests.lms.authored_helpers import published_lesson

    made = published_lesson(client, org)
    lesson_id, page_id = made["lesson"]["id"], made["pages"][0]["id"]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        log_in_at(page, in_process_server, "teacherx")
        for name, url in (("authored-phone-edit", f"/lessons/{lesson_id}/edit"),
                          ("authored-phone-page-editor", f"/lessons/{lesson_id}/pages/{page_id}")):
            page.goto(in_process_server + url)
            if name.endswith("editor"):
                expect(page.locator("#page-preview math").first).to_be_visible()
            screenshot(page, name)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"{url} scrolls sideways on a phone ({width}px)"
    finally:
        context.close()
