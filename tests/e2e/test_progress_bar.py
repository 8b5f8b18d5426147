"""The progress-bar component in Debian's Chromium against the real app on a loopback port."""


import pytest
from flask import render_template_string

from lms.core.models import TaskState
from lms.core.services import start_task
from lms.core.tasks import report_progress
from tests.e2e.browser_helpers import log_in_at

pytestmark = pytest.mark.e2e
PAGE = """{% from "macros/progress.html" import progress_bar, progress_script %}
<div id="mine">{{ progress_bar(mine, "Nhập danh sách") }}</div>
<div id="theirs">{{ progress_bar(theirs) }}</div>
{{ progress_script() }}"""




@pytest.fixture
def browser_page(browser):
    context = browser.new_context()
    try:
        yield context, context.new_page()
    finally:
        context.close()


def test_progress_bar_follows_the_job_survives_offline_and_hides_others_jobs(
        app, db, org, in_process_server, browser_page):
    from playwright.sync_api import expect

    context, page = browser_page
    mine = start_task("core.ping", org.teacher_x.id)
    theirs = start_task("core.ping", org.teacher_y.id)
    db.session.commit()
    with app.test_request_context():
        html = render_template_string(PAGE, mine=mine.id, theirs=theirs.id)
    assert "<script>" not in html and "style=" not in html

    log_in_at(page, in_process_server, "teacherx")
    page.set_content(html)

    bar = page.locator("#mine [role=progressbar]")
    expect(page.locator("#mine [data-task-progress]")).to_have_attribute("data-state", "pending")
    report_progress(mine.id, 40, "Bước 2/4")
    expect(bar).to_have_attribute("aria-valuenow", "40")
    expect(page.locator("#mine [data-task-message]")).to_have_text("Bước 2/4")

    context.set_offline(True)
    expect(page.locator("#mine [data-task-message]")).to_have_text("Mất kết nối, đang thử lại…")
    report_progress(mine.id, 100, "Xong", TaskState.SUCCEEDED)
    context.set_offline(False)
    expect(page.locator("#mine [data-task-progress]")).to_have_attribute(
        "data-state", "succeeded", timeout=5000)
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#mine [data-task-bar]")).to_have_class("progress-bar bg-success")

    expect(page.locator("#theirs [data-task-progress]")).to_have_attribute("data-state", "error")
    expect(page.locator("#theirs [data-task-message]")).to_have_text("Không tìm thấy tác vụ.")
