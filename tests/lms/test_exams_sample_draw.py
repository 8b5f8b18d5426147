"""A sample random draw on the teacher's mã đề page: one paper and its key, drawn like a
student's, with no attempt made (docs/exams.md "Preview (teacher)")."""

import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from lms.core.errors import DomainError, NotFound
from lms.exams import variants
from lms.exams.models import Attempt, Exam, ExamState
from lms.kernel import db
from tests.conftest import login
from tests.lms.exams_setup import bearer
from tests.lms.matrix_setup import make_bank, matrix_json, rows_2025
from tests.lms.test_exams_matrix import _create, _exam_body

CELL_COUNTS = {0: 4, 1: 2, 2: 2, 3: 2}


@pytest.fixture
def bank(org):
    return make_bank(org)


def _random_draw_exam(client, org, bank, publish=True) -> Exam:
    body = {**_exam_body(matrix_json(rows_2025(bank)), org, "random_draw",
                         shuffle_questions=True, shuffle_options=True), "publish": publish}
    if not publish:
        body.pop("assign")
    reply = _create(client, bearer(client, "teacherx"), body)
    assert reply.status_code == 201, reply.get_json()
    return db.session.get(Exam, reply.get_json()["id"])


def _attempts() -> int:
    return db.session.scalar(select(func.count()).select_from(Attempt))


def _check_draw(sample: dict, snapshot: list[dict]) -> None:
    """The draw has each cell's count of distinct questions; each key is the entry's own."""
    by_slot = {e["slot"]: e for e in snapshot}
    slots = [q["slot"] for q in sample["questions"]]
    assert len(set(slots)) == len(slots) == 10
    assert Counter(by_slot[s]["cell"]["index"] for s in slots) == CELL_COUNTS
    assert [q["number"] for q in sample["questions"]] == list(range(1, 11))
    for question, key in zip(sample["questions"], sample["key"], strict=True):
        payload = by_slot[question["slot"]]["payload"]
        assert key["slot"] == question["slot"] and key["question"] == payload
        if payload["type"] == "single_choice":
            right = next(o["text_html"] for o in payload["options"] if o["correct"])
            shown = next(o for o in question["options"] if o["label"] == key["answer"])
            assert shown["text_html"] == right       # the letter points at the right option
    assert sample["points"] == "4.50"


def test_a_sample_draw_is_a_valid_paper_and_makes_no_attempt(client, org, bank):
    exam = _random_draw_exam(client, org, bank)
    first = variants.sample_draw(org.teacher_x, exam, seed=7)
    _check_draw(first, exam.snapshot)
    assert first["seed"] == 7 and first["pool"] == len(exam.snapshot) == 14
    assert variants.sample_draw(org.teacher_x, exam, seed=7) == first     # same seed, same draw
    draws = {tuple(q["slot"] for q in variants.sample_draw(org.teacher_x, exam, seed=s)
                   ["questions"]) for s in range(20)}
    assert len(draws) > 1                                                  # seeds differ
    fresh = {variants.sample_draw(org.teacher_x, exam)["seed"] for _ in range(3)}
    assert len(fresh) == 3                                                 # a new seed each time
    assert _attempts() == 0


def test_the_page_shows_a_draw_with_its_key_and_another_on_reload(client, org, bank):
    exam = _random_draw_exam(client, org, bank)
    login(client, "teacherx")
    page = client.get(f"/exams/{exam.id}/variants").get_data(as_text=True)
    assert "Xem thử một đề rút ngẫu nhiên" in page and 'data-testid="tab-variants"' in page
    assert f'href="/exams/{exam.id}/sample-draw"' in page
    seeds = set()
    for _ in range(2):
        reply = client.get(f"/exams/{exam.id}/sample-draw")
        text = reply.get_data(as_text=True)
        assert reply.status_code == 200
        assert text.count('data-testid="paper-question"') == 10
        assert 'data-testid="answer-key"' in text and "Rút đề khác" in text
        assert 'data-testid="tab-variants" aria-current="page"' in text
        seeds.add(re.search(r'data-testid="sample-seed"[^>]*>(\d+)<', text).group(1))
    assert len(seeds) == 2
    seed = seeds.pop()
    again = client.get(f"/exams/{exam.id}/sample-draw?seed={seed}").get_data(as_text=True)
    sample = variants.sample_draw(org.teacher_x, exam, seed=int(seed))
    places = [again.find(q["text_html"]) for q in sample["questions"]]   # the same paper
    assert -1 not in places and places == sorted(places), places
    assert _attempts() == 0


def test_a_draft_is_drawn_from_its_current_questions(client, org, bank):
    exam = _random_draw_exam(client, org, bank, publish=False)
    assert exam.state == ExamState.DRAFT and not exam.snapshot
    sample = variants.sample_draw(org.teacher_x, exam, seed=3)
    _check_draw(sample, variants.provisional_snapshot(exam))
    login(client, "teacherx")
    page = client.get(f"/exams/{exam.id}/sample-draw")
    assert page.status_code == 200 and 'data-testid="tab-variants"' in page.get_data(as_text=True)
    assert _attempts() == 0


def test_only_the_owner_of_a_random_draw_exam_gets_a_sample(client, org, bank):
    exam = _random_draw_exam(client, org, bank)
    with pytest.raises(NotFound):
        variants.sample_draw(org.teacher_y, exam)
    with pytest.raises(NotFound):
        variants.sample_draw(org.student_a, exam)
    login(client, "teachery")
    assert client.get(f"/exams/{exam.id}/sample-draw").status_code == 404
    fixed = _create(client, bearer(client, "teacherx"),
                    _exam_body(matrix_json(rows_2025(bank)), org)).get_json()["id"]
    with pytest.raises(DomainError) as error:
        variants.sample_draw(org.teacher_x, db.session.get(Exam, fixed))
    assert error.value.code == "not_random_draw"


def test_the_api_gives_the_same_draw_as_the_page(client, org, bank):
    exam = _random_draw_exam(client, org, bank)
    url = f"/api/v1/exams/{exam.id}/sample-draw"
    reply = client.get(url, headers=bearer(client, "teacherx"))
    assert reply.status_code == 200
    body = reply.get_json()
    _check_draw(body, exam.snapshot)
    again = client.get(f"{url}?seed={body['seed']}", headers=bearer(client, "teacherx"))
    assert again.get_json() == body
    assert client.get(url, headers=bearer(client, "teachery")).status_code == 404
    assert client.get(url, headers=bearer(client, "hsa")).status_code == 404
    bad = client.get(f"{url}?seed=-1", headers=bearer(client, "teacherx"))
    assert bad.status_code == 400 and "seed" in str(bad.get_json())
    fixed = _create(client, bearer(client, "teacherx"),
                    _exam_body(matrix_json(rows_2025(bank)), org)).get_json()["id"]
    refused = client.get(f"/api/v1/exams/{fixed}/sample-draw",
                         headers=bearer(client, "teacherx"))
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "not_random_draw"
    assert _attempts() == 0
