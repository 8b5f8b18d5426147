"""Issue 4 "Done when", end to end in Chromium against the real app under gunicorn with the
demo data: a teacher builds a matrix test with mã đề variants, publishes and assigns it to
10A1; a student takes it on a phone through a Wi-Fi drop; a second student's attempt is left
open past its deadline and the server's sweep closes it; the teacher reads results and item
analysis, downloads the exports, a paper per mã đề and the answer sheet. Every teacher page of
the test is checked for sideways scrolling on a phone and a desktop, with screenshots.

The module runs its own live server (same helpers as the shared one) so it knows the instance
and can run the sweep exactly as Celery beat would, in a separate process on the same database.
The essay-only pages (grading queue, regrade) are checked on a phone with the in-process server.
"""

import csv
import io
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DESKTOP, PHONE, _require_chromium, _require_compiled_catalogue
from tests.live_server import ROOT, LiveServer, instance_env, prepare_instance, require_vendor_files

pytestmark = pytest.mark.e2e
PASSWORD = "hoclieu-demo"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: (section index, topic, level name, count): 8 questions, all from the demo bank.
CELLS = [(0, "Hàm số bậc hai", "Nhận biết", 2), (0, "Hàm số bậc hai", "Thông hiểu", 2),
         (0, "Hệ thức lượng trong tam giác", "Nhận biết", 2),
         (1, "Hàm số bậc hai", "Thông hiểu", 1),
         (2, "Hệ thức lượng trong tam giác", "Vận dụng", 1)]
SECTIONS = ("Phần I", "Phần II", "Phần III")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base URL, environment) of a fresh demo instance served by gunicorn."""
    _require_chromium()
    require_vendor_files()
    _require_compiled_catalogue()
    instance = tmp_path_factory.mktemp("e2e-done-when")
    env = instance_env(instance)
    prepare_instance(env)
    live = LiveServer(env, log_path=instance / "gunicorn.log")
    live.start()
    yield live.url, env, instance / "hoclieu.sqlite"
    live.stop()


def _context(browser, base_url, options):
    context = browser.new_context(base_url=base_url, accept_downloads=True, **options)
    context.set_default_timeout(20_000)
    return context


def _log_in(page, username: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _current(page):
    return page.locator("section.exam-question:not([hidden])")


def _start(page, exam_id: int) -> int:
    page.goto(f"/exams/{exam_id}")
    page.get_by_test_id("start-button").click()
    page.wait_for_url(re.compile(r"/exams/attempts/\d+$"))
    page.wait_for_selector("#exam-take[data-ready=true]")
    return int(page.url.rsplit("/", 1)[1])


def _attempt(db_path, attempt_id: int) -> dict:
    with sqlite3.connect(db_path) as con:
        con.row_factory = sqlite3.Row
        row = con.execute("SELECT * FROM attempt WHERE id = ?", (attempt_id,)).fetchone()
        answers = con.execute("SELECT slot FROM attempt_answer WHERE attempt_id = ?",
                              (attempt_id,)).fetchall()
    return {**dict(row), "answered": {a["slot"] for a in answers}}


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _sweep(env, at: datetime) -> int:
    """The Celery beat task, run once in its own process against the instance's database, with
    that process's clock set to ``at`` (UTC) instead of waiting for it."""
    code = ("import sys, time_machine\nfrom datetime import datetime, timezone\n"
            "from wsgi import app\nfrom lms.exams.tasks import close_overdue\n"
            "at = datetime.fromisoformat(sys.argv[1]).replace(tzinfo=timezone.utc)\n"
            "with time_machine.travel(at, tick=False), app.app_context():\n"
            "    print(close_overdue())")
    result = subprocess.run([sys.executable, "-c", code, at.isoformat()], cwd=ROOT, env=env,
                            text=True, capture_output=True, timeout=120, check=True)
    return int(result.stdout.strip().splitlines()[-1])


def test_matrix_test_with_variants_from_build_to_print(browser, server, screenshot):
    base_url, env, db_path = server
    teacher_ctx = _context(browser, base_url, DESKTOP)
    teacher = teacher_ctx.new_page()
    _log_in(teacher, "teacher")

    # --- the teacher builds a matrix test with two mã đề, publishes and assigns it
    teacher.goto("/teacher/exams/")
    teacher.get_by_test_id("new-matrix-exam").click()
    expect(teacher.get_by_test_id("matrix-form")).to_be_visible()
    teacher.get_by_label("Tên bài kiểm tra").fill("Kiểm tra giữa kì — Toán 10")
    for section, topic, level, count in CELLS:
        teacher.get_by_label(f"{SECTIONS[section]} · {topic} · {level}", exact=True).fill(
            str(count))
    teacher.get_by_label("Cách tạo đề").select_option("variants")
    teacher.get_by_label("Số mã đề").fill("2")
    teacher.get_by_label("10A1").check()
    teacher.get_by_label("Phát hành ngay").check()
    screenshot(teacher, "done-when-matrix-desktop")
    teacher.get_by_test_id("matrix-build").click()
    teacher.wait_for_url(re.compile(r"/exams/\d+/variants$"))
    exam_id = int(teacher.url.split("/")[-2])
    expect(teacher.get_by_test_id("variant-codes").get_by_role("link")).to_have_count(2)
    expect(teacher.get_by_test_id("paper-question")).to_have_count(8)
    expect(teacher.get_by_test_id("tab-variants")).to_have_attribute("aria-current", "page")
    codes = [re.sub(r"\D", "", t) for t in
             teacher.get_by_test_id("variant-codes").get_by_role("link").all_inner_texts()]
    assert len(set(codes)) == 2 and all(len(c) == 3 for c in codes)

    # a 1-minute limit, closed automatically; the phone student gets 30 minutes more
    teacher.get_by_test_id("tab-settings").click()
    teacher.get_by_label("Thời gian làm bài").fill("1")
    teacher.get_by_label("Khi hết giờ").select_option(label="Tự động nộp")
    teacher.get_by_test_id("save-settings").click()
    expect(teacher.get_by_text("Đã lưu cài đặt.")).to_be_visible()
    teacher.get_by_test_id("tab-results").click()
    row = teacher.get_by_test_id("student-row").filter(has_text="Đỗ Minh Anh")
    row.locator("summary").click()
    row.get_by_label("Thêm giờ (phút)").fill("30")
    row.get_by_role("button", name="Lưu", exact=True).click()
    expect(teacher.get_by_text("Đã lưu thời gian riêng của học sinh.")).to_be_visible()

    # --- the second student starts, saves one answer and walks away (the phone is lost)
    late_ctx = _context(browser, base_url, PHONE)
    late = late_ctx.new_page()
    _log_in(late, "student2")
    late_id = _start(late, exam_id)
    _current(late).locator(".exam-option").first.click()
    expect(late.get_by_test_id("save-status")).to_have_text("Đã lưu")
    late_ctx.close()

    # --- the first student takes it on a phone through a Wi-Fi drop
    phone_ctx = _context(browser, base_url, PHONE)
    phone = phone_ctx.new_page()
    _log_in(phone, "student")
    attempt_id = _start(phone, exam_id)
    status = phone.get_by_test_id("save-status")
    expect(status).to_have_text("Đã lưu")
    phone_ctx.set_offline(True)
    for _ in range(3):                                  # three Phần I questions offline
        _current(phone).locator(".exam-option").nth(1).click()
        phone.get_by_test_id("next").click()
    expect(status).to_have_text("Chưa lưu, đang thử lại")
    expect(phone.locator(".exam-cell.answered")).to_have_count(3)
    assert _attempt(db_path, attempt_id)["answered"] == set()
    assert _fits(phone)
    screenshot(phone, "done-when-take-offline-phone")
    phone_ctx.set_offline(False)
    expect(status).to_have_text("Đã lưu", timeout=15_000)
    assert len(_attempt(db_path, attempt_id)["answered"]) == 3
    phone.get_by_test_id("submit").click()
    expect(phone.get_by_test_id("submit-unanswered")).to_contain_text("Câu chưa trả lời")
    phone.get_by_test_id("submit-confirm").click()
    phone.wait_for_url(re.compile(rf"/exams/attempts/{attempt_id}/result$"))
    screenshot(phone, "done-when-result-phone")
    taken = _attempt(db_path, attempt_id)
    assert taken["state"] == "finished" and len(taken["answered"]) == 3
    phone_ctx.close()

    # --- the server closes the abandoned attempt at its deadline (the beat task's sweep)
    late_row = _attempt(db_path, late_id)
    assert late_row["state"] == "in_progress"
    deadline = _when(late_row["deadline"])
    assert deadline > datetime.now(UTC).replace(tzinfo=None)      # still open for real
    assert _sweep(env, deadline - timedelta(seconds=1)) == 0         # not before its time
    assert _sweep(env, deadline + timedelta(seconds=1)) == 1
    closed = _attempt(db_path, late_id)
    assert closed["state"] == "finished" and _when(closed["finished_at"]) == deadline
    assert len(closed["answered"]) == 1 and closed["score"] is not None

    # --- results, report and item analysis
    teacher.get_by_test_id("tab-results").click()
    for name, stored in (("Đỗ Minh Anh", taken), ("Võ Gia Bảo", closed)):
        student_row = teacher.get_by_test_id("student-row").filter(has_text=name)
        expect(student_row.get_by_test_id("attempt-row")).to_contain_text("Đã nộp")
        grade = f"{Decimal(str(stored['grade'])):.2f}".replace(".", ",")   # the stored grade
        expect(student_row.get_by_test_id("final-grade")).to_have_text(grade)
    teacher.get_by_test_id("tab-report").click()
    expect(teacher.get_by_test_id("summary")).to_contain_text("2")
    expect(teacher.get_by_text("Cronbach α").first).to_be_visible()

    # --- exports
    teacher.get_by_test_id("tab-export").click()
    with teacher.expect_download() as info:
        teacher.get_by_test_id("export-csv").click()
    rows = list(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    assert len(rows) == 3 and {"student", "student2"} <= {c for r in rows for c in r}
    xlsx = teacher.request.get(f"/exams/{exam_id}/export.xlsx")
    assert xlsx.ok and xlsx.headers["content-type"] == XLSX
    from openpyxl import load_workbook
    book = load_workbook(io.BytesIO(xlsx.body()))
    assert len(book.sheetnames) == 2 and book.worksheets[0].max_row == 3

    # --- paper mode: a mã đề as .docx, the answer sheet as PDF
    teacher.get_by_test_id("tab-print").click()
    with teacher.expect_download() as info:
        teacher.get_by_test_id(f"paper-docx-{codes[1]}").click()
    from docx import Document
    document = Document(info.value.path())
    text = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for r in t.rows for c in r.cells])
    assert codes[1] in text and "Phần I" in text.replace("PHẦN", "Phần")
    docx = teacher.request.get(f"/exams/{exam_id}/paper.docx?code={codes[0]}")
    assert docx.ok and docx.headers["content-type"] == DOCX and len(docx.body()) > 2000
    sheet = teacher.request.get(f"/exams/{exam_id}/answer-sheet.pdf")
    assert sheet.ok and sheet.headers["content-type"] == "application/pdf"
    assert sheet.body().startswith(b"%PDF") and len(sheet.body()) > 1000

    # --- every tab on a desktop and a phone: nothing scrolls sideways
    tabs = teacher.get_by_test_id("exam-tabs").get_by_role("link")
    urls = [(tabs.nth(i).get_attribute("data-testid"), tabs.nth(i).get_attribute("href"))
            for i in range(tabs.count())]
    assert [key for key, _url in urls] == [
        "tab-edit", "tab-settings", "tab-results", "tab-report", "tab-export", "tab-variants",
        "tab-print", "tab-integrity"]                    # no essays: no grading tab
    teacher_phone_ctx = _context(browser, base_url, PHONE)
    teacher_phone = teacher_phone_ctx.new_page()
    _log_in(teacher_phone, "teacher")
    for view, name in ((teacher, "desktop"), (teacher_phone, "phone")):
        for key, url in urls:
            view.goto(url)
            expect(view.get_by_test_id(key)).to_have_attribute("aria-current", "page")
            expect(view.get_by_test_id("exam-title")).to_have_text("Kiểm tra giữa kì — Toán 10")
            assert _fits(view), f"{url} scrolls sideways on a {name}"
            screenshot(view, f"done-when-{key}-{name}")
    for url, name in (("/teacher/exams/", "index"), ("/teacher/exams/new", "new"),
                      ("/exams/matrix/new", "matrix")):
        teacher_phone.goto(url)
        assert _fits(teacher_phone), f"{url} scrolls sideways on a phone"
        screenshot(teacher_phone, f"done-when-{name}-phone")
    teacher_phone_ctx.close()
    teacher_ctx.close()


def test_grading_queue_and_regrade_keep_the_header_on_a_phone(app, db, org, in_process_server,
                                                             browser, screenshot):
    """The pages only an essay test has (Chấm tự luận) and the regrade page, on a phone."""
    from lms.core.models import utcnow
    from lms.exams import services
    from tests.e2e.browser_helpers import log_in_at
    from tests.lms.test_exams_grading import essay_exam

    exam = essay_exam(org)
    attempt = services.start_attempt(org.student_a, exam, utcnow())
    db.session.commit()
    services.submit(org.student_a, attempt.id, utcnow())
    db.session.commit()
    context = browser.new_context(base_url=in_process_server, **PHONE)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in_at(page, in_process_server, "teacherx")
        for url, key in ((f"/exams/{exam.id}/grading", "tab-grading"),
                         (f"/exams/{exam.id}/regrade", "tab-report")):
            page.goto(url)
            expect(page.get_by_test_id(key)).to_have_attribute("aria-current", "page")
            assert _fits(page), url
            screenshot(page, f"done-when-{url.rsplit('/', 1)[1]}-phone")
        page.goto(f"/exams/{exam.id}/grading")
        expect(page.get_by_test_id("grading-item")).to_be_visible()
    finally:
        context.close()
