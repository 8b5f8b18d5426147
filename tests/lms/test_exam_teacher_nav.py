"""One header with tabs on every teacher page of a test (lms/exams/teacher_nav.py), the
export and print pages, and that the owner-only rule of each page is unchanged
(security.md 2, 14)."""

import re

import pytest
from sqlalchemy import select

from lms.exams import manage
from lms.exams.models import Exam
from lms.kernel import db
from tests.conftest import login
from tests.lms.exams_setup import published_exam
from tests.lms.matrix_setup import make_bank
from tests.lms.test_exams_grading import essay_exam
from tests.lms.test_exams_matrix_pages import COUNTS, _post


def _tabs(html: str) -> list[str]:
    return re.findall(r'data-testid="tab-(\w+)"', html)


def _active(html: str) -> list[str]:
    return re.findall(r'data-testid="tab-(\w+)" aria-current="page"', html)


PAGES = {"edit": "/teacher/exams/{id}", "settings": "/teacher/exams/{id}/settings",
         "results": "/teacher/exams/{id}/results", "report": "/exams/{id}/report",
         "export": "/teacher/exams/{id}/export", "print": "/teacher/exams/{id}/print",
         "integrity": "/exams/{id}/integrity"}


def test_every_page_of_a_published_test_shows_the_same_tabs(client, org):
    exam = published_exam(org)
    login(client, "teacherx")
    for key, url in PAGES.items():
        page = client.get(url.format(id=exam.id))
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        # no essay: no grading tab; a fixed paper: no mã đề tab
        assert _tabs(html) == ["edit", "settings", "results", "report", "export", "print",
                               "integrity"], url
        assert _active(html) == [key], url
        assert 'data-testid="exam-title">Kiểm tra 15 phút<' in html
    regrade = client.get(f"/exams/{exam.id}/regrade").get_data(as_text=True)
    assert _active(regrade) == ["report"]


def test_grading_tab_only_with_hand_graded_slots(client, org):
    exam = essay_exam(org)
    login(client, "teacherx")
    html = client.get(f"/exams/{exam.id}/grading").get_data(as_text=True)
    assert "grading" in _tabs(html) and _active(html) == ["grading"]


def test_variants_tab_and_print_page_list_every_code(client, org):
    bank = make_bank(org)
    login(client, "teacherx")
    _post(client, bank, COUNTS, generation="variants", variant_count="3", publish="1",
          class_ids=str(org.class_x.id), **{"points-0": "0,25"})   # the form's decimal comma
    exam = db.session.scalar(select(Exam))
    assert {e["points"] for e in exam.snapshot if e["section"] == "Phần I"} == {"0.25"}
    codes = sorted(v.code for v in exam.variants)
    preview = client.get(f"/exams/{exam.id}/variants/{codes[1]}").get_data(as_text=True)
    assert "variants" in _tabs(preview) and _active(preview) == ["variants"]
    assert "từ ma trận Toán, khối 10" in preview and "0,25 điểm" in preview
    page = client.get(f"/teacher/exams/{exam.id}/print").get_data(as_text=True)
    for code in codes:
        assert f'href="/exams/{exam.id}/paper.docx?code={code}"' in page
        assert f'href="/exams/{exam.id}/paper.pdf?code={code}"' in page
    assert f'href="/exams/{exam.id}/answer-sheet.pdf"' in page
    assert f'href="/exams/{exam.id}/answer-key.docx"' in page
    export = client.get(f"/teacher/exams/{exam.id}/export").get_data(as_text=True)
    for link in ("export.csv", "export.xlsx", "item-analysis.csv"):
        assert f'href="/exams/{exam.id}/{link}"' in export


def test_a_draft_has_three_tabs_and_its_print_page_asks_to_publish(client, org):
    draft = manage.create_draft(org.teacher_x, "Nháp")
    db.session.commit()
    login(client, "teacherx")
    html = client.get(f"/teacher/exams/{draft.id}").get_data(as_text=True)
    assert _tabs(html) == ["edit", "settings", "results"]
    page = client.get(f"/teacher/exams/{draft.id}/print").get_data(as_text=True)
    assert 'data-testid="print-draft"' in page and "paper.docx" not in page


def test_the_list_offers_both_ways_to_build_a_test(client, org):
    login(client, "teacherx")
    html = client.get("/teacher/exams/").get_data(as_text=True)
    assert 'href="/teacher/exams/new"' in html and 'href="/exams/matrix/new"' in html


@pytest.mark.parametrize("username,status", [("teachery", 404), ("hsa", 404)])
def test_only_the_owner_opens_the_new_pages(client, org, username, status):
    exam = published_exam(org)
    login(client, username)
    for url in ("/teacher/exams/{id}/export", "/teacher/exams/{id}/print"):
        assert client.get(url.format(id=exam.id)).status_code == status
    assert client.get("/teacher/exams/999999/print").status_code == 404


def test_the_demo_bank_fills_a_2025_matrix_and_goes_with_the_demo(db):
    """`make run` data: the demo teacher can build a three-part Toán 10 matrix test."""
    from lms.auth.models import User
    from lms.curriculum.models import Topic
    from lms.curriculum.seed import seed_curriculum
    from lms.demo import load_demo, remove_demo_accounts
    from lms.exams import matrix
    from question_bank.models import Question, QuestionStatus

    seed_curriculum()
    load_demo()
    teacher = db.session.scalar(select(User).where(User.username == "teacher"))
    approved = db.session.scalars(select(Question).where(
        Question.status == QuestionStatus.APPROVED, Question.topic_id.is_not(None))).all()
    assert len(approved) == 18 and len({q.topic_id for q in approved}) == 3

    def topic_id(name):
        return db.session.scalar(select(Topic.id).where(Topic.name == name, Topic.grade == 10))

    ham, tam_giac = topic_id("Hàm số bậc hai"), topic_id("Hệ thức lượng trong tam giác")
    spec = {"subject": "TOAN", "grade": 10, "sections": [
        {"name": "Phần I", "type": "single_choice",
         "cells": [{"topic_id": ham, "level": "NB", "count": 3, "points": "0.25"},
                   {"topic_id": ham, "level": "TH", "count": 3, "points": "0.25"},
                   {"topic_id": tam_giac, "level": "NB", "count": 3, "points": "0.25"}]},
        {"name": "Phần II", "type": "true_false_4",
         "cells": [{"topic_id": ham, "level": "TH", "count": 2, "points": "1"}]},
        {"name": "Phần III", "type": "short_numeric",
         "cells": [{"topic_id": tam_giac, "level": "VD", "count": 2, "points": "0.5"}]}]}
    exam = matrix.create_exam_from_matrix(teacher, "Giữa kì", spec, {"generation": "variants"})
    assert len(exam.selection) == 13
    db.session.commit()
    assert remove_demo_accounts() > 0
    assert db.session.scalar(select(Question.id)) is None
