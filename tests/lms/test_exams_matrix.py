"""Matrices (ma trận đề), variants (mã đề), random draws per student, and the variant preview."""

import random
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from lms.core.errors import DomainError
from lms.exams import matrix, services, variants
from lms.exams.models import Attempt, Exam, ExamMatrix, ExamVariant
from lms.kernel import db
from lms.questions import services as questions
from question_bank.models import QuestionStatus
from tests.lms.exams_setup import T0, bearer
from tests.lms.matrix_setup import (
    add_questions,
    levels,
    make_bank,
    matrix_json,
    rows_2025,
    toan,
    topic,
)


@pytest.fixture
def bank(org):
    return make_bank(org)


def _create(client, headers, body):
    return client.post("/api/v1/exams", json=body, headers=headers)


def _exam_body(spec, org, generation="fixed", **settings):
    return {"title": "Kiểm tra giữa kì", "matrix": spec,
            "settings": {"generation": generation, "review": "immediately", **settings},
            "assign": {"class_ids": [org.class_x.id]}, "publish": True}


# ---------------------------------------------------------------- building


def test_matrix_picks_the_right_count_per_cell_from_usable_questions(org, bank):
    level_ids = levels()
    # not usable: another school's draft, an archived own question, the wrong type or level,
    # another grade
    add_questions(org.teacher_y, bank["ham_so"], "NB", "single_choice", 3)
    archived = add_questions(org.teacher_x, bank["ham_so"], "NB", "single_choice", 1)[0]
    archived.move_to(QuestionStatus.ARCHIVED)
    add_questions(org.teacher_x, bank["ham_so"], "NB", "multiple_response", 2)
    add_questions(org.teacher_x, bank["vecto"], "VDC", "single_choice", 2)
    add_questions(org.teacher_x, topic("Hàm số", grade=11), "NB", "single_choice", 2)
    # usable: another school's approved question
    shared = add_questions(org.teacher_y, bank["vecto"], "NB", "single_choice", 1,
                           approve_by=org.reviewer)[0]
    db.session.commit()
    spec = matrix.normalise_matrix(matrix_json(rows_2025(bank)))
    pools = matrix.cell_pools(org.teacher_x, spec)
    assert [len(p) for p in pools] == [5, 4, 3, 3]          # chapter Hàm số = 3 + 2 in its topic
    assert shared in pools[1] and archived not in pools[0]
    assert all(q.author_id == org.teacher_x.id for q in pools[0])

    exam = matrix.create_exam_from_matrix(org.teacher_x, "KT", matrix_json(rows_2025(bank)))
    by_cell = Counter(entry["cell"]["index"] for entry in exam.selection)
    assert by_cell == {0: 4, 1: 2, 2: 2, 3: 2}
    for entry in exam.selection:
        question = db.session.get(questions.Question, entry["question_id"])
        cell = spec["sections"]
        section = next(s for s in cell if s["name"] == entry["section"])
        assert question.type == section["type"]
        assert question.level_id == level_ids[entry["cell"]["level"]]
        assert question.topic_id in {entry["cell"]["topic_id"], bank["bac_hai"].id}
    assert {e["points"] for e in exam.selection if e["section"] == "Phần I"} == {"0.25"}
    assert len({e["question_id"] for e in exam.selection}) == 10
    assert db.session.scalar(select(ExamMatrix).where(ExamMatrix.exam_id == exam.id)).spec == spec
    assert (exam.subject_id, exam.grade) == (toan().id, 10)


def test_a_question_matching_two_cells_is_used_once(org, bank):
    """Two sections of the same type over the same cell share no question."""
    rows = [("A", "single_choice", bank["vecto"].id, "NB", 2),
            ("B", "single_choice", bank["vecto"].id, "NB", 2)]
    with pytest.raises(DomainError) as error:
        matrix.create_exam_from_matrix(org.teacher_x, "KT", matrix_json(rows))
    assert error.value.details["cells"] == [{
        "cell": 1, "section": "B", "type": "single_choice", "topic_id": bank["vecto"].id,
        "topic": "Vectơ", "level": "NB", "level_name": "Nhận biết", "needed": 2,
        "available": 1, "missing": 1}]


def test_every_short_cell_is_reported_at_once(client, org, bank):
    rows = [("Phần I", "single_choice", bank["ham_so"].id, "NB", 7),      # 5 available
            ("Phần I", "single_choice", bank["vecto"].id, "NB", 2),       # enough
            ("Phần II", "true_false_4", bank["vecto"].id, "VDC", 4),      # none
            ("Phần III", "short_numeric", bank["vecto"].id, "VD", 3)]     # exactly enough
    reply = _create(client, bearer(client, "teacherx"), _exam_body(matrix_json(rows), org))
    assert reply.status_code == 400, reply.get_json()
    error = reply.get_json()["error"]
    assert error["code"] == "matrix_short"
    assert [(c["section"], c["topic"], c["level"], c["needed"], c["available"], c["missing"])
            for c in error["details"]["cells"]] == [
        ("Phần I", "Hàm số", "NB", 7, 5, 2), ("Phần II", "Vectơ", "VDC", 4, 0, 4)]
    assert "Phần I · Hàm số · NB" in error["message"] and "thiếu 2" in error["message"]
    assert "Phần II · Vectơ · VDC" in error["message"] and "thiếu 4" in error["message"]
    assert db.session.scalar(select(Exam)) is None


@pytest.mark.parametrize(("change", "field", "words"), [
    (lambda m: m["sections"][0]["cells"][0].update(topic_id=999_999),
     "sections[0].cells[0].topic_id", "999999"),
    (lambda m: m["sections"][0]["cells"][0].update(level="XYZ"),
     "sections[0].cells[0].level", "XYZ"),
    (lambda m: m["sections"][1]["cells"].append(dict(m["sections"][1]["cells"][0])),
     "sections[1].cells[1]", "Phần II"),
    (lambda m: m.update(subject="KHONGCO"), "subject", "KHONGCO"),
    (lambda m: m.update(grade=13), "grade", "12"),
])
def test_service_reports_each_matrix_problem_with_its_path(org, bank, change, field, words):
    spec = matrix_json(rows_2025(bank))
    change(spec)
    with pytest.raises(DomainError) as error:
        matrix.normalise_matrix(spec)
    assert error.value.code == "invalid_matrix"
    problems = error.value.details["problems"]
    assert [p["path"] for p in problems] == [field]
    assert words in problems[0]["message"] and field in error.value.message


def test_topic_of_another_grade_and_several_problems_are_all_listed(org, bank):
    other_grade = topic("Số hữu tỉ", grade=7)
    spec = matrix_json(rows_2025(bank))
    spec["sections"][0]["cells"][0]["topic_id"] = other_grade.id
    spec["sections"][2]["cells"][0].update(count=0, points="-1")
    with pytest.raises(DomainError) as error:
        matrix.normalise_matrix(spec)
    assert [p["path"] for p in error.value.details["problems"]] == [
        "sections[0].cells[0].topic_id", "sections[2].cells[0].count",
        "sections[2].cells[0].points"]


CELL = ("matrix", "sections", "0", "cells", "0")


@pytest.mark.parametrize(("change", "path", "words"), [
    (lambda b: b["matrix"]["sections"][0]["cells"][0].update(count=0), (*CELL, "count"),
     "greater than or equal to 1"),
    (lambda b: b["matrix"]["sections"][0]["cells"][0].update(points="-1"), (*CELL, "points"),
     "lớn hơn 0"),
    (lambda b: b["matrix"]["sections"][0]["cells"][0].update(points="1E+999999"),
     (*CELL, "points"), "không quá 100"),
    (lambda b: b["matrix"]["sections"][0].update(type="bogus"), ("matrix", "sections", "0",
                                                                 "type"), "true_false_4"),
    (lambda b: b["matrix"]["sections"][0]["cells"][0].update(colour="red"), (*CELL, "colour"),
     "Unknown field"),
    (lambda b: b["matrix"].update(sections=[]), ("matrix", "sections"), "Length"),
    (lambda b: b["matrix"].pop("grade"), ("matrix", "grade"), "Missing"),
    (lambda b: b.update(question_ids=[1]), ("question_ids",), "Exactly one"),
    (lambda b: b.pop("matrix"), ("question_ids",), "Exactly one"),
    (lambda b: b.update(points={"1": "2"}), ("points",), "per cell"),
    (lambda b: b["settings"].update(generation="lottery"), ("settings", "generation"),
     "random_draw"),
    (lambda b: b["settings"].update(code_digits=5), ("settings", "code_digits"), "3, 4"),
    (lambda b: b["settings"].update(variant_count=0), ("settings", "variant_count"), "1"),
])
def test_bad_matrix_bodies_are_400_naming_the_field(client, org, bank, change, path, words):
    body = _exam_body(matrix_json(rows_2025(bank)), org)
    change(body)
    reply = _create(client, bearer(client, "teacherx"), body)
    assert reply.status_code == 400, reply.get_json()
    found = reply.get_json()["error"]["details"]["fields"]["json"]
    for step in path:
        found = found[step]
    assert any(words in message for message in found), found
    assert db.session.scalar(select(Exam)) is None


def test_api_service_level_matrix_errors_are_400_with_paths(client, org, bank):
    body = _exam_body(matrix_json(rows_2025(bank)), org)
    body["matrix"]["sections"][0]["cells"][1]["level"] = "VDC4"
    body["matrix"]["sections"][1]["cells"][0]["topic_id"] = 424242
    reply = _create(client, bearer(client, "teacherx"), body)
    assert reply.status_code == 400
    error = reply.get_json()["error"]
    assert error["code"] == "invalid_matrix"
    assert [p["path"] for p in error["details"]["problems"]] == [
        "sections[0].cells[1].level", "sections[1].cells[0].topic_id"]
    assert "VDC4" in error["message"] and "424242" in error["message"]


def test_random_draw_needs_a_matrix(client, org, bank):
    question = db.session.scalar(select(questions.Question))
    body = {"title": "KT", "question_ids": [question.id],
            "settings": {"generation": "random_draw"}}
    reply = _create(client, bearer(client, "teacherx"), body)
    assert reply.status_code == 400 and reply.get_json()["error"]["code"] == "invalid_settings"


# ---------------------------------------------------------------- variants


def _publish_variants(client, org, bank, count=4, digits=3, **extra):
    body = _exam_body(matrix_json(rows_2025(bank)), org, "variants", variant_count=count,
                      code_digits=digits, **extra)
    reply = _create(client, bearer(client, "teacherx"), body)
    assert reply.status_code == 201, reply.get_json()
    return db.session.get(Exam, reply.get_json()["id"])


def _sections_of(exam: Exam, order: list[int]) -> list[str]:
    by_slot = {e["slot"]: e["section"] for e in exam.snapshot}
    return [by_slot[slot] for slot in order]


def test_variants_have_distinct_codes_and_permute_within_sections(client, org, bank):
    # every single-choice question of Vectơ NB keeps "d" last ("Tất cả đều đúng")
    for question in db.session.scalars(select(questions.Question).where(
            questions.Question.topic_id == bank["vecto"].id,
            questions.Question.type == "single_choice")):
        questions.revise_question(org.teacher_x, question,
                                  {**question.current_version.payload, "pinned": ["d"]})
    db.session.commit()
    exam = _publish_variants(client, org, bank, count=6, digits=4)
    papers = db.session.scalars(select(ExamVariant).where(ExamVariant.exam_id == exam.id)
                                .order_by(ExamVariant.position)).all()
    codes = [p.code for p in papers]
    assert len(codes) == 6 == len(set(codes))
    assert all(len(c) == 4 and c.isdigit() and c[0] != "0" for c in codes)
    paper_order = [e["slot"] for e in exam.snapshot]
    sections = _sections_of(exam, paper_order)
    pinned_slots = [str(e["slot"]) for e in exam.snapshot if e["payload"].get("pinned")]
    assert len(pinned_slots) == 2
    for paper in papers:
        assert sorted(paper.order) == sorted(paper_order)
        assert _sections_of(exam, paper.order) == sections      # shuffled only within sections
        for slot in pinned_slots:
            assert paper.option_order[slot][3] == "d"
            assert sorted(paper.option_order[slot]) == ["a", "b", "c", "d"]
    assert len({tuple(p.order) for p in papers}) > 1


def _right(question: dict, payload: dict) -> dict:
    """The right answer to a shown question (any of the 2025 types), in the attempt's ids."""
    if payload["type"] == "single_choice":
        right = next(o["text_html"] for o in payload["options"] if o["correct"])
        return {"choice": next(o["id"] for o in question["options"] if o["text_html"] == right)}
    if payload["type"] == "true_false_4":
        truth = {s["text_html"]: s["answer"] for s in payload["statements"]}
        return {"statements": {s["id"]: truth[s["text_html"]] for s in question["statements"]}}
    return {"text": payload["answers"][0]["value"].replace(".", ",")}


def _take(client, username, exam, right_sections):
    """Start, answer the questions of ``right_sections`` correctly and the rest wrongly or not
    at all, submit; returns (start payload, submit reply)."""
    headers = bearer(client, username)
    payloads = {e["slot"]: e["payload"] for e in exam.snapshot}
    sections = {e["slot"]: e["section"] for e in exam.snapshot}
    with time_machine.travel(T0, tick=False):
        data = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=headers)
        assert data.status_code == 200, data.get_json()
        data = data.get_json()
        for seq, question in enumerate(data["questions"], start=1):
            slot = question["slot"]
            if sections[slot] in right_sections:
                response = _right(question, payloads[slot])
            elif payloads[slot]["type"] == "short_numeric":
                response = {"text": "-1"}
            else:
                continue
            saved = client.put(f"/api/v1/attempts/{data['attempt_id']}/answers/{slot}",
                               json={"response": response, "seq": seq}, headers=headers)
            assert saved.status_code == 200, saved.get_json()
        submitted = client.post(f"/api/v1/attempts/{data['attempt_id']}/submit", json={},
                                headers=headers)
    assert submitted.status_code == 200, submitted.get_json()
    return data, submitted.get_json()


def test_two_students_get_their_variants_and_are_graded_under_the_shuffle(client, org, bank):
    exam = _publish_variants(client, org, bank, count=2)
    papers = {p.code: p for p in db.session.scalars(select(ExamVariant).where(
        ExamVariant.exam_id == exam.id))}
    a, a_result = _take(client, "hsa", exam, {"Phần I", "Phần II", "Phần III"})
    b, b_result = _take(client, "hsb", exam, {"Phần I"})
    assert {a["variant_code"], b["variant_code"]} == set(papers)          # round-robin
    for data in (a, b):
        paper = papers[data["variant_code"]]
        assert [q["slot"] for q in data["questions"]] == paper.order
        attempt = db.session.get(Attempt, data["attempt_id"])
        assert attempt.variant_code == data["variant_code"]
        for question in data["questions"]:
            if question["type"] == "single_choice":
                ids = attempt.ids_map[str(question["slot"])]
                assert [o["id"] for o in question["options"]] == [
                    ids[o] for o in paper.option_order[str(question["slot"])]]
    assert a_result["result"]["grade"] == "10.00"
    # B: Phần I right (6 × 0.25 = 1.5 of 1.5 + 2 + 1 = 4.5 points) → 10 × 1.5 / 4.5
    assert Decimal(b_result["result"]["score"]) == Decimal("1.5")
    assert b_result["result"]["grade"] == "3.33"
    rows = client.get(f"/api/v1/exams/{exam.id}/results",
                      headers=bearer(client, "teacherx")).get_json()["attempts"]
    assert {r["variant_code"] for r in rows} == set(papers)


def test_fixed_exams_have_no_variant_code(client, org, bank):
    body = _exam_body(matrix_json(rows_2025(bank)), org)
    reply = _create(client, bearer(client, "teacherx"), body)
    exam = db.session.get(Exam, reply.get_json()["id"])
    data, result = _take(client, "hsa", exam, {"Phần I", "Phần II", "Phần III"})
    assert data["variant_code"] is None and result["result"]["grade"] == "10.00"
    assert [q["slot"] for q in data["questions"]] == [e["slot"] for e in exam.snapshot]
    assert [q["section"] for q in data["questions"]] == ["Phần I"] * 6 + ["Phần II"] * 2 + [
        "Phần III"] * 2


# ---------------------------------------------------------------- random draw


def test_random_draw_gives_each_student_a_valid_draw_and_grades_only_their_slots(
        client, org, bank):
    body = _exam_body(matrix_json(rows_2025(bank)), org, "random_draw", shuffle_questions=True)
    reply = _create(client, bearer(client, "teacherx"), body)
    assert reply.status_code == 201, reply.get_json()
    exam = db.session.get(Exam, reply.get_json()["id"])
    pool = Counter(e["cell"]["index"] for e in exam.snapshot)
    assert pool == {0: 5, 1: 3, 2: 3, 3: 3}                     # every candidate is frozen
    cells = {e["slot"]: e["cell"] for e in exam.snapshot}
    a, a_result = _take(client, "hsa", exam, {"Phần I", "Phần II", "Phần III"})
    b, b_result = _take(client, "hsb", exam, {"Phần II"})
    for data in (a, b):
        slots = [q["slot"] for q in data["questions"]]
        assert len(slots) == len(set(slots)) == 10
        drawn = Counter(cells[slot]["index"] for slot in slots)
        assert drawn == {0: 4, 1: 2, 2: 2, 3: 2}
        attempt = db.session.get(Attempt, data["attempt_id"])
        assert sorted(attempt.order) == sorted(slots)
        assert set(attempt.ids_map) == {str(s) for s in slots}
    assert a_result["result"]["grade"] == "10.00"
    assert set(a_result["correctness"]) == {str(q["slot"]) for q in a["questions"]}
    assert Decimal(b_result["result"]["score"]) == Decimal(2)       # Phần II: 2 × 1 of 4.5
    assert b_result["result"]["grade"] == "4.44"


def test_a_random_draw_refuses_answers_to_pool_questions_not_drawn(client, org, bank):
    body = _exam_body(matrix_json(rows_2025(bank)), org, "random_draw", time_limit_minutes=20)
    exam_id = _create(client, bearer(client, "teacherx"), body).get_json()["id"]
    exam = db.session.get(Exam, exam_id)
    headers = bearer(client, "hsa")
    with time_machine.travel(T0, tick=False):
        data = client.post(f"/api/v1/exams/{exam_id}/attempts", json={},
                           headers=headers).get_json()
        mine = {q["slot"] for q in data["questions"]}
        other = next(e["slot"] for e in exam.snapshot if e["slot"] not in mine)
        reply = client.put(f"/api/v1/attempts/{data['attempt_id']}/answers/{other}",
                           json={"response": {"text": "1"}, "seq": 1}, headers=headers)
    assert reply.status_code == 400 and reply.get_json()["error"]["code"] == "unknown_slot"


# ---------------------------------------------------------------- preview


def test_teacher_previews_each_variant_with_its_key_and_nobody_else_can(client, org, bank):
    exam = _publish_variants(client, org, bank, count=3)
    teacher = bearer(client, "teacherx")
    listed = client.get(f"/api/v1/exams/{exam.id}/variants", headers=teacher)
    assert listed.status_code == 200
    codes = [v["code"] for v in listed.get_json()["variants"]]
    assert len(codes) == 3 and listed.get_json()["generation"] == "variants"
    payloads = {e["slot"]: e["payload"] for e in exam.snapshot}
    for code in codes:
        paper = client.get(f"/api/v1/exams/{exam.id}/variants/{code}", headers=teacher)
        assert paper.status_code == 200
        body = paper.get_json()
        variant = db.session.scalar(select(ExamVariant).where(ExamVariant.code == code))
        assert [q["slot"] for q in body["questions"]] == variant.order
        assert [q["number"] for q in body["questions"]] == list(range(1, 11))
        for question, key in zip(body["questions"], body["key"], strict=True):
            payload = payloads[question["slot"]]
            assert "correct" not in str(question)
            if payload["type"] == "single_choice":
                label = next(o["label"] for o in question["options"]
                             if o["id"] == next(p["id"] for p in payload["options"]
                                                if p["correct"]))
                assert key["answer"] == label
                assert [o["label"] for o in question["options"]] == list("ABCD")
            elif payload["type"] == "true_false_4":
                assert key["answer"] == {"a": True, "b": False, "c": True, "d": False}
            else:
                assert key["answer"] == ["27.5"]
    others = {"teachery": 404, "hsa": 404, "leaderx": 404}
    for username, status in others.items():
        headers = bearer(client, username)
        assert client.get(f"/api/v1/exams/{exam.id}/variants",
                          headers=headers).status_code == status
        reply = client.get(f"/api/v1/exams/{exam.id}/variants/{codes[0]}", headers=headers)
        assert reply.status_code == status and "key" not in reply.get_json()
    assert client.get(f"/api/v1/exams/{exam.id}/variants/0000",
                      headers=teacher).status_code == 404
    assert client.get("/api/v1/exams/999999/variants", headers=teacher).status_code == 404


def test_a_fixed_exam_lists_no_variants(client, org, bank):
    body = _exam_body(matrix_json(rows_2025(bank)), org)
    reply = _create(client, bearer(client, "teacherx"), body)
    listed = client.get(f"/api/v1/exams/{reply.get_json()['id']}/variants",
                        headers=bearer(client, "teacherx")).get_json()
    assert listed["generation"] == "fixed" and listed["variants"] == []


def test_variants_are_made_once_at_publish(org, bank):
    exam = matrix.create_exam_from_matrix(org.teacher_x, "KT", matrix_json(rows_2025(bank)),
                                          {"generation": "variants", "variant_count": 2})
    assert db.session.scalars(select(ExamVariant)).all() == []
    services.publish(org.teacher_x, exam)
    assert len(db.session.scalars(select(ExamVariant)).all()) == 2
    with pytest.raises(DomainError):
        services.publish(org.teacher_x, exam)
    assert len(db.session.scalars(select(ExamVariant)).all()) == 2


# ---------------------------------------------------------------- properties (no database)


@st.composite
def snapshots(draw):
    """A snapshot of 1–4 sections of choice questions, some with pinned or unshuffled options."""
    entries, slot = [], 0
    for section in range(draw(st.integers(1, 4))):
        for _ in range(draw(st.integers(1, 6))):
            slot += 1
            ids = "abcdefgh"[:draw(st.integers(2, 8))]
            pinned = draw(st.lists(st.sampled_from(ids), unique=True, max_size=len(ids)))
            entries.append({"slot": slot, "section": f"Phần {section + 1}", "payload": {
                "type": "single_choice", "options": [{"id": i, "correct": i == "a"} for i in ids],
                "pinned": pinned, "shuffle": draw(st.booleans())}})
    return entries


@settings(max_examples=60, deadline=None)
@given(snapshots(), st.integers(1, 20), st.sampled_from([3, 4]), st.randoms())
def test_property_variants_are_section_permutations_with_pinned_options_in_place(
        snapshot, count, digits, rng):
    papers = variants.make_variants(snapshot, count, digits, rng)
    codes = [code for code, _, _ in papers]
    assert len(set(codes)) == count
    assert all(len(c) == digits and c[0] != "0" for c in codes)
    section = {e["slot"]: e["section"] for e in snapshot}
    paper_sections = [e["section"] for e in snapshot]
    for _code, order, options in papers:
        assert sorted(order) == [e["slot"] for e in snapshot]
        assert [section[s] for s in order] == paper_sections
        for entry in snapshot:
            shown = options[str(entry["slot"])]
            stored = [o["id"] for o in entry["payload"]["options"]]
            assert sorted(shown) == sorted(stored)
            if not entry["payload"]["shuffle"]:
                assert shown == stored
            for i, option in enumerate(stored):
                if option in entry["payload"]["pinned"]:
                    assert shown[i] == option
            key = variants.answer_key(entry["payload"], shown)
            assert key == "ABCDEFGH"[shown.index("a")]


@st.composite
def pools(draw):
    entries, slot = [], 0
    for index in range(draw(st.integers(1, 6))):
        size = draw(st.integers(1, 8))
        count = draw(st.integers(1, size))
        for _ in range(size):
            slot += 1
            entries.append({"slot": slot, "cell": {"index": index, "count": count}})
    return entries


@settings(max_examples=80, deadline=None)
@given(pools(), st.randoms())
def test_property_a_draw_takes_count_distinct_entries_of_every_cell(snapshot, rng):
    picked = variants.draw(snapshot, rng)
    assert picked == sorted(set(picked))
    cell = {e["slot"]: e["cell"] for e in snapshot}
    got = Counter(cell[s]["index"] for s in picked)
    assert got == {c["index"]: c["count"] for c in cell.values()}


def test_variant_codes_cover_a_full_range_without_repeats():
    codes = variants.variant_codes(50, 3, random.Random(4))
    assert len(set(codes)) == 50 and all(100 <= int(c) <= 999 for c in codes)


def test_openapi_documents_the_matrix_and_the_variant_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    schemas = spec["components"]["schemas"]
    assert set(schemas["Matrix"]["properties"]) == {"subject", "grade", "scale", "sections"}
    assert set(schemas["MatrixSection"]["properties"]) == {"name", "type", "cells"}
    assert set(schemas["MatrixCell"]["required"]) == {"topic_id", "level", "count", "points"}
    assert "matrix" in schemas["ExamCreate"]["properties"]
    assert {"generation", "variant_count", "code_digits", "variant_assignment"} <= set(
        schemas["Settings"]["properties"])
    assert "/api/v1/exams/{exam_id}/variants/{code}" in spec["paths"]


def test_random_draw_pools_are_bounded_but_never_below_the_count(org, bank, monkeypatch):
    monkeypatch.setattr(matrix, "MAX_POOL_TOTAL", 20)         # 10 questions → a share of 2×
    exam = matrix.create_exam_from_matrix(org.teacher_x, "KT", matrix_json(rows_2025(bank)),
                                          {"generation": "random_draw"})
    sizes = Counter(entry["cell"]["index"] for entry in exam.selection)
    assert sizes == {0: 5, 1: 3, 2: 3, 3: 3}                  # pools of 5, 3, 3, 3 fit
    monkeypatch.setattr(matrix, "MAX_POOL_TOTAL", 10)         # share = count
    exam = matrix.create_exam_from_matrix(org.teacher_x, "KT", matrix_json(rows_2025(bank)),
                                          {"generation": "random_draw"})
    assert Counter(e["cell"]["index"] for e in exam.selection) == {0: 4, 1: 2, 2: 2, 3: 2}


def test_hand_picked_papers_can_have_variants_too(client, org, bank):
    ids = [q.id for q in db.session.scalars(select(questions.Question)
                                            .order_by(questions.Question.id)).all()[:6]]
    body = {"title": "KT", "question_ids": ids, "publish": True,
            "settings": {"generation": "variants", "variant_count": 3}}
    reply = _create(client, bearer(client, "teacherx"), body)
    assert reply.status_code == 201, reply.get_json()
    papers = db.session.scalars(select(ExamVariant)).all()
    assert len(papers) == 3 and all(sorted(p.order) == list(range(1, 7)) for p in papers)


def test_the_api_edits_a_draft_matrix_and_refuses_what_the_page_refuses(client, org, bank):
    teacher = bearer(client, "teacherx")
    body = {**_exam_body(matrix_json(rows_2025(bank)), org), "publish": False}
    body.pop("assign")
    exam_id = _create(client, teacher, body).get_json()["id"]
    url = f"/api/v1/exams/{exam_id}/matrix"
    smaller = matrix_json([row for row in rows_2025(bank) if row[0] != "Phần III"])
    edited = client.put(url, headers=teacher, json={
        "matrix": smaller, "title": "Kiểm tra 15 phút", "settings": {"attempts": 2}})
    assert edited.status_code == 200, edited.get_json()
    assert edited.get_json() == {"id": exam_id, "title": "Kiểm tra 15 phút", "questions": 8}
    exam = db.session.get(Exam, exam_id)
    assert exam.settings["attempts_allowed"] == 2 and len(exam.selection) == 8
    assert [s["name"] for s in matrix.matrix_of(exam)["sections"]] == ["Phần I", "Phần II"]

    short = matrix_json([("Phần I", "single_choice", bank["vecto"].id, "NB", 9)])
    refused = client.put(url, headers=teacher, json={"matrix": short})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "matrix_short"
    db.session.expire_all()
    assert len(db.session.get(Exam, exam_id).selection) == 8          # nothing changed
    assert client.put(url, headers=bearer(client, "teachery"),
                      json={"matrix": smaller}).status_code == 404
    hand_picked = _create(client, teacher, {"title": "x", "question_ids": [
        db.session.get(Exam, exam_id).selection[0]["question_id"]]}).get_json()["id"]
    assert client.put(f"/api/v1/exams/{hand_picked}/matrix", headers=teacher,
                      json={"matrix": smaller}).get_json()["error"]["code"] == "no_matrix"
    assert client.post(f"/api/v1/exams/{exam_id}/publish", headers=teacher,
                       json={}).status_code == 200
    published = client.put(url, headers=teacher, json={"matrix": smaller})
    assert published.status_code == 409
    assert published.get_json()["error"]["code"] == "published"
