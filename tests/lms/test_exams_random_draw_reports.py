"""With ``random_draw`` each student answers only the questions they drew: a question's
statistics use only the attempts that drew it, and Cronbach's α does not apply when the
students answered different items (docs/exams.md "Item analysis")."""

import csv
import io
from decimal import Decimal

import pytest

from lms.exams import reports
from lms.exams.models import Attempt, Exam
from lms.kernel import db
from lms.org.models import Role
from tests.conftest import login
from tests.factories import UserFactory, member
from tests.lms.exams_setup import bearer
from tests.lms.matrix_setup import make_bank, matrix_json, rows_2025
from tests.lms.test_exams_matrix import _create, _exam_body, _take

D = Decimal
CHOICE = [{"id": k, "text_html": k, "correct": k == "b"} for k in "abc"]
SLOTS = [{"slot": 1, "points": "1", "type": "single_choice", "options": CHOICE},
         {"slot": 2, "points": "1", "type": "true_false"},
         {"slot": 3, "points": "1", "type": "true_false"}]


def _sitting(attempt_id, points, choice=None):
    points = {slot: D(value) for slot, value in points.items()}
    return reports.Sitting(attempt_id, sum(points.values(), D(0)), points,
                           {1: choice} if 1 in points else {})


def test_each_item_is_analysed_over_the_sittings_that_drew_it():
    """Four students, each given two of three items:

        student  item1  item2  item3  total
        S1         1      1      —      2
        S2         0      —      1      1      (left item 1 blank)
        S3         —      0      1      1
        S4         1      1      —      2
    """
    sittings = [_sitting(1, {1: 1, 2: 1}, ["b"]), _sitting(2, {1: 0, 3: 1}, None),
                _sitting(3, {2: 0, 3: 1}), _sitting(4, {1: 1, 2: 1}, ["b"])]
    stats = reports.item_statistics(sittings, SLOTS)
    by_slot = {item["slot"]: item for item in stats["items"]}
    assert [by_slot[s]["n"] for s in (1, 2, 3)] == [3, 3, 2]
    # item 1: 2 of the 3 who drew it (counting S3 as a 0 would give 2/4)
    assert by_slot[1]["facility"] == D(2) / 3 and by_slot[3]["facility"] == 1
    # item 2: groups of 1 among S1, S4 (2 points) and S3 (1): upper S1 → 1, lower S3 → 0
    assert by_slot[2]["discrimination"] == 1 and by_slot[2]["group_size"] == 1
    # item 3: S2 and S3 tie on 1 point: upper S2 (lower id), lower S3, both right
    assert by_slot[3]["discrimination"] == 0
    # the blank is S2's only: S3 did not draw item 1
    counts = {d["letter"]: d["count"] for d in by_slot[1]["distractors"]}
    assert counts == {"A": 0, "B": 2, "C": 0, "": 1}
    assert stats["alpha"] is None and stats["alpha_reason"] == "different_items"


def test_alpha_is_computed_when_every_sitting_has_the_same_items():
    sittings = [_sitting(1, {2: 1, 3: 1}), _sitting(2, {2: 0, 3: 1}),
                _sitting(3, {2: 0, 3: 0})]
    stats = reports.item_statistics(sittings, SLOTS[1:])
    # item variances 2/9 + 2/9; totals [2, 1, 0] variance 2/3 → α = 2 · (1 − 2/3) = 2/3
    assert reports.q(stats["alpha"]) == "0.6667" and stats["alpha_reason"] is None


@pytest.fixture
def drawn_exam(client, org):
    bank = make_bank(org)
    body = _exam_body(matrix_json(rows_2025(bank)), org, "random_draw")
    reply = _create(client, bearer(client, "teacherx"), body)
    assert reply.status_code == 201, reply.get_json()
    return db.session.get(Exam, reply.get_json()["id"])


def test_the_report_counts_only_the_drawn_questions(client, org, drawn_exam):
    exam = drawn_exam
    member(UserFactory(username="hsc", full_name="Lê Văn Xê"), Role.STUDENT, org.school_x,
           org.class_x)
    db.session.commit()
    for username in ("hsa", "hsb", "hsc"):
        _take(client, username, exam, {"Phần I", "Phần II", "Phần III"})   # all right
    attempts = db.session.query(Attempt).filter_by(exam_id=exam.id).all()
    drew = {e["slot"]: sum(e["slot"] in a.order for a in attempts) for e in exam.snapshot}
    teacher = bearer(client, "teacherx")

    data = client.get(f"/api/v1/exams/{exam.id}/item-analysis", headers=teacher).get_json()
    assert data["students"] == 3
    listed = {item["slot"]: item for item in data["items"]}
    # only questions someone drew are listed, each with the number of attempts that drew it
    assert set(listed) == {slot for slot, n in drew.items() if n}
    assert all(item["n"] == drew[slot] for slot, item in listed.items())
    # everyone answered every question they drew correctly: facility 1, no blanks
    assert {item["facility"] for item in listed.values()} == {"1.0000"}
    for item in listed.values():
        blank = [d["count"] for d in item.get("distractors", []) if d["id"] is None]
        assert blank in ([], [0])
    if len({tuple(sorted(a.order)) for a in attempts}) > 1:
        assert data["alpha"] is None and data["alpha_reason"] == "different_items"

    report = client.get(f"/api/v1/exams/{exam.id}/report", headers=teacher).get_json()
    assert report["max_points"] == "4.50"         # one paper (4 × 0.25 + …), not the pool
    assert report["summary"]["mean"] == "10.00"

    login(client, "teacherx")
    page = client.get(f"/exams/{exam.id}/report").get_data(as_text=True)
    assert page.count('data-testid="item-n"') == len(listed)
    if data["alpha_reason"]:
        assert "Không áp dụng" in page and "rút những câu khác nhau" in page
    rows = list(csv.reader(io.StringIO(client.get(
        f"/exams/{exam.id}/item-analysis.csv").data.decode("utf-8").lstrip("\ufeff"))))
    assert rows[0][-1] == "Số bài có câu này"
    question_rows = [r for r in rows[1:] if r[1]]
    assert {int(r[0]): int(r[-1]) for r in question_rows} == {
        slot: item["n"] for slot, item in listed.items()}
