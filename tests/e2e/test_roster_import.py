"""An administrator imports a class roster from a spreadsheet in the browser (issue 2 §7)."""

import re
import unicodedata

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from tests.e2e.test_browser import log_in

pytestmark = pytest.mark.e2e
SCHOOL = "Trường THPT Lê Quý Đôn"


def roster_file(path, rows) -> str:
    """An .xlsx as a school office makes it: a title row, then NFD headers in any order."""
    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH HỌC SINH NĂM HỌC 2025-2026"])
    sheet.append([unicodedata.normalize("NFD", h)
                  for h in ("Lớp", "Họ và tên", "Mã học sinh", "Ngày sinh")])
    for row in rows:
        sheet.append(row)
    book.save(path)
    return str(path)


def check_file(page, path: str) -> None:
    page.locator("input[type=file]").set_input_files(path)
    page.get_by_role("button", name="Kiểm tra tệp").click()


def test_admin_imports_a_roster_fixes_it_and_prints_slips(page, tmp_path, screenshot):
    log_in(page, "admin")
    page.goto("/admin/units")
    page.get_by_text(SCHOOL).first.locator("xpath=ancestor::*[.//a][1]").get_by_role(
        "link", name="Lớp").first.click()
    page.get_by_role("link", name="Nhập danh sách từ Excel").click()
    upload_url = page.url

    check_file(page, roster_file(tmp_path / "lop-10c1-sai.xlsx", [
        ["10C1", "Nguyễn Thị Ánh", "ldq001", "05/09/2010"],
        ["10C1", "", "ldq002", "31/02/2010"],
    ]))
    problems = page.get_by_test_id("roster-problems")
    expect(problems).to_contain_text("31/02/2010")
    expect(problems).to_contain_text("4")  # the second data row is spreadsheet row 4
    expect(page.get_by_test_id("roster-confirm")).to_have_count(0)
    screenshot(page, "roster-problems")

    page.goto(upload_url)
    check_file(page, roster_file(tmp_path / "lop-10c1.xlsx", [
        ["10C1", "Nguyễn Thị Ánh", "ldq001", "05/09/2010"],
        ["10C1", "Trần Văn Bình", "ldq002", "28/02/2010"],
    ]))
    expect(page.get_by_test_id("roster-rows")).to_contain_text("Trần Văn Bình")
    page.get_by_test_id("roster-confirm").click()

    slips = page.get_by_test_id("slips").locator(".slip")
    expect(slips).to_have_count(2)
    first = slips.filter(has_text="ldq001")
    password = first.locator("code").nth(1).inner_text()
    assert re.fullmatch(r"[a-z2-9]{8}", password)
    screenshot(page, "roster-slips")

    page.get_by_role("button", name="Đăng xuất").click()
    log_in(page, "ldq001", password)
    expect(page).to_have_url(re.compile(r"/account/password$"))
