"""A teacher enters scores in the gradebook grid on a 360-px phone: each cell is saved as it
changes, the average appears with a decimal comma, a bad score is explained next to its cell,
and a cell someone else changed meanwhile is refused (409 stale), not overwritten."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.gradebook import services
from lms.gradebook.models import GradebookEntry
from lms.kernel import db as _db
from tests.e2e.browser_helpers import log_in_at
from tests.e2e.conftest import PHONE
from tests.lms.gradebook_setup import build_book

pytestmark = pytest.mark.e2e
NARROW = {**PHONE, "viewport": {"width": 360, "height": 740}}


@pytest.fixture
def narrow_page(browser, in_process_server):
    context = browser.new_context(base_url=in_process_server, **NARROW)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _row(page, student_id):
    return page.locator(f'tr[data-student="{student_id}"]')


def _saved(page):
    expect(page.locator("[data-grid-status]")).to_have_text("Đã lưu")


def test_teacher_fills_the_grid_on_a_phone(narrow_page, in_process_server, org, screenshot):
    page = narrow_page
    build_book(org)
    a, b = org.student_a.id, org.student_b.id
    log_in_at(page, in_process_server, "teacherx")
    page.goto(f"{in_process_server}/gradebook/classes/{org.class_x.id}/subjects/LICHSU")

    row = _row(page, a)
    for field, value in (("regular.1", "6"), ("regular.2", "8"), ("regular.3", "7,5"),
                         ("mid", "5"), ("end", "10")):
        row.locator(f'input[data-field="{field}"]').fill(value)
        row.locator(f'input[data-field="{field}"]').press("Tab")
        _saved(page)
    expect(row.locator("[data-average]")).to_have_text("7,7")

    bad = _row(page, b).locator('input[data-field="mid"]')
    bad.fill("8.25")
    bad.press("Tab")
    expect(bad).to_have_class("form-control form-control-sm gb-cell is-invalid")
    expect(_row(page, b).locator('input[data-field="mid"] + .invalid-feedback')).to_contain_text(
        "thập phân")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "gradebook-grid-360")

    # Someone else changes student A's term meanwhile: the page's next save is refused.
    services.save_scores(org.leader_x, org.class_x.id, "LICHSU", a, {"term": 1, "end": "9"})
    _db.session.commit()
    end = row.locator('input[data-field="end"]')
    end.fill("4")
    end.press("Tab")
    expect(row.locator('input[data-field="end"] + .invalid-feedback')).to_contain_text(
        "người khác")
    _db.session.expire_all()
    entry = _db.session.scalar(select(GradebookEntry).where(GradebookEntry.student_id == a))
    assert entry.end_term == "9"
    assert _db.session.scalar(select(GradebookEntry).where(
        GradebookEntry.student_id == b)) is None
