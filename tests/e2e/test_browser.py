"""The product in a real browser: phone login, error messages, language switch, dashboards."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "hoclieu-demo"
BAD_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng."


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Tên đăng nhập hoặc mã học sinh").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth")


def test_student_logs_in_and_out_on_a_phone(phone_page, screenshot):
    page = phone_page
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    assert no_horizontal_scroll(page)
    screenshot(page, "login-phone")

    log_in(page, "student")
    expect(page).to_have_url(re.compile(r"/$"))
    classes = page.get_by_test_id("student-classes")
    expect(classes).to_contain_text("10A1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Xin chào, Đỗ Minh Anh")
    assert no_horizontal_scroll(page)
    screenshot(page, "student-dashboard-phone")

    page.get_by_role("button", name="Mở menu").tap()
    expect(page.locator("#nav")).to_have_class(re.compile(r"\bshow\b"))
    logout = page.get_by_role("button", name="Đăng xuất")
    expect(logout).to_be_visible()
    assert no_horizontal_scroll(page)
    screenshot(page, "student-menu-phone")
    logout.tap()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))


def test_wrong_password_and_unknown_user_get_the_same_message(page):
    log_in(page, "teacher", "not-the-password")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text(BAD_LOGIN)
    expect(page.get_by_test_id("login-form")).to_be_visible()

    log_in(page, "nobody-by-this-name", "not-the-password")
    expect(page.get_by_role("alert")).to_have_text(BAD_LOGIN)


def test_language_switches_to_english_and_back(page, screenshot):
    log_in(page, "teacher")
    expect(page.get_by_test_id("teacher-classes")).to_contain_text("Lớp tôi dạy")
    screenshot(page, "teacher-dashboard-desktop")

    page.get_by_test_id("language-en").click()
    expect(page.get_by_test_id("teacher-classes")).to_contain_text("Classes I teach")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    screenshot(page, "teacher-dashboard-desktop-en")

    page.get_by_test_id("language-vi").click()
    expect(page.get_by_test_id("teacher-classes")).to_contain_text("Lớp tôi dạy")
    expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "vi")


def test_admin_dashboard_renders(page, screenshot):
    log_in(page, "admin")
    expect(page.get_by_role("link", name="Quản trị", exact=True)).to_be_visible()
    assert no_horizontal_scroll(page)
    screenshot(page, "admin-dashboard-desktop")
