"""The key pages work in Chromium under the Content-Security-Policy (issue 10 §1.9): login,
dashboard, question editor, a test's pages (publish, report), the class page, the admin tree,
taking a test, its result, an authored lesson and a SCORM package — with no
``securitypolicyviolation`` event and no CSP message in the console, in any frame. A control
shows the collector sees what the policy blocks."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.core.models import utcnow
from lms.exams import services as exams
from lms.kernel import db
from lms.lessons.models import LessonProgress
from lms.questions import services as questions
from tests.conftest import api_token
from tests.e2e.browser_helpers import log_in_at
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.test_scorm_player import SCO_12
from tests.lms.authored_helpers import published_lesson
from tests.lms.exams_setup import bank_questions, published_exam
from tests.lms.lessons_helpers import MANIFEST_12, upload
from tests.media.zipbuild import build_zip

pytestmark = pytest.mark.e2e

#: Runs first in every document and frame: keeps each violation the page reports.
COLLECT = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""
LINK = "https://thamkhao.example/tai-lieu"


class Watched:
    """A page whose CSP violations (every frame), CSP console messages and uncaught errors
    are kept."""

    def __init__(self, browser, base: str, options: dict):
        self.context = browser.new_context(base_url=base, **options)
        self.context.set_default_timeout(15_000)
        self.context.add_init_script(COLLECT)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.base = base

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.console.append(message.text)

    def violations(self) -> list[str]:
        found = []
        for frame in self.page.frames:
            try:
                found += frame.evaluate("window.__csp || []")
            except Exception as error:  # noqa: BLE001 — a frame that went away has nothing
                found.append(f"(frame {frame.url} unreadable: {error})")
        return found

    def assert_clean(self, where: str) -> None:
        assert (self.violations(), self.console, self.errors) == ([], [], []), where

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser, in_process_server):
    opened: list[Watched] = []

    def open_page(options=DESKTOP) -> Watched:
        opened.append(Watched(browser, in_process_server, options))
        return opened[-1]

    yield open_page
    for item in opened:
        item.close()


def _finished_attempt(org, exam) -> None:
    """Student B sat the test already, so the report has a histogram to draw."""
    attempt = exams.start_attempt(org.student_b, exam, utcnow() - timedelta(minutes=5))
    exams.submit(org.student_b, attempt.id, utcnow())
    db.session.commit()


def test_teacher_and_admin_pages_run_under_the_policy(app, db, org, in_process_server,
                                                      watched):
    from playwright.sync_api import expect

    exam = published_exam(org)
    _finished_attempt(org, exam)
    draft = exams.create_exam(org.teacher_x, "Nháp", [q.id for q in bank_questions(
        org.teacher_x, ("true_false",))])
    linked = questions.create_question(
        org.teacher_x, questions.QuestionMeta(subject_id=_subject_id(), grade=10),
        {"schema": 1, "type": "true_false", "answer": True,
         "text_html": f'<p>Đọc <a href="{LINK}">tài liệu</a> rồi trả lời.</p>'})
    db.session.commit()

    watch = watched()
    page = watch.page
    page.goto("/login")
    watch.assert_clean("login")
    log_in_at(page, in_process_server, "teacherx")
    watch.assert_clean("dashboard")

    page.goto("/questions/new")
    page.get_by_test_id("type-single_choice").click()
    editor = page.locator("#question-editor")
    editor.get_by_label("Nội dung câu hỏi").fill("Nghiệm của \\(x^2 = 4\\) là")
    for index, text in enumerate(["x = 2 hoặc x = -2", "x = 2", "x = 4", "Vô nghiệm"]):
        editor.get_by_placeholder("Nội dung phương án").nth(index).fill(text)
    expect(page.get_by_test_id("question-preview").locator("math")).to_have_count(1)
    watch.assert_clean("question editor with live preview")

    page.goto(f"/questions/{linked.id}")
    link = page.locator(f'a[href="{LINK}"]').first
    expect(link).to_have_attribute("target", "_blank")
    after = link.evaluate("a => getComputedStyle(a, '::after').content")
    assert "thamkhao.example" in after                      # the target is shown after the text
    watch.assert_clean("question page with a link")

    page.goto(f"/teacher/exams/{draft.id}")
    page.once("dialog", lambda dialog: dialog.accept())      # data-confirm asks first
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("exam-tabs")).to_be_visible()
    db.session.expire_all()
    assert exams.load_exam(draft.id).state.value == "published"
    watch.assert_clean("publishing a test")

    page.goto(f"/exams/{exam.id}/report")
    bar = page.locator(".histogram .bar").first
    expect(bar).to_be_visible()
    heights = page.locator(".histogram .bar").evaluate_all(
        "bars => bars.map(b => b.style.height)")
    assert any(h.endswith("%") and h != "0%" for h in heights), heights   # sized by app.js
    watch.assert_clean("report")

    page.goto(f"/schools/classes/{org.class_x.id}")
    page.once("dialog", lambda dialog: dialog.dismiss())     # Cancel keeps the page
    page.locator("form[data-confirm] button").first.click()
    expect(page).to_have_url(re.compile(rf"/schools/classes/{org.class_x.id}$"))
    db.session.refresh(org.student_a)
    assert not org.student_a.must_change_password
    watch.assert_clean("class page")

    admin = watched()
    log_in_at(admin.page, in_process_server, "admin1")
    admin.page.goto("/admin/units")
    pads = admin.page.locator(".unit-node").evaluate_all(
        "rows => rows.map(r => parseFloat(getComputedStyle(r).paddingLeft))")
    assert len(set(pads)) >= 3, pads                        # the tree indents by depth
    admin.assert_clean("admin unit tree")


def _subject_id() -> int:
    from lms.curriculum.models import Subject

    return db.session.scalar(select(Subject.id).where(Subject.code == "TOAN"))


def test_student_pages_run_under_the_policy(app, db, org, client, in_process_server, watched):
    from playwright.sync_api import expect

    published_exam(org, {"time_limit_minutes": 30})
    lesson = published_lesson(client, org)["lesson"]
    package = build_zip({"imsmanifest.xml": MANIFEST_12, "Content/index.html": SCO_12})
    created = upload(client, api_token(client, "teacherx"), "scorm", package, "sco.zip")
    assert created.status_code == 201, created.get_json()
    scorm_id = created.get_json()["lesson"]["id"]

    watch = watched(PHONE)
    page = watch.page
    log_in_at(page, in_process_server, "hsa")
    page.goto("/exams/")
    page.get_by_test_id("start").click()
    page.get_by_test_id("start-button").click()
    page.wait_for_selector("#exam-take[data-ready=true]")
    page.locator("section.exam-question:not([hidden]) .exam-option").first.click()
    expect(page.get_by_test_id("save-status")).to_have_text("Đã lưu")
    watch.assert_clean("taking a test")
    page.get_by_test_id("submit").click()
    page.get_by_test_id("submit-confirm").click()
    page.wait_for_url(re.compile(r"/exams/attempts/\d+/result$"))
    watch.assert_clean("result")

    page.goto(f"/lessons/{lesson['id']}/read")
    expect(page.locator("math").first).to_be_visible()
    watch.assert_clean("authored lesson")

    page.goto(f"/lessons/{scorm_id}/play")
    for _ in range(50):
        db.session.expire_all()
        row = db.session.scalar(select(LessonProgress).where(
            LessonProgress.lesson_id == scorm_id))
        if row is not None and row.status == "passed":
            break
        page.wait_for_timeout(200)
    assert row is not None and row.status == "passed"       # the sandboxed SCO talked to us
    watch.assert_clean("SCORM player and its sandboxed content")


def test_the_collector_sees_what_the_policy_blocks(db, org, in_process_server, watched):
    """Control: an injected inline script does not run and is reported, as is a picture
    from another host — so an empty list above means nothing was blocked."""
    watch = watched()
    watch.page.goto("/login")
    ran = watch.page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.__ran = true";
        document.body.appendChild(script);
        const img = document.createElement("img");
        img.src = "https://tracker.example/p.png";
        document.body.appendChild(img);
        return window.__ran === true;
    }""")
    assert ran is False
    watch.page.wait_for_function("window.__csp.length >= 2")
    kinds = sorted(v.split()[0] for v in watch.violations())
    assert kinds == ["img-src", "script-src-elem"], kinds
