"""A teacher writes a question in the browser with a live preview, edits it and compares
versions (issue 3 §2)."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import log_in

pytestmark = pytest.mark.e2e


def test_teacher_writes_previews_edits_and_compares(page, screenshot):
    log_in(page, "teacher")
    page.goto("/questions/")
    page.get_by_test_id("new-question").click()
    page.get_by_test_id("type-single_choice").click()
    editor = page.locator("#question-editor")
    editor.get_by_label("Nội dung câu hỏi").fill("Nghiệm của phương trình \\(x^2 = 4\\) là")
    options = editor.get_by_placeholder("Nội dung phương án")
    for index, text in enumerate(["x = 2 hoặc x = -2", "x = 2", "x = 4", "Vô nghiệm"]):
        options.nth(index).fill(text)
    preview = page.get_by_test_id("question-preview")
    expect(preview).to_contain_text("x = 2 hoặc x = -2")
    expect(preview.locator("math")).to_have_count(1)  # LaTeX rendered as MathML
    expect(page.get_by_test_id("preview-problems")).to_be_hidden()

    editor.get_by_label("Đáp án đúng").nth(1).check()  # the wrong one first
    editor.get_by_label("Đáp án đúng").nth(0).check()
    editor.get_by_role("button", name="Thêm").first.click()
    expect(page.get_by_test_id("preview-problems")).to_be_visible()  # an empty fifth option
    editor.get_by_role("button", name="Xoá").nth(4).click()
    expect(page.get_by_test_id("preview-problems")).to_be_hidden()
    screenshot(page, "question-editor")
    page.get_by_test_id("save-question").click()
    expect(page.get_by_test_id("question-status")).to_have_text("Nháp")
    view = page.get_by_test_id("question-view")
    expect(view).to_contain_text("x = 2 hoặc x = -2")
    expect(view.locator(".badge", has_text="Đáp án đúng")).to_have_count(1)

    page.get_by_test_id("edit-question").click()
    page.locator("#question-editor").get_by_placeholder("Nội dung phương án").nth(3).fill(
        "Phương trình vô nghiệm")
    page.get_by_label("Ghi chú phiên bản").fill("sửa phương án D")
    page.get_by_test_id("save-question").click()
    page.get_by_test_id("compare-versions").click()
    changes = page.get_by_test_id("version-changes")
    expect(changes).to_contain_text("options[4].text_html")
    expect(changes).to_contain_text("Phương trình vô nghiệm")
    screenshot(page, "question-versions")
