"""A teacher builds a test on a phone: nav link, new draft, bank search, add, points,
settings in Vietnam time, assignment and publishing — no page scrolls sideways."""

import pytest
from playwright.sync_api import expect

from lms.exams.models import Exam, ExamState
from lms.questions import search
from tests.e2e.browser_helpers import log_in_at
from tests.e2e.conftest import PHONE, SCREENSHOTS
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


def _tab_bar(page) -> dict:
    """Height of the tab bar and of one tab, whether it overflows, and where the active tab is."""
    return page.evaluate("""() => {
        const bar = document.querySelector('[data-testid=exam-tabs]');
        const tab = bar.querySelector('.nav-link');
        const active = bar.querySelector('[aria-current=page]').getBoundingClientRect();
        const box = bar.getBoundingClientRect();
        return {height: box.height, tab: tab.getBoundingClientRect().height,
                overflows: bar.scrollWidth > bar.clientWidth, scrolled: bar.scrollLeft,
                activeLeft: active.left - box.left, activeRight: active.right - box.left,
                width: box.width};
    }""")


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_the_tabs_of_a_test_are_one_line(app, db, org, in_process_server, browser, screenshot,
                                         viewport):
    """On a phone the eight tabs of a published test are one line that scrolls sideways, with
    the active tab (the last, Nhật ký làm bài) scrolled into view; on a desktop one line too."""
    from tests.e2e.conftest import DESKTOP
    from tests.lms.exams_setup import published_exam

    exam = published_exam(org)
    context = browser.new_context(**(PHONE if viewport == "phone" else DESKTOP))
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in_at(page, in_process_server, "teacherx")
        for url, key in ((f"/exams/{exam.id}/integrity", "integrity"),
                         (f"/teacher/exams/{exam.id}", "edit")):
            page.goto(in_process_server + url)
            expect(page.get_by_test_id(f"tab-{key}")).to_have_attribute("aria-current", "page")
            page.wait_for_load_state("load")
            bar = _tab_bar(page)
            # one line: the bar is one tab high plus its bottom padding and border (< 2 tabs)
            assert bar["height"] < 1.6 * bar["tab"], bar
            assert bar["activeLeft"] >= -1 and bar["activeRight"] <= bar["width"] + 1, bar
            assert _fits(page), f"{url} scrolls sideways on a {viewport}"
            if viewport == "phone":
                assert bar["overflows"], bar
                assert (bar["scrolled"] > 0) == (key == "integrity"), bar
            else:
                assert not bar["overflows"], bar
            screenshot(page, f"exam-tabs-{key}-{viewport}")
    finally:
        context.close()


def test_a_draft_matrix_is_edited_on_a_phone(app, db, org, in_process_server, phone, screenshot):
    """Build a draft from a matrix with its time fields, reopen it from “Sửa ma trận đề”,
    change a count and the closing time, save: the same draft has the new draw."""
    from lms.exams.matrix import matrix_of
    from tests.lms.matrix_setup import make_bank

    bank = make_bank(org)
    page = phone
    log_in_at(page, in_process_server, "teacherx")
    page.goto(in_process_server + "/exams/matrix/new?subject=TOAN&grade=10")
    page.get_by_label("Tên bài kiểm tra").fill("Giữa kì I")
    page.get_by_test_id(f"n-0-{bank['ham_so'].id}-NB").fill("3")
    page.get_by_label("Mở lúc").fill("01/12/2026 07:30")
    page.get_by_label("Đóng lúc").fill("01/12/2026 09:00")
    page.get_by_label("Thời gian làm bài (phút, để trống: không giới hạn)").fill("45")
    expect(page.get_by_label("Số lượt làm (0: không giới hạn)")).to_have_value("1")
    assert _fits(page)
    window = SCREENSHOTS / "matrix-window-phone.png"
    page.get_by_test_id("matrix-window").screenshot(path=str(window))
    page.get_by_test_id("matrix-build").click()
    expect(page.get_by_text("Đã tạo bài kiểm tra “Giữa kì I” từ ma trận.")).to_be_visible()

    page.get_by_test_id("tab-edit").click()
    page.get_by_test_id("edit-matrix").click()
    expect(page.get_by_test_id("tab-edit")).to_have_attribute("aria-current", "page")
    cell = page.get_by_test_id(f"n-0-{bank['ham_so'].id}-NB")
    expect(cell).to_have_value("3")
    expect(page.get_by_label("Mở lúc")).to_have_value("01/12/2026 07:30")
    cell.fill("5")
    page.get_by_label("Đóng lúc").fill("01/12/2026 10:00")
    assert _fits(page)
    screenshot(page, "matrix-edit-phone")
    page.get_by_test_id("matrix-build").click()
    expect(page.get_by_text("Đã lưu ma trận của “Giữa kì I”")).to_be_visible()

    db.session.expire_all()
    exam = db.session.scalar(db.select(Exam))
    assert exam.state == ExamState.DRAFT and len(exam.selection) == 5
    assert matrix_of(exam)["sections"][0]["cells"][0]["count"] == 5
    assert (exam.settings["open_at"], exam.settings["close_at"]) == \
        ("2026-12-01T00:30:00", "2026-12-01T03:00:00")
    assert exam.settings["time_limit_s"] == 2700 and exam.settings["attempts_allowed"] == 1


def test_a_group_is_picked_assigned_and_unassigned_on_a_phone(app, db, org, in_process_server,
                                                              phone, screenshot):
    """The group picker: the filter ignores accents, “Chọn cả lớp” ticks what is shown, the
    counter follows; the group reaches its member only; “Bỏ giao” removes it after a confirm."""
    from lms.exams.models import ExamAssignment, ExamAssignmentMember
    from tests.lms.exams_setup import published_exam

    exam = published_exam(org)
    page = phone
    log_in_at(page, in_process_server, "teacherx")
    page.goto(f"{in_process_server}/teacher/exams/{exam.id}#group")
    form = page.get_by_test_id("group-form")
    form.get_by_label("Lọc theo tên").fill("tran thi be")      # Trần Thị Bê, no accents typed
    expect(form.locator("[data-group-student]:visible")).to_have_count(1)
    form.get_by_role("button", name="Chọn cả lớp").first.click()
    expect(form.locator("[data-group-count]")).to_have_text("Đã chọn 1 học sinh")
    form.get_by_label("Tên nhóm").fill("Nhóm thi lại")
    assert _fits(page)
    screenshot(page, "exam-group-picker-phone")
    form.get_by_test_id("add-group").click()
    rows = page.get_by_test_id("assignment-row")
    expect(rows).to_have_count(2)                               # 10A1 and the group
    group_row = rows.filter(has_text="Nhóm thi lại")
    expect(group_row).to_contain_text("1 học sinh")

    db.session.expire_all()
    group = db.session.scalar(db.select(ExamAssignment).where(ExamAssignment.name.is_not(None)))
    members = db.session.scalars(db.select(ExamAssignmentMember.user_id).where(
        ExamAssignmentMember.assignment_id == group.id)).all()
    assert members == [org.student_b.id]

    # edit the group: add Nguyễn Văn Á through the filter of the row's own picker
    group_row.get_by_text("Sửa danh sách học sinh của nhóm").click()
    editor = group_row.locator("form[data-group-picker]")
    editor.locator("[data-group-filter]").fill("nguyen van a")
    expect(editor.locator("[data-group-student]:visible")).to_have_count(1)
    editor.locator("[data-group-student]:visible input").check()
    expect(editor.locator("[data-group-count]")).to_have_text("Đã chọn 2 học sinh")
    assert _fits(page)
    screenshot(page, "exam-group-edit-phone")
    editor.get_by_role("button", name="Lưu danh sách").click()
    expect(page.get_by_text("thêm 1, bỏ 0")).to_be_visible()
    group_row = page.get_by_test_id("assignment-row").filter(has_text="Nhóm thi lại")
    expect(group_row).to_contain_text("2 học sinh")

    page.once("dialog", lambda dialog: dialog.accept())
    group_row.get_by_role("button", name="Bỏ giao").click()
    expect(page.get_by_test_id("assignment-row")).to_have_count(1)
    expect(page.get_by_test_id("assignment-row")).not_to_contain_text("Nhóm thi lại")
    assert _fits(page)
