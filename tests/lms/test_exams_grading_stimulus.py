"""Essay children of a stimulus that also has objective children: graded one by one, out of
an equal share of the slot, and totalled exactly with the automatically scored children
(docs/exams.md "Grading")."""

from decimal import Decimal

import time_machine
from sqlalchemy import select

from lms.curriculum.models import Subject
from lms.exams import reports, services
from lms.exams.models import Attempt, Exam, ManualGrade
from lms.kernel import db
from lms.questions import services as questions
from tests.conftest import csrf_token_from, login
from tests.lms.exams_setup import T0, bearer
from tests.lms.test_exams_grading import ESSAY
from tests.question_bank.payloads import RAW

PLAIN_ESSAY = {**RAW["essay"], "min_words": 0, "rubric": [], "text_html": "Nêu cảm nghĩ"}
STIMULUS = {"type": "stimulus", "text_html": "Đọc đoạn trích và trả lời",
            "children": [RAW["single_choice"], ESSAY, RAW["true_false"], PLAIN_ESSAY]}


def stimulus_exam(org, points: str = "4", children=None) -> Exam:
    """Slot 1: single choice (1 point, key b); slot 2: a stimulus worth ``points`` with
    children single choice (key b), essay (rubric 1 + 2), true/false (key true), essay."""
    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    meta = questions.QuestionMeta(subject_id=toan.id, grade=10)
    single = questions.create_question(org.teacher_x, meta, dict(RAW["single_choice"]))
    group = questions.create_question(
        org.teacher_x, meta, {**STIMULUS, "children": children or STIMULUS["children"]})
    exam = services.create_exam(org.teacher_x, "Đọc hiểu", [single.id, group.id],
                                {str(group.id): points}, {"review": "immediately"})
    services.publish(org.teacher_x, exam)
    services.assign_to_class(org.teacher_x, exam, org.class_x)
    db.session.commit()
    return exam


def sit(client, username: str, exam: Exam, first: str, children: list) -> int:
    """Answer slot 1 with option ``first`` and the stimulus with ``children`` (stored option
    ids for the choice child, booleans, essay texts), then submit."""
    headers = bearer(client, username)
    with time_machine.travel(T0, tick=False):
        started = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=headers)
        attempt_id = started.get_json()["attempt_id"]
        ids = db.session.get(Attempt, attempt_id).ids_map
        responses = []
        for index, value in enumerate(children):
            if isinstance(value, bool):
                responses.append({"value": value})
            elif index == 0:
                responses.append({"choice": ids["2"]["0"][value]})
            else:
                responses.append({"text": value})
        for seq, (slot, response) in enumerate(
                ((1, {"choice": ids["1"][first]}), (2, {"children": responses})), start=1):
            saved = client.put(f"/api/v1/attempts/{attempt_id}/answers/{slot}",
                               json={"response": response, "seq": seq}, headers=headers)
            assert saved.status_code == 200, saved.get_json()
        assert client.post(f"/api/v1/attempts/{attempt_id}/submit", json={},
                           headers=headers).status_code == 200
    return attempt_id


def _fresh(attempt_id) -> Attempt:
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def _put(client, headers, attempt_id, body):
    return client.put(f"/api/v1/attempts/{attempt_id}/grades/2", json=body, headers=headers)


def test_essay_children_are_queued_graded_and_totalled_exactly(client, org):
    exam = stimulus_exam(org)
    attempt_id = sit(client, "hsa", exam, "b", ["b", "Bài văn một", False, "Cảm nghĩ"])
    # objective part: choice right, true/false wrong → 1 of the 4 children × 1 point each
    attempt = _fresh(attempt_id)
    assert attempt.score == Decimal("2") and attempt.grade == Decimal("4.00")   # 2 of 5
    teacher = bearer(client, "teacherx")

    waiting = client.get(f"/api/v1/exams/{exam.id}/grading", headers=teacher).get_json()
    assert (waiting["total"], waiting["graded"]) == (2, 0)
    assert [(i["slot"], i["child"], i["points"], i["answers"]) for i in waiting["items"]] == [
        (2, 1, "1", ["Bài văn một"]), (2, 3, "1", ["Cảm nghĩ"])]
    first = waiting["items"][0]
    assert [c["criterion"] for c in first["rubric"]] == ["Bố cục", "Lập luận"]
    assert first["text_html"] == "Đọc đoạn trích và trả lời" and waiting["items"][1]["rubric"] == []

    # rubric 1.5 of 3 scaled to the child's 1 point → 0.5; total 2.5 of 5
    reply = _put(client, teacher, attempt_id, {"child": 1, "comment": "Được",
                                               "rubric": {"Bố cục": "1", "Lập luận": "0.5"}})
    assert reply.status_code == 200, reply.get_json()
    body = reply.get_json()
    assert (body["child"], body["grade"]["points"], body["score"]) == (1, "0.5000", "2.5000")
    # the other essay child: 0.75 → 3.25 of 5 = 6.5
    assert _put(client, teacher, attempt_id, {"child": 3, "points": "0,75"}).status_code == 200
    assert _fresh(attempt_id).grade == Decimal("6.50")
    # grading a child again replaces its mark: 1 + 0.75 → 3.75 of 5
    assert _put(client, teacher, attempt_id, {"child": 1, "points": "1"}).status_code == 200
    attempt = _fresh(attempt_id)
    assert attempt.score == Decimal("3.75") and attempt.grade == Decimal("7.50")
    row = db.session.scalar(select(ManualGrade))
    assert row.points == Decimal("1.75") and set(row.rubric["children"]) == {"1", "3"}
    assert row.rubric["children"]["1"]["rubric"] is None

    assert client.get(f"/api/v1/exams/{exam.id}/grading",
                      headers=teacher).get_json()["items"] == []
    everything = client.get(f"/api/v1/exams/{exam.id}/grading?include_graded=true",
                            headers=teacher).get_json()
    assert (everything["total"], everything["graded"]) == (2, 2)
    assert [i["grade"]["points"] for i in everything["items"]] == ["1", "0.75"]

    mine = client.get(f"/api/v1/attempts/{attempt_id}", headers=bearer(client, "hsa")).get_json()
    assert mine["result"]["score"] == "3.7500"
    assert mine["manual_grades"] == {"2": {"points": "1.7500", "children": {
        "1": {"points": "1"}, "3": {"points": "0.75"}}}}      # the re-grade dropped "Được"


def test_bad_child_grades_are_refused_with_specific_codes(client, org):
    exam = stimulus_exam(org)
    attempt_id = sit(client, "hsa", exam, "b", ["b", "Bài", True, "Ý"])
    teacher = bearer(client, "teacherx")
    cases = [({"points": "1"}, "child_required"),               # the slot as a whole
             ({"child": 0, "points": "1"}, "unknown_child"),    # the objective child
             ({"child": 7, "points": "1"}, "unknown_child"),
             ({"child": 3, "points": "1.5"}, "points_out_of_range"),
             ({"child": 3, "rubric": {"x": "1"}}, "no_rubric")]
    for body, code in cases:
        reply = _put(client, teacher, attempt_id, body)
        assert reply.status_code == 400, (body, reply.get_json())
        assert reply.get_json()["error"]["code"] == code, (body, reply.get_json())
    assert db.session.scalar(select(ManualGrade)) is None
    assert _fresh(attempt_id).score == Decimal("3")


def test_a_share_that_does_not_divide_evenly_is_graded_to_4_places(client, org):
    """2 points over 3 scored children: each is worth 2/3; the objective part stays exact and
    the teacher grades out of 0.6667 (4 places, like a scaled rubric)."""
    children = [RAW["single_choice"], PLAIN_ESSAY, RAW["true_false"]]
    exam = stimulus_exam(org, points="2", children=children)
    attempt_id = sit(client, "hsa", exam, "a", ["b", "Bài", True])
    assert _fresh(attempt_id).score == Decimal("1.3333")          # 4/3, stored to 4 places
    teacher = bearer(client, "teacherx")
    [item] = client.get(f"/api/v1/exams/{exam.id}/grading", headers=teacher).json["items"]
    assert item["points"] == "0.6667"
    assert _put(client, teacher, attempt_id, {"child": 1, "points": "0.6667"}).status_code == 400
    assert _put(client, teacher, attempt_id, {"child": 1, "points": "0.6666"}).status_code == 200
    assert _fresh(attempt_id).score == Decimal("1.9999")           # 4/3 + 0.6666


def test_the_html_queue_and_the_report_handle_essay_children(client, org):
    exam = stimulus_exam(org)
    attempt_id = sit(client, "hsa", exam, "b", ["b", "<b>Bài</b>", False, "Cảm nghĩ"])
    login(client, "teacherx")
    page = client.get(f"/exams/{exam.id}/grading").get_data(as_text=True)
    assert "Câu 2, ý tự luận 2 · tối đa 1 điểm" in page and "&lt;b&gt;Bài&lt;/b&gt;" in page
    assert 'name="child" value="1"' in page and 'data-testid="child-question"' in page
    report = reports.exam_report(org.teacher_x, db.session.get(Exam, exam.id))
    assert report["ungraded_answers"] == 1
    assert report["students"][0]["attempts"][0]["ungraded"] == [2]
    token = csrf_token_from(page)
    for child, fields in ((1, {"mode": "rubric", "rubric-0": "1", "rubric-1": "2"}),
                          (3, {"points": "0,5"})):
        saved = client.post(f"/exams/{exam.id}/grading/{attempt_id}/2",
                            data={"csrf_token": token, "child": str(child), "pos": "0",
                                  **fields})
        assert saved.status_code == 302
    assert "Đã lưu điểm." in client.get(saved.headers["Location"]).get_data(as_text=True)
    attempt = _fresh(attempt_id)
    assert attempt.score == Decimal("3.5") and attempt.grade == Decimal("7.00")
    exam = db.session.get(Exam, exam.id)
    report = reports.exam_report(org.teacher_x, exam)
    assert report["ungraded_answers"] == 0
    items = {i["slot"]: i for i in reports.item_report(org.teacher_x, exam)["items"]}
    assert items[2]["facility"] == "0.6250" and items[2]["ungraded"] == 0   # 2.5 of 4


def test_a_regrade_of_an_objective_child_keeps_the_essay_grades(client, org):
    exam = stimulus_exam(org)
    attempt_id = sit(client, "hsa", exam, "b", ["c", "Bài", True, "Ý"])
    teacher = bearer(client, "teacherx")
    assert _put(client, teacher, attempt_id, {"child": 3, "points": "0.25"}).status_code == 200
    assert _fresh(attempt_id).score == Decimal("2.25")     # 1 + true/false 1 + 0.25
    payload = db.session.get(Exam, exam.id).snapshot[1]["payload"]
    children = [dict(c) for c in payload["children"]]
    children[0] = {**children[0], "options": [{**o, "correct": o["id"] == "c"}
                                              for o in children[0]["options"]]}
    reply = client.post(f"/api/v1/exams/{exam.id}/regrade", headers=teacher, json={
        "slot": 2, "payload": {**payload, "children": children}, "dry_run": False})
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["attempts"][0]["new_score"] == "3.2500"
    assert _fresh(attempt_id).score == Decimal("3.25")


def test_bank_statistics_wait_for_every_essay_child_of_a_mixed_group(client, org):
    """A mixed group's observation counts only once all its essay children are graded, with
    their points in it — as the attempt's score counts them."""
    from lms.exams import item_stats
    from question_bank.models import Question

    exam = stimulus_exam(org)
    attempt_id = sit(client, "hsa", exam, "b", ["b", "Bài văn một", True, "Cảm nghĩ"])
    group = db.session.get(Question, exam.snapshot[1]["question_id"])
    teacher = bearer(client, "teacherx")

    def stats():
        db.session.expire_all()
        found = item_stats.question_statistics(org.teacher_x, group)
        return found["ungraded"], found["observations"], found["facility"]

    assert stats() == (1, 0, None)                         # both essays wait
    assert _put(client, teacher, attempt_id, {"child": 1, "points": "1"}).status_code == 200
    assert stats() == (1, 0, None)                         # one still waits
    assert _put(client, teacher, attempt_id, {"child": 3, "points": "0.5"}).status_code == 200
    # choice 1 + true/false 1 + essays 1 + 0.5 = 3.5 of 4
    assert stats() == (0, 1, "0.8750")
