"""Manual grading of essays, regrade after a key correction, and the final-grade signal
(issue 4 §4; security.md 1, 2, 4, 15, 16)."""

import json
import weakref
from decimal import Decimal

import time_machine
from sqlalchemy import select

from lms.curriculum.models import Subject
from lms.exams import grading, hooks, services
from lms.exams.models import Attempt, Exam, ManualGrade
from lms.kernel import db
from lms.questions import services as questions
from tests.conftest import csrf_token_from, login
from tests.lms.exams_setup import T0, bearer
from tests.question_bank.payloads import RAW

ESSAY = {**RAW["essay"], "min_words": 0, "rubric": [{"criterion": "Bố cục", "points": "1"},
                                                    {"criterion": "Lập luận", "points": "2"}]}


def essay_exam(org, essay: dict | None = None, essay_points: str = "3", settings=None) -> Exam:
    """Slot 1: single choice (1 point, key b); slot 2: an essay (3 points, rubric 1 + 2)."""
    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    meta = questions.QuestionMeta(subject_id=toan.id, grade=10)
    single = questions.create_question(org.teacher_x, meta, dict(RAW["single_choice"]))
    essay_q = questions.create_question(org.teacher_x, meta, dict(essay or ESSAY))
    exam = services.create_exam(org.teacher_x, "Kiểm tra Ngữ văn", [single.id, essay_q.id],
                                {str(essay_q.id): essay_points},
                                settings or {"review": "immediately"})
    services.publish(org.teacher_x, exam)
    services.assign_to_class(org.teacher_x, exam, org.class_x)
    db.session.commit()
    return exam


def sit(client, username: str, exam: Exam, answers: dict, submit: bool = True) -> int:
    """Start, answer (single choice by stored option id, essay by text), submit."""
    headers = bearer(client, username)
    with time_machine.travel(T0, tick=False):
        started = client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=headers)
        assert started.status_code == 200, started.get_json()
        attempt_id = started.get_json()["attempt_id"]
        attempt = db.session.get(Attempt, attempt_id)
        snapshot = {e["slot"]: e["payload"] for e in db.session.get(Exam, exam.id).snapshot}
        for seq, (slot, value) in enumerate(answers.items(), start=1):
            kind = snapshot[slot]["type"]
            if kind == "single_choice":
                response = {"choice": attempt.ids_map[str(slot)][value]}
            elif kind == "multiple_response":
                response = {"choices": [attempt.ids_map[str(slot)][v] for v in value]}
            elif kind == "true_false":
                response = {"value": value}
            else:
                response = {"text": value}
            saved = client.put(f"/api/v1/attempts/{attempt_id}/answers/{slot}",
                               json={"response": response, "seq": seq}, headers=headers)
            assert saved.status_code == 200, saved.get_json()
        if submit:
            done = client.post(f"/api/v1/attempts/{attempt_id}/submit", json={},
                               headers=headers)
            assert done.status_code == 200, done.get_json()
    return attempt_id


def _put(client, headers, attempt_id, slot, body):
    return client.put(f"/api/v1/attempts/{attempt_id}/grades/{slot}", json=body,
                      headers=headers)


def _fresh(attempt_id) -> Attempt:
    db.session.expire_all()
    return db.session.get(Attempt, attempt_id)


def test_essay_grade_changes_the_totals_exactly(client, org):
    exam = essay_exam(org)
    attempt_id = sit(client, "hsa", exam, {1: "b", 2: "Bài văn của em"})
    attempt = _fresh(attempt_id)
    assert attempt.score == Decimal("1") and attempt.grade == Decimal("2.50")   # 1 of 4
    teacher = bearer(client, "teacherx")

    waiting = client.get(f"/api/v1/exams/{exam.id}/grading", headers=teacher).get_json()
    assert waiting["total"] == 1 and waiting["graded"] == 0
    [item] = waiting["items"]
    assert (item["attempt_id"], item["slot"], item["answers"]) == (attempt_id, 2,
                                                                   ["Bài văn của em"])
    assert item["student"]["full_name"] == "Nguyễn Văn Á" and item["points"] == "3"
    assert [c["criterion"] for c in item["rubric"]] == ["Bố cục", "Lập luận"]

    # 0.75 + 1.5 = 2.25 of 3; total 3.25 of 4 → 8.125 → 8.13 (half-up; a float gives 8.12)
    reply = _put(client, teacher, attempt_id, 2,
                 {"rubric": {"Bố cục": "0.75", "Lập luận": "1.5"}, "comment": "Khá tốt"})
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["score"] == "3.2500" and reply.get_json()["attempt_grade"] == "8.13"
    attempt = _fresh(attempt_id)
    assert attempt.score == Decimal("3.25") and attempt.grade == Decimal("8.13")
    grade = db.session.scalar(select(ManualGrade))
    assert grade.points == Decimal("2.25") and grade.comment == "Khá tốt"
    assert grade.rubric == {"Bố cục": "0.75", "Lập luận": "1.5"}
    assert grade.grader_id == org.teacher_x.id

    # regrading by points replaces the rubric; the queue is empty unless graded are asked for
    assert _put(client, teacher, attempt_id, 2, {"points": 3}).status_code == 200
    attempt = _fresh(attempt_id)
    assert attempt.score == Decimal("4") and attempt.grade == Decimal("10.00")
    assert client.get(f"/api/v1/exams/{exam.id}/grading",
                      headers=teacher).get_json()["items"] == []
    everything = client.get(f"/api/v1/exams/{exam.id}/grading?include_graded=true",
                            headers=teacher).get_json()
    assert everything["graded"] == 1 and everything["items"][0]["grade"]["points"] == "3.0000"
    # the student sees the new result (review "immediately")
    mine = client.get(f"/api/v1/attempts/{attempt_id}", headers=bearer(client, "hsa"))
    assert mine.get_json()["result"]["grade"] == "10.00"


def test_a_rubric_on_another_total_is_scaled_to_the_slot(client, org):
    """Rubric total 3, slot worth 2: 1 of 3 → 0.6667 points (4 places, half-up)."""
    exam = essay_exam(org, essay_points="2")
    attempt_id = sit(client, "hsa", exam, {1: "a", 2: "x"})
    reply = _put(client, bearer(client, "teacherx"), attempt_id, 2,
                 {"rubric": {"Bố cục": "1", "Lập luận": "0"}})
    assert reply.status_code == 200, reply.get_json()
    assert reply.get_json()["grade"]["points"] == "0.6667"
    assert _fresh(attempt_id).score == Decimal("0.6667")


def test_blind_queue_hides_names_and_keeps_a_stable_shuffled_order(client, org):
    exam = essay_exam(org)
    first = sit(client, "hsa", exam, {2: "Bài của Á"})
    second = sit(client, "hsb", exam, {2: "Bài của Bê"})
    teacher = bearer(client, "teacherx")
    named = client.get(f"/api/v1/exams/{exam.id}/grading", headers=teacher).get_json()
    assert [i["student"]["username"] for i in named["items"]] == ["hsa", "hsb"]  # by name
    blind = client.get(f"/api/v1/exams/{exam.id}/grading?blind=true", headers=teacher)
    text = blind.get_data(as_text=True)
    for secret in ("Nguyễn Văn Á", "Trần Thị Bê", "hsa", "hsb", "student", "user_id",
                   "attempt_number"):
        assert secret not in json.dumps(blind.get_json(), ensure_ascii=False), secret
        assert secret not in text
    items = blind.get_json()["items"]
    assert {i["attempt_id"] for i in items} == {first, second}
    assert [i["label"] for i in items] == ["#1", "#2"]
    again = client.get(f"/api/v1/exams/{exam.id}/grading?blind=true", headers=teacher)
    assert [i["attempt_id"] for i in again.get_json()["items"]] == [i["attempt_id"]
                                                                     for i in items]
    exam_row = db.session.get(Exam, exam.id)
    assert [i["attempt_id"] for i in items] == grading.blind_order(
        exam_row, org.teacher_x, [first, second])

    # the HTML queue in blind mode shows the answer and a label, never the name
    login(client, "teacherx")
    page = client.get(f"/exams/{exam.id}/grading?blind=1").get_data(as_text=True)
    assert "Bài #1" in page and "Nguyễn Văn Á" not in page and "Trần Thị Bê" not in page
    assert "hsa" not in page and "hsb" not in page
    named_page = client.get(f"/exams/{exam.id}/grading").get_data(as_text=True)
    assert "Nguyễn Văn Á" in named_page and "Bài của Á" in named_page


def test_the_html_queue_grades_one_answer_at_a_time_and_escapes_student_text(client, org):
    """security.md 16: an essay is shown as text in the teacher's grading view."""
    exam = essay_exam(org)
    probe = "<script>alert(1)</script><img src=x onerror=alert(2)> {{7*7}}"
    attempt_id = sit(client, "hsa", exam, {2: probe})
    sit(client, "hsb", exam, {2: "Bài thứ hai"})
    login(client, "teacherx")
    page = client.get(f"/exams/{exam.id}/grading").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "{{7*7}}" in page
    assert "Đã chấm 0/2 bài" in page
    token = csrf_token_from(page)
    saved = client.post(f"/exams/{exam.id}/grading/{attempt_id}/2",
                        data={"csrf_token": token, "mode": "rubric", "rubric-0": "1",
                              "rubric-1": "1,5", "comment": "Tốt", "pos": "0"})
    assert saved.status_code == 302
    attempt = _fresh(attempt_id)
    assert attempt.score == Decimal("2.5") and attempt.grade == Decimal("6.25")
    after = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Đã lưu điểm." in after and "Bài thứ hai" in after and "Đã chấm 1/2 bài" in after
    # a bad grade through the form is a message, nothing stored
    bad = client.post(f"/exams/{exam.id}/grading/{attempt_id}/2",
                      data={"csrf_token": token, "mode": "rubric", "rubric-0": "5",
                            "rubric-1": "0"}, follow_redirects=True)
    assert "Tiêu chí Bố cục: điểm phải từ 0 đến 1." in bad.get_data(as_text=True)
    assert _fresh(attempt_id).score == Decimal("2.5")
    # without the CSRF token nothing is stored
    assert client.post(f"/exams/{exam.id}/grading/{attempt_id}/2",
                       data={"mode": "rubric", "rubric-0": "0",
                             "rubric-1": "0"}).status_code == 400
    assert _fresh(attempt_id).score == Decimal("2.5")


def test_bad_grades_are_400_with_specific_messages_and_store_nothing(client, org):
    exam = essay_exam(org)
    attempt_id = sit(client, "hsa", exam, {1: "b", 2: "Bài làm"})
    teacher = bearer(client, "teacherx")
    cases = [
        ({"points": "-1"}, 2, "points_out_of_range", "Điểm câu 2 phải từ 0 đến 3."),
        ({"points": "3.5"}, 2, "points_out_of_range", "Điểm câu 2 phải từ 0 đến 3."),
        ({"points": "abc"}, 2, "invalid_points", "points phải là một số."),
        ({"points": "NaN"}, 2, "invalid_points", "points phải là một số."),
        ({"points": "1.00001"}, 2, "invalid_points", "points: tối đa 4 chữ số thập phân."),
        ({"points": True}, 2, "invalid_points", "points phải là một số."),
        ({}, 2, "points_or_rubric", "Gửi điểm (points) hoặc điểm theo tiêu chí (rubric), "
                                    "một trong hai."),
        ({"points": "1", "rubric": {"Bố cục": "1", "Lập luận": "1"}}, 2, "points_or_rubric",
         None),
        ({"rubric": {"Bố cục": "1", "Lập luận": "1", "Chính tả": "1"}}, 2, "unknown_criterion",
         "Tiêu chí không có trong rubric: Chính tả."),
        ({"rubric": {"Bố cục": "1"}}, 2, "missing_criterion", "Chưa chấm tiêu chí: Lập luận."),
        ({"rubric": {"Bố cục": "1.5", "Lập luận": "1"}}, 2, "points_out_of_range",
         "Tiêu chí Bố cục: điểm phải từ 0 đến 1."),
        ({"points": "1"}, 1, "auto_scored", None),
        ({"points": "1"}, 9, "unknown_slot", "Câu 9 không có trong bài kiểm tra."),
    ]
    for body, slot, code, message in cases:
        reply = _put(client, teacher, attempt_id, slot, body)
        assert reply.status_code == 400, (body, reply.get_json())
        error = reply.get_json()["error"]
        assert error["code"] == code, (body, error)
        if message:
            assert error["message"] == message, (body, error)
    # mass assignment and an oversized comment are refused by the strict schema
    for body in ({"points": "1", "score": "10"}, {"points": "1", "grader_id": 1},
                 {"points": "1", "comment": "x" * 4001}):
        reply = _put(client, teacher, attempt_id, 2, body)
        assert reply.status_code == 400 and reply.get_json()["error"]["code"] == \
            "validation_error"
    assert db.session.scalar(select(ManualGrade)) is None
    attempt = _fresh(attempt_id)
    assert attempt.score == Decimal("1") and attempt.grade == Decimal("2.50")


def test_an_attempt_still_in_progress_cannot_be_graded(client, org):
    exam = essay_exam(org)
    attempt_id = sit(client, "hsa", exam, {2: "Đang viết"}, submit=False)
    reply = _put(client, bearer(client, "teacherx"), attempt_id, 2, {"points": "1"})
    assert reply.status_code == 409 and reply.get_json()["error"]["code"] == \
        "attempt_in_progress"
    queue = client.get(f"/api/v1/exams/{exam.id}/grading", headers=bearer(client, "teacherx"))
    assert queue.get_json()["items"] == []


def test_students_and_other_teachers_cannot_grade_regrade_or_read_reports(client, org):
    """security.md 1–2: 404 on the exam and on the attempt, nothing changed or leaked."""
    exam = essay_exam(org)
    attempt_id = sit(client, "hsa", exam, {1: "b", 2: "Bài làm bí mật"})
    new_key = json.loads(json.dumps(db.session.get(Exam, exam.id).snapshot[0]["payload"]))
    for username in ("hsa", "hsb", "teachery", "leaderx"):
        headers = bearer(client, username)
        for url in (f"/api/v1/exams/{exam.id}/grading", f"/api/v1/exams/{exam.id}/report",
                    f"/api/v1/exams/{exam.id}/item-analysis"):
            reply = client.get(url, headers=headers)
            assert reply.status_code == 404, (username, url)
            assert "Bài làm bí mật" not in reply.get_data(as_text=True)
        reply = _put(client, headers, attempt_id, 2, {"points": "3"})
        assert reply.status_code == 404, username
        assert client.post(f"/api/v1/exams/{exam.id}/regrade", headers=headers,
                           json={"slot": 1, "payload": new_key,
                                 "dry_run": False}).status_code == 404
    assert client.get("/api/v1/exams/999999/report",
                      headers=bearer(client, "teacherx")).status_code == 404
    assert _put(client, bearer(client, "teacherx"), 999999, 2,
                {"points": "1"}).status_code == 404
    for username in ("hsa", "teachery"):
        client.post("/logout", data={"csrf_token": csrf_token_from(
            client.get("/login").get_data(as_text=True))})
        login(client, username)
        for url in (f"/exams/{exam.id}/grading", f"/exams/{exam.id}/report",
                    f"/exams/{exam.id}/export.csv", f"/exams/{exam.id}/export.xlsx",
                    f"/exams/{exam.id}/item-analysis.csv"):
            reply = client.get(url)
            assert reply.status_code == 404, (username, url)
            assert "Bài làm bí mật" not in reply.get_data(as_text=True)
    assert db.session.scalar(select(ManualGrade)) is None
    assert _fresh(attempt_id).score == Decimal("1")


def _key_b_to_c(exam: Exam) -> dict:
    payload = json.loads(json.dumps(db.session.get(Exam, exam.id).snapshot[0]["payload"]))
    for option in payload["options"]:
        option["correct"] = option["id"] == "c"
    return payload


def test_regrade_dry_run_changes_nothing_and_applying_it_changes_scores(client, org):
    """security.md 15: grades change only through an explicit regrade."""
    exam = essay_exam(org)
    right = sit(client, "hsa", exam, {1: "b"})     # right under the old key
    wrong = sit(client, "hsb", exam, {1: "c"})     # right under the corrected key
    before = json.dumps(db.session.get(Exam, exam.id).snapshot, sort_keys=True)
    teacher = bearer(client, "teacherx")
    body = {"slot": 1, "payload": _key_b_to_c(exam), "dry_run": True}

    calls = []

    def receiver(sender, **kwargs):
        calls.append((sender.id, kwargs["user_id"], kwargs["grade"], kwargs["reason"]))

    hooks.final_grade_changed.connect(receiver)
    try:
        dry = client.post(f"/api/v1/exams/{exam.id}/regrade", json=body, headers=teacher)
        assert dry.status_code == 200, dry.get_json()
        report = dry.get_json()
        assert report["dry_run"] is True and report["changed"] == 2
        rows = {r["attempt_id"]: r for r in report["attempts"]}
        assert (rows[right]["old_score"], rows[right]["new_score"]) == ("1.0000", "0.0000")
        assert (rows[right]["old_grade"], rows[right]["new_grade"]) == ("2.50", "0.00")
        assert (rows[wrong]["old_grade"], rows[wrong]["new_grade"]) == ("0.00", "2.50")
        assert rows[right]["full_name"] == "Nguyễn Văn Á" and rows[right]["changed"] is True
        db.session.expire_all()
        assert json.dumps(db.session.get(Exam, exam.id).snapshot, sort_keys=True) == before
        assert _fresh(right).grade == Decimal("2.50") and _fresh(wrong).grade == 0
        assert calls == []

        applied = client.post(f"/api/v1/exams/{exam.id}/regrade",
                              json={**body, "dry_run": False}, headers=teacher)
        assert applied.status_code == 200 and applied.get_json()["changed"] == 2
    finally:
        hooks.final_grade_changed.disconnect(receiver)
    assert _fresh(right).grade == 0 and _fresh(wrong).grade == Decimal("2.50")
    entry = db.session.get(Exam, exam.id).snapshot[0]
    assert [o["id"] for o in entry["payload"]["options"] if o["correct"]] == ["c"]
    assert [o["id"] for o in entry["history"][0]["payload"]["options"] if o["correct"]] == ["b"]
    assert entry["history"][0]["replaced_by"] == org.teacher_x.id
    assert sorted(calls) == sorted([(exam.id, org.student_a.id, Decimal("0.00"), "regrade"),
                                    (exam.id, org.student_b.id, Decimal("2.50"), "regrade")])
    # applying the same key again changes nothing, not even the history
    again = client.post(f"/api/v1/exams/{exam.id}/regrade", json={**body, "dry_run": False},
                        headers=teacher).get_json()
    db.session.expire_all()
    assert again["changed"] == 0 and len(db.session.get(Exam, exam.id).snapshot[0][
        "history"]) == 1


def test_regrade_refuses_a_key_that_breaks_the_slot(client, org):
    exam = essay_exam(org)
    sit(client, "hsa", exam, {1: "b"})
    teacher = bearer(client, "teacherx")
    good = _key_b_to_c(exam)
    two_right = {**good, "options": [{**o, "correct": o["id"] in "bc"} for o in good["options"]]}
    renamed = {**good, "options": [{**o, "id": o["id"] + "x"} for o in good["options"]]}
    cases = [
        ({"slot": 1, "payload": dict(RAW["true_false"])}, "type_changed"),
        ({"slot": 1, "payload": renamed}, "ids_changed"),
        ({"slot": 1, "payload": two_right}, "invalid_payload"),
        ({"slot": 1, "payload": {"type": "nonsense"}}, "invalid_payload"),
        ({"slot": 7, "payload": good}, "unknown_slot"),
    ]
    for body, code in cases:
        reply = client.post(f"/api/v1/exams/{exam.id}/regrade", json=body, headers=teacher)
        assert reply.status_code == 400, (body, reply.get_json())
        assert reply.get_json()["error"]["code"] == code
    invalid = client.post(f"/api/v1/exams/{exam.id}/regrade",
                          json={"slot": 1, "payload": two_right}, headers=teacher).get_json()
    assert invalid["error"]["details"]["problems"][0]["path"] == "options"
    assert client.post(f"/api/v1/exams/{exam.id}/regrade", headers=teacher,
                       json={"slot": 1, "payload": good, "score": 1}).status_code == 400
    assert "history" not in db.session.get(Exam, exam.id).snapshot[0]


def test_final_grade_signal_reaches_a_real_subscriber(client, org):
    """The gradebook seam: finish, manual grade and regrade announce changed final grades."""
    exam = essay_exam(org)
    gradebook: dict[tuple[int, int], Decimal | None] = {}
    reasons = []

    @grading.on_final_grade
    def record(sender, user_id, grade, previous, reason):
        assert gradebook.get((sender.id, user_id)) == previous
        gradebook[(sender.id, user_id)] = grade
        reasons.append(reason)

    try:
        attempt_id = sit(client, "hsa", exam, {1: "b", 2: "Bài"})
        assert gradebook == {(exam.id, org.student_a.id): Decimal("2.50")}
        teacher = bearer(client, "teacherx")
        assert _put(client, teacher, attempt_id, 2, {"points": "1.5"}).status_code == 200
        assert gradebook[(exam.id, org.student_a.id)] == Decimal("6.25")
        # the same grade again: the final grade does not change, nothing is sent
        assert _put(client, teacher, attempt_id, 2, {"points": "1.5"}).status_code == 200
        client.post(f"/api/v1/exams/{exam.id}/regrade", headers=teacher,
                    json={"slot": 1, "payload": _key_b_to_c(exam), "dry_run": False})
        assert gradebook[(exam.id, org.student_a.id)] == Decimal("3.75")
        assert reasons == ["finish", "manual_grade", "regrade"]
    finally:
        hooks.final_grade_changed.disconnect(record)
    # The app's own receiver (the gradebook, connected in lms.app) stays; this one is gone.
    assert record not in [r() if isinstance(r, weakref.ref) else r
                          for r in hooks.final_grade_changed.receivers.values()]


def test_a_failing_subscriber_rolls_the_grade_back(client, org):
    """Receivers run in the caller's transaction: an error leaves the attempt as it was."""
    exam = essay_exam(org)
    attempt_id = sit(client, "hsa", exam, {1: "b", 2: "Bài"})

    def broken(sender, **kwargs):
        raise RuntimeError("gradebook unavailable")

    hooks.final_grade_changed.connect(broken)
    try:
        reply = _put(client, bearer(client, "teacherx"), attempt_id, 2, {"points": "3"})
    finally:
        hooks.final_grade_changed.disconnect(broken)
    assert reply.status_code == 500
    assert _fresh(attempt_id).score == Decimal("1")
    assert db.session.scalar(select(ManualGrade)) is None


def test_the_student_sees_the_teachers_grade_only_as_the_review_policy_allows(client, org):
    """security.md 7–8: the comment is feedback, the points are the score."""
    shown = essay_exam(org)                                        # review "immediately"
    hidden = essay_exam(org, settings={"review": "never"})
    teacher = bearer(client, "teacherx")
    student = bearer(client, "hsa")
    for exam in (shown, hidden):
        attempt_id = sit(client, "hsa", exam, {2: "Bài"})
        assert _put(client, teacher, attempt_id, 2,
                    {"rubric": {"Bố cục": "1", "Lập luận": "0.5"},
                     "comment": "Cần thêm dẫn chứng"}).status_code == 200
        mine = client.get(f"/api/v1/attempts/{attempt_id}", headers=student).get_json()
        if exam is shown:
            assert mine["manual_grades"] == {"2": {
                "points": "1.5000", "rubric": {"Bố cục": "1", "Lập luận": "0.5"},
                "comment": "Cần thêm dẫn chứng"}}
            assert mine["result"]["score"] == "1.5000"
        else:
            text = json.dumps(mine, ensure_ascii=False)
            assert "manual_grades" not in mine and "Cần thêm dẫn chứng" not in text
            assert "result" not in mine


def test_the_regrade_page_previews_then_applies(client, org):
    exam = essay_exam(org)
    right = sit(client, "hsa", exam, {1: "b"})
    wrong = sit(client, "hsb", exam, {1: "c"})
    login(client, "teacherx")
    page = client.get(f"/exams/{exam.id}/regrade?slot=1")
    assert page.status_code == 200 and 'data-testid="key-form"' in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    preview = client.post(f"/exams/{exam.id}/regrade", data={
        "csrf_token": token, "slot": "1", "correct": "c", "action": "preview"})
    text = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "2 bài thay đổi điểm." in text
    assert 'data-testid="apply"' in text and "Nguyễn Văn Á" in text
    assert _fresh(right).grade == Decimal("2.50") and "history" not in db.session.get(
        Exam, exam.id).snapshot[0]
    applied = client.post(f"/exams/{exam.id}/regrade", data={
        "csrf_token": token, "slot": "1", "correct": "c", "action": "apply"})
    assert applied.status_code == 302 and applied.headers["Location"].endswith(
        f"/exams/{exam.id}/report")
    assert _fresh(right).grade == 0 and _fresh(wrong).grade == Decimal("2.50")
    # the essay slot has no key form; another teacher may not open the page
    assert "POST /api/v1/exams/" in client.get(
        f"/exams/{exam.id}/regrade?slot=2").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token})
    login(client, "teachery")
    assert client.get(f"/exams/{exam.id}/regrade").status_code == 404


def test_graders_of_one_attempt_and_a_regrade_at_once_lose_nothing(app, client, org):
    """Meaningful on PostgreSQL (the exam row lock); every total includes every grade."""
    from tests.lms.test_exams_races import _together

    toan = db.session.scalar(select(Subject).where(Subject.code == "TOAN"))
    meta = questions.QuestionMeta(subject_id=toan.id, grade=10)
    bank = [questions.create_question(org.teacher_x, meta, dict(RAW["single_choice"]))] + [
        questions.create_question(org.teacher_x, meta, {**ESSAY, "text_html": f"Câu {n}"})
        for n in range(4)]
    exam = services.create_exam(org.teacher_x, "Nhiều câu tự luận", [q.id for q in bank],
                                None, {"review": "immediately"})
    services.publish(org.teacher_x, exam)
    services.assign_to_class(org.teacher_x, exam, org.class_x)
    db.session.commit()
    attempt_id = sit(client, "hsa", exam, {1: "c"})          # wrong under the key b
    headers = bearer(client, "teacherx")
    fixed = _key_b_to_c(exam)

    def act(c, index):
        if index == 4:
            return c.post(f"/api/v1/exams/{exam.id}/regrade", headers=headers,
                          json={"slot": 1, "payload": fixed, "dry_run": False})
        return _put(c, headers, attempt_id, index + 2, {"points": "0.5"})

    replies = _together(app, 5, act)
    assert [r.status_code for r in replies] == [200] * 5, [r.get_json() for r in replies]
    attempt = _fresh(attempt_id)
    assert attempt.score == Decimal("3") and attempt.grade == Decimal("6.00")   # 1 + 4 × 0.5
