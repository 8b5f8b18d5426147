"""The teacher's matrix form and variant preview pages (the API's services behind a form)."""

import html
import re

import pytest
from sqlalchemy import select

from lms.exams.models import Exam, ExamAssignment, ExamVariant
from lms.extensions import db
from tests.conftest import csrf_token_from, login
from tests.lms.matrix_setup import add_questions, levels, make_bank, topic

FORM = "/exams/matrix/new?subject=TOAN&grade=10"


@pytest.fixture
def bank(org):
    return make_bank(org)


def _grid(bank, counts: dict) -> dict:
    """Form fields: counts {(section index, topic key, level): n}."""
    return {f"n-{i}-{bank[key].id}-{level}": str(n) for (i, key, level), n in counts.items()}


def _post(client, bank, counts, **extra):
    token = csrf_token_from(client.get(FORM).get_data(as_text=True))
    data = {"csrf_token": token, "subject": "TOAN", "grade": "10", "scale": "4LEVEL",
            "title": "Giữa kì I", "name-0": "Phần I", "type-0": "single_choice",
            "points-0": "0.25", "name-1": "Phần II", "type-1": "true_false_4", "points-1": "1",
            "name-2": "Phần III", "type-2": "short_numeric", "points-2": "0.5",
            **_grid(bank, counts), **extra}
    return client.post("/exams/matrix/new", data=data)


COUNTS = {(0, "ham_so", "NB"): 4, (0, "vecto", "NB"): 2, (1, "ham_so", "TH"): 2,
          (2, "vecto", "VD"): 2}


def test_the_form_shows_topics_levels_and_what_the_bank_has(client, org, bank):
    login(client, "teacherx")
    page = client.get(FORM)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Hàm số bậc hai" in text and "VDC" in text
    # the chapter Hàm số counts its topic's questions: 3 + 2 single-choice NB
    cell = f'name="n-0-{bank["ham_so"].id}-NB"'
    assert cell in text
    after = text[text.index(cell):]
    assert re.search(r">/5<", after[:600])


def test_building_publishing_and_assigning_from_the_form(client, org, bank):
    login(client, "teacherx")
    reply = _post(client, bank, COUNTS, generation="variants", variant_count="3",
                  code_digits="4", publish="1", class_ids=str(org.class_x.id))
    assert reply.status_code == 302, reply.get_data(as_text=True)[:2000]
    exam = db.session.scalar(select(Exam))
    assert exam.state.value == "published" and len(exam.snapshot) == 10
    assert exam.settings["generation"] == "variants"
    assert db.session.scalar(select(ExamAssignment)).class_id == org.class_x.id
    codes = [v.code for v in db.session.scalars(select(ExamVariant))]
    assert len(codes) == 3 and all(len(c) == 4 for c in codes)
    page = client.get(reply.headers["Location"])
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and all(f"Mã đề {c}" in text for c in codes)
    assert text.count('data-testid="paper-question"') == 10
    assert 'data-testid="answer-key"' in text
    other = client.get(f"/exams/{exam.id}/variants/{codes[-1]}")
    assert other.status_code == 200 and f'data-testid="paper-code">Mã đề {codes[-1]}' in \
        other.get_data(as_text=True)


def test_short_cells_are_marked_in_the_form_and_nothing_is_stored(client, org, bank):
    login(client, "teacherx")
    reply = _post(client, bank, {**COUNTS, (0, "ham_so", "NB"): 9, (1, "vecto", "VDC"): 1})
    assert reply.status_code == 400
    text = html.unescape(reply.get_data(as_text=True))
    assert "Phần I · Hàm số · NB: cần 9, có 5, thiếu 4" in text
    assert "Phần II · Vectơ · VDC: cần 1, có 0, thiếu 1" in text
    marked = re.findall(r'is-invalid"[^>]*name="(n-[^"]+)"', text)
    assert sorted(marked) == sorted([f"n-0-{bank['ham_so'].id}-NB",
                                     f"n-1-{bank['vecto'].id}-VDC"])
    assert 'value="9"' in text                          # the teacher's input is kept
    assert db.session.scalar(select(Exam)) is None


def test_bad_counts_are_listed_with_their_cells(client, org, bank):
    login(client, "teacherx")
    reply = _post(client, bank, {(0, "ham_so", "NB"): "abc"}, **{"points-0": "-1"})
    assert reply.status_code == 400
    text = html.unescape(reply.get_data(as_text=True))
    assert "sections[0].cells[0].count" in text and "sections[0].cells[0].points" in text


def test_preview_pages_are_only_for_the_owner(client, org, bank):
    login(client, "teacherx")
    _post(client, bank, COUNTS, generation="variants", variant_count="2", publish="1")
    exam = db.session.scalar(select(Exam))
    code = db.session.scalars(select(ExamVariant)).first().code
    client.post("/logout", data={"csrf_token": csrf_token_from(
        client.get("/").get_data(as_text=True))})
    for username, status in (("teachery", 403), ("hsa", 404)):
        login(client, username)
        assert client.get(f"/exams/{exam.id}/variants").status_code == status
        reply = client.get(f"/exams/{exam.id}/variants/{code}")
        assert reply.status_code == status and "answer-key" not in reply.get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_token_from(
            client.get("/").get_data(as_text=True))})
    login(client, "hsa")
    assert client.get(FORM).status_code == 403


def test_topic_names_and_question_text_are_escaped(client, org, bank):
    probe = "<script>alert(1)</script>"
    chapter = topic(f"Chủ đề {probe}")
    add_questions(org.teacher_x, chapter, "NB", "single_choice", 1)
    db.session.commit()
    login(client, "teacherx")
    text = client.get(FORM).get_data(as_text=True)
    assert probe not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert levels()["NB"]
