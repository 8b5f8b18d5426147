"""Assigning a test to a group (nhóm) of hand-picked students, and unassigning (bỏ giao):
who the group reaches, which assignment wins, who may pick which students, the API's
messages, attempts kept after unassigning, and other teachers kept out (security.md 2, 14)."""

from datetime import timedelta

import time_machine
from sqlalchemy import select

from lms.core.models import utcnow
from lms.exams import assignments, audience, manage, services
from lms.exams.models import Attempt, AttemptState, Exam, ExamAssignment, ExamAssignmentMember
from lms.exams.student import assigned_exams
from lms.kernel import db
from tests.conftest import csrf_token_from, login
from tests.factories import make_class, member
from tests.lms.exams_setup import T0, bank_questions, bearer, published_exam

SETTINGS = {"review": "immediately", "attempts": 1}


def _create(client, username, assign, author=None, settings=None, org=None):
    """POST /api/v1/exams by ``username`` with ``assign``, published; the reply."""
    bank = bank_questions(author)
    db.session.commit()
    return client.post("/api/v1/exams", headers=bearer(client, username), json={
        "title": "Kiểm tra lại", "question_ids": [q.id for q in bank],
        "settings": settings or SETTINGS, "assign": assign, "publish": True})


def _group_exam(org, student_ids, settings=None, name="Nhóm thi lại"):
    """A published exam by teacher X given only to a group; committed."""
    bank = bank_questions(org.teacher_x)
    exam = services.create_exam(org.teacher_x, "Thi lại", [q.id for q in bank],
                                settings=settings or SETTINGS)
    services.publish(org.teacher_x, exam)
    group = audience.assign_to_group(org.teacher_x, exam, name, student_ids)
    db.session.commit()
    return exam, group


def _start(client, exam_id, username):
    return client.post(f"/api/v1/exams/{exam_id}/attempts", json={},
                       headers=bearer(client, username))


# ---------------------------------------------------------------- who a group reaches


def test_a_group_member_starts_and_a_classmate_outside_the_group_cannot(client, org):
    created = _create(client, "teacherx", {"groups": [{
        "name": "Nhóm thi lại", "student_ids": [org.student_a.id, org.student_a.id]}]},
        author=org.teacher_x)
    assert created.status_code == 201, created.get_json()
    exam_id = created.get_json()["id"]
    listed = client.get(f"/api/v1/exams/{exam_id}/assignments",
                        headers=bearer(client, "teacherx")).get_json()["assignments"]
    assert [(a["kind"], a["name"], a["label"], a["students"], a["student_ids"], a["class_id"],
             a["unit_id"]) for a in listed] == [
        ("group", "Nhóm thi lại", "Nhóm thi lại", 1, [org.student_a.id], None, None)]
    assert _start(client, exam_id, "hsa").status_code == 200
    refused = _start(client, exam_id, "hsb")                   # same class, not in the group
    assert refused.status_code == 404 and "details" in refused.get_json()["error"]
    exam = db.session.get(Exam, exam_id)
    group = exam.assignments[0]
    assert audience.students_of(exam) == {org.student_a.id: group}
    assert [row.exam.id for row in assigned_exams(org.student_a, utcnow())] == [exam_id]
    assert assigned_exams(org.student_b, utcnow()) == []
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == org.student_a.id))
    assert attempt.assignment_id == group.id
    assert client.post(f"/api/v1/attempts/{attempt.id}/submit", json={},
                       headers=bearer(client, "hsa")).status_code == 200
    report = client.get(f"/api/v1/exams/{exam_id}/report",
                        headers=bearer(client, "teacherx")).get_json()
    assert [c["class"] for c in report["classes"]] == ["Nhóm thi lại"]   # the group's row
    login(client, "hsa")
    assert "Kiểm tra lại" in client.get("/exams/").get_data(as_text=True)
    login(client, "hsb")
    assert "Kiểm tra lại" not in client.get("/exams/").get_data(as_text=True)


def test_a_cross_class_group_reaches_students_of_two_classes(client, org):
    class_b = make_class(org.school_x, org.class_x.school_year, "10A2")
    member(org.teacher_x, org.teacher_x.memberships[0].role, org.school_x, class_b)
    other = member(org.student_b, org.student_b.memberships[0].role, org.school_x, class_b)
    exam, group = _group_exam(org, [org.student_a.id, other.id])
    assert audience.students_of(exam) == {org.student_a.id: group, org.student_b.id: group}
    report = manage.pregenerate(org.teacher_x, exam)
    db.session.commit()
    assert report == {"created": 2, "pending": 2, "students": 2}
    assert _start(client, exam.id, "hsb").status_code == 200


def test_class_first_then_group_then_unit(client, org):
    bank = bank_questions(org.leader_x)
    exam = services.create_exam(org.leader_x, "Kiểm tra chung", [q.id for q in bank],
                                settings=SETTINGS)
    services.publish(org.leader_x, exam)
    unit = audience.assign_to_unit(org.leader_x, exam, org.school_x)
    group = audience.assign_to_group(org.leader_x, exam, "Đội tuyển", [org.student_a.id])
    db.session.commit()
    assert audience.assignment_for(org.student_a, exam) == group       # group over unit
    assert audience.assignment_for(org.student_b, exam) == unit
    assert [r.assignment for r in assigned_exams(org.student_a, utcnow())] == [group]
    assert [r.assignment for r in assigned_exams(org.student_b, utcnow())] == [unit]
    school_class = services.assign_to_class(org.leader_x, exam, org.class_x)
    db.session.commit()
    db.session.expire_all()
    exam = db.session.get(Exam, exam.id)
    assert audience.assignment_for(org.student_a, exam) == school_class   # class over group
    assert [r.assignment for r in assigned_exams(org.student_a, utcnow())] == [school_class]
    assert audience.students_of(exam) == {org.student_a.id: school_class,
                                          org.student_b.id: school_class}
    assert [a.kind for a in audience.preferred([unit, group, school_class])] == \
        ["class", "group", "unit"]


def test_group_override_and_a_students_own_override_apply(client, org):
    exam, group = _group_exam(org, [org.student_a.id, org.student_b.id],
                              settings={**SETTINGS, "time_limit_minutes": 15})
    teacher = bearer(client, "teacherx")
    reply = client.put(f"/api/v1/exams/{exam.id}/assignments/{group.id}/override",
                       json={"extra_time_minutes": 10}, headers=teacher)
    assert reply.status_code == 200, reply.get_json()
    own = client.put(f"/api/v1/exams/{exam.id}/overrides/{org.student_b.id}",
                     json={"extra_time_minutes": 30}, headers=teacher)
    assert own.status_code == 200 and own.get_json()["assignment_id"] == group.id
    with time_machine.travel(T0, tick=False):
        a = _start(client, exam.id, "hsa").get_json()["attempt_id"]
        b = _start(client, exam.id, "hsb").get_json()["attempt_id"]
    assert db.session.get(Attempt, a).deadline == T0 + timedelta(minutes=25)
    assert db.session.get(Attempt, b).deadline == T0 + timedelta(minutes=45)
    outsider = client.put(f"/api/v1/exams/{exam.id}/overrides/{org.student_y.id}",
                          json={"extra_time_minutes": 5}, headers=teacher)
    assert outsider.status_code == 404


# ---------------------------------------------------------------- who may pick whom


def test_a_teacher_cannot_put_students_they_do_not_teach_in_a_group(client, org):
    bank = bank_questions(org.teacher_x)
    db.session.commit()
    exam_id = client.post("/api/v1/exams", headers=bearer(client, "teacherx"), json={
        "title": "x", "question_ids": [q.id for q in bank]}).get_json()["id"]
    url = f"/api/v1/exams/{exam_id}/assignments"
    teacher = bearer(client, "teacherx")

    def group(ids, name="Nhóm thi lại"):
        return client.post(url, json={"groups": [{"name": name, "student_ids": ids}]},
                           headers=teacher)

    outside = group([org.student_a.id, org.student_y.id])
    assert outside.status_code == 403
    error = outside.get_json()["error"]
    assert error["code"] == "not_your_students"
    assert error["details"] == {"student_ids": [org.student_y.id]}
    assert str(org.student_y.id) in error["message"]
    unknown = group([999999, org.teacher_y.id, org.student_a.id])
    assert unknown.status_code == 400
    assert unknown.get_json()["error"]["code"] == "unknown_students"
    assert unknown.get_json()["error"]["details"] == {"student_ids": [999999, org.teacher_y.id]}
    assert "999999" in unknown.get_json()["error"]["message"]
    empty = group([])
    assert (empty.status_code, empty.get_json()["error"]["code"]) == (400, "empty_group")
    blank = group([org.student_a.id], name="   ")
    assert (blank.status_code, blank.get_json()["error"]["code"]) == (400, "invalid_group")
    missing_ids = client.post(url, json={"groups": [{"name": "x"}]}, headers=teacher)
    assert missing_ids.get_json()["error"]["code"] == "validation_error"
    assert db.session.scalar(select(ExamAssignment)) is None            # nothing was made
    made = group([org.student_a.id, org.student_b.id, org.student_a.id])
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["assignments"][0]["student_ids"] == sorted(
        [org.student_a.id, org.student_b.id])
    again = group([org.student_a.id], name="nhóm  THI lại")
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "group_exists")


def test_leaders_pick_their_school_and_reviewers_the_units_below_them(client, org):
    leader = _create(client, "leaderx", {"groups": [{"name": "A", "student_ids": [
        org.student_y.id]}]}, author=org.leader_x)
    assert leader.status_code == 403                                    # another school
    reviewer = _create(client, "reviewer1", {"groups": [{"name": "Đội tuyển tỉnh",
                                                         "student_ids": [org.student_a.id,
                                                                         org.student_y.id]}]},
                       author=org.reviewer)
    assert reviewer.status_code == 201, reviewer.get_json()
    assert _start(client, reviewer.get_json()["id"], "hsy").status_code == 200


# ---------------------------------------------------------------- unassigning


def test_unassign_waits_for_running_attempts_and_keeps_finished_ones(client, org):
    exam = published_exam(org, {"review": "immediately", "attempts": 2})
    assignment_id = exam.assignments[0].id
    url = f"/api/v1/exams/{exam.id}/assignments/{assignment_id}"
    teacher = bearer(client, "teacherx")
    attempt_id = _start(client, exam.id, "hsa").get_json()["attempt_id"]
    refused = client.delete(url, headers=teacher)
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert (error["code"], error["details"]) == ("open_attempts", {"open_attempts": 1})
    assert "Còn 1 học sinh đang làm bài" in error["message"]
    submitted = client.post(f"/api/v1/attempts/{attempt_id}/submit", json={},
                            headers=bearer(client, "hsa"))
    assert submitted.status_code == 200
    assert manage.pregenerate(org.teacher_x, db.session.get(Exam, exam.id))["created"] == 2
    db.session.commit()
    removed = client.delete(url, headers=teacher)
    assert removed.status_code == 200, removed.get_json()
    assert removed.get_json() == {"assignment_id": assignment_id, "kind": "class",
                                  "attempts_kept": 1, "closed": 0, "pending_removed": 2}
    db.session.expire_all()
    kept = db.session.get(Attempt, attempt_id)
    assert kept.state == AttemptState.FINISHED and kept.assignment_id is None
    assert db.session.scalar(select(Attempt).where(Attempt.state == AttemptState.PENDING)) \
        is None
    assert db.session.get(ExamAssignment, assignment_id) is None
    assert _start(client, exam.id, "hsa").status_code == 404           # not assigned any more
    results = client.get(f"/api/v1/exams/{exam.id}/results", headers=teacher).get_json()
    assert [a["attempt_id"] for a in results["attempts"]] == [attempt_id]
    assert [g["user_id"] for g in results["final_grades"]] == [org.student_a.id]
    report = client.get(f"/api/v1/exams/{exam.id}/report", headers=teacher).get_json()
    assert report["attempts"] == 1 and report["students"][0]["user_id"] == org.student_a.id
    assert report["students"][0]["class"] == "10A1 (Trường THPT X)"   # their own class
    login(client, "teacherx")
    page = client.get(f"/teacher/exams/{exam.id}/results").get_data(as_text=True)
    assert page.count('data-testid="student-row"') == 1
    assert page.count('data-testid="attempt-row"') == 1 and "Không còn được giao" in page
    assert 'data-testid="student-override"' not in page
    assert client.delete(url, headers=teacher).status_code == 404       # already gone


def test_unassign_can_collect_running_papers_first(client, org):
    exam, group = _group_exam(org, [org.student_a.id])
    attempt_id = _start(client, exam.id, "hsa").get_json()["attempt_id"]
    url = f"/api/v1/exams/{exam.id}/assignments/{group.id}"
    teacher = bearer(client, "teacherx")
    assert client.delete(url + "?close_open=maybe", headers=teacher).status_code == 400
    removed = client.delete(url + "?close_open=true", headers=teacher)
    assert removed.status_code == 200, removed.get_json()
    assert removed.get_json()["closed"] == 1 and removed.get_json()["attempts_kept"] == 1
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == AttemptState.FINISHED and attempt.grade is not None
    assert db.session.scalar(select(ExamAssignmentMember)) is None      # members cascade


def test_an_overdue_attempt_does_not_block_unassigning(client, org):
    exam, group = _group_exam(org, [org.student_a.id],
                              settings={**SETTINGS, "time_limit_minutes": 1})
    with time_machine.travel(T0, tick=False):
        attempt = services.start_attempt(org.student_a, exam, T0)
        db.session.commit()
    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        assert _start(client, exam.id, "hsa").status_code == 200     # still running: resumed
        assert client.delete(f"/api/v1/exams/{exam.id}/assignments/{group.id}",
                             headers=bearer(client, "teacherx")).status_code == 409
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        report = assignments.unassign(org.teacher_x, exam, group)
    assert report["closed"] == 1
    assert db.session.get(Attempt, attempt.id).finished_at == T0 + timedelta(minutes=1)


# ---------------------------------------------------------------- editing a group's members


def _members(group_id: int) -> list[int]:
    return sorted(db.session.scalars(select(ExamAssignmentMember.user_id).where(
        ExamAssignmentMember.assignment_id == group_id)))


def test_a_groups_members_are_replaced_and_a_student_taken_out_keeps_their_paper(client, org):
    exam, group = _group_exam(org, [org.student_a.id], settings={**SETTINGS, "attempts": 2})
    url = f"/api/v1/exams/{exam.id}/assignments/{group.id}/members"
    teacher = bearer(client, "teacherx")
    attempt_id = _start(client, exam.id, "hsa").get_json()["attempt_id"]
    added = client.put(url, headers=teacher, json={"student_ids": [org.student_a.id,
                                                                  org.student_b.id]})
    assert added.get_json() == {"assignment_id": group.id, "students": 2, "added": 1,
                                "removed": 0, "closed": 0, "pending_removed": 0}
    assert _start(client, exam.id, "hsb").status_code == 200            # hsb is in now
    # taking out hsa while her paper runs: refused, nothing changed
    refused = client.put(url, headers=teacher, json={"student_ids": [org.student_b.id]})
    assert (refused.status_code, refused.get_json()["error"]["code"]) == (409, "open_attempts")
    db.session.expire_all()
    assert _members(group.id) == sorted([org.student_a.id, org.student_b.id])
    assert client.post(f"/api/v1/attempts/{attempt_id}/submit", json={},
                       headers=bearer(client, "hsa")).status_code == 200
    out = client.put(url, headers=teacher, json={"student_ids": [org.student_b.id]})
    assert out.status_code == 200 and out.get_json()["removed"] == 1
    db.session.expire_all()
    assert _members(group.id) == [org.student_b.id]
    kept = db.session.get(Attempt, attempt_id)
    assert kept.state == AttemptState.FINISHED and kept.assignment_id is None
    assert _start(client, exam.id, "hsa").status_code == 404            # no longer given it
    results = client.get(f"/api/v1/exams/{exam.id}/results", headers=teacher).get_json()
    assert attempt_id in [a["attempt_id"] for a in results["attempts"]]


def test_member_edits_follow_the_rules_of_making_a_group(client, org):
    exam, group = _group_exam(org, [org.student_a.id])
    url = f"/api/v1/exams/{exam.id}/assignments/{group.id}/members"
    teacher = bearer(client, "teacherx")

    def put(ids, headers=teacher):
        reply = client.put(url, headers=headers, json={"student_ids": ids})
        return reply.status_code, (reply.get_json().get("error") or {}).get("code")

    assert put([]) == (400, "empty_group")
    assert put([999999]) == (400, "unknown_students")
    assert put([org.student_y.id]) == (403, "not_your_students")
    assert put([org.student_b.id], bearer(client, "teachery"))[0] == 404
    class_row = published_exam(org).assignments[0]
    db.session.commit()
    not_group = client.put(f"/api/v1/exams/{class_row.exam_id}/assignments/{class_row.id}"
                           "/members", headers=teacher, json={"student_ids": [org.student_a.id]})
    assert not_group.get_json()["error"]["code"] == "not_a_group"
    db.session.expire_all()
    assert _members(group.id) == [org.student_a.id]                    # nothing changed


def test_the_teacher_edits_a_group_on_the_page(client, org):
    exam, group = _group_exam(org, [org.student_a.id])
    login(client, "teacherx")
    page = client.get(f"/teacher/exams/{exam.id}").get_data(as_text=True)
    assert f'data-testid="edit-members-{group.id}"' in page
    assert f'id="gm{group.id}-{org.class_x.id}-{org.student_a.id}" checked' in page
    reply = client.post(f"/teacher/exams/{exam.id}/assignments/{group.id}/members", data={
        "csrf_token": csrf_token_from(page), "student_id": [str(org.student_b.id)]},
        follow_redirects=True)
    assert "thêm 1, bỏ 1" in reply.get_data(as_text=True)
    db.session.expire_all()
    assert _members(group.id) == [org.student_b.id]


# ---------------------------------------------------------------- other teachers, students


def test_other_teachers_and_students_cannot_list_add_or_unassign(client, org):
    exam, group = _group_exam(org, [org.student_a.id])
    other_exam = published_exam(org)
    base = f"/api/v1/exams/{exam.id}/assignments"
    body = {"groups": [{"name": "B", "student_ids": [org.student_y.id]}]}
    for username in ("teachery", "hsa", "leaderx"):
        headers = bearer(client, username)
        assert client.get(base, headers=headers).status_code == 404
        assert client.post(base, json=body, headers=headers).status_code == 404
        assert client.delete(f"{base}/{group.id}", headers=headers).status_code == 404
    teacher = bearer(client, "teacherx")
    assert client.get("/api/v1/exams/999999/assignments", headers=teacher).status_code == 404
    other = other_exam.assignments[0].id                 # an assignment of another exam
    assert client.delete(f"{base}/{other}", headers=teacher).status_code == 404
    login(client, "teachery")
    token = csrf_token_from(client.get("/teacher/exams/").get_data(as_text=True))
    assert client.post(f"/teacher/exams/{exam.id}/assignments/{group.id}/remove",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/teacher/exams/{exam.id}/groups", data={
        "csrf_token": token, "name": "x", "student_id": org.student_y.id}).status_code == 404
    db.session.expire_all()
    assert db.session.get(ExamAssignment, group.id) is not None
    assert len(db.session.get(Exam, exam.id).assignments) == 1


# ---------------------------------------------------------------- the teacher's page


def test_the_teacher_makes_a_group_and_unassigns_it_on_the_page(client, org):
    exam = published_exam(org)
    org.student_b.full_name = "<script>alert(1)</script>"
    db.session.commit()
    login(client, "teacherx")
    edit = f"/teacher/exams/{exam.id}"
    page = client.get(edit).get_data(as_text=True)
    assert 'data-testid="group-form"' in page and "10A1" in page
    assert f'value="{org.student_a.id}"' in page and "&lt;script&gt;alert(1)" in page
    assert "<script>alert(1)" not in page
    assert page.count('data-testid="assignment-row"') == 1
    token = csrf_token_from(page)
    made = client.post(f"{edit}/groups", data={"csrf_token": token, "name": "Nhóm thi lại",
                                               "student_id": [org.student_a.id]})
    assert made.status_code == 302
    page = client.get(edit).get_data(as_text=True)
    assert "Đã giao bài cho nhóm “Nhóm thi lại” (1 học sinh)" in page
    assert page.count('data-testid="assignment-row"') == 2 and "1 học sinh" in page
    group = db.session.scalar(select(ExamAssignment).where(ExamAssignment.name.is_not(None)))
    empty = client.post(f"{edit}/groups", data={"csrf_token": token, "name": "Trống"})
    assert "Hãy chọn ít nhất một học sinh" in client.get(empty.headers["Location"]).get_data(
        as_text=True)
    outside = client.post(f"{edit}/groups", data={"csrf_token": token, "name": "Lạ",
                                                  "student_id": [org.student_y.id]})
    assert outside.status_code == 403 and str(org.student_y.id) in outside.get_data(
        as_text=True)
    attempt = services.start_attempt(org.student_a, db.session.get(Exam, exam.id))
    db.session.commit()
    assert attempt.assignment_id == exam.assignments[0].id              # the class wins
    class_id = exam.assignments[0].id
    page = client.get(edit).get_data(as_text=True)
    assert f'data-testid="collect-unassign-{class_id}"' in page
    refused = client.post(f"{edit}/assignments/{class_id}/remove", data={"csrf_token": token})
    assert "Còn 1 học sinh đang làm bài" in client.get(refused.headers["Location"]).get_data(
        as_text=True)
    removed = client.post(f"{edit}/assignments/{group.id}/remove", data={"csrf_token": token})
    assert "Đã bỏ giao bài cho “Nhóm thi lại”" in client.get(
        removed.headers["Location"]).get_data(as_text=True)
    collected = client.post(f"{edit}/assignments/{class_id}/remove",
                            data={"csrf_token": token, "close_open": "1"})
    assert collected.status_code == 302
    db.session.expire_all()
    assert db.session.get(Exam, exam.id).assignments == []
    assert db.session.get(Attempt, attempt.id).state == AttemptState.FINISHED
    assert 'data-testid="no-assignments"' in client.get(edit).get_data(as_text=True)


def test_openapi_documents_the_assignment_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assignments_path = spec["paths"]["/api/v1/exams/{exam_id}/assignments"]
    assert {"get", "post"} <= set(assignments_path)
    delete = spec["paths"]["/api/v1/exams/{exam_id}/assignments/{assignment_id}"]["delete"]
    assert "409" in delete["responses"] and "close_open" in str(delete["parameters"])
    assert "groups" in spec["components"]["schemas"]["Assign"]["properties"]
    assert set(spec["components"]["schemas"]["Group"]["required"]) == {"name", "student_ids"}


def test_starts_racing_an_unassign_never_leave_an_attempt_without_its_assignment(app, client,
                                                                                 org):
    """Run on PostgreSQL too: the unassign's row lock waits for a start in flight (then 409),
    or a start waiting on it fails its foreign key (409 "try again", then 404)."""
    import threading

    exam = published_exam(org, {"review": "immediately", "attempts": 0})
    assignment_id = exam.assignments[0].id
    url = f"/api/v1/exams/{exam.id}/assignments/{assignment_id}"
    headers = [bearer(client, name) for name in ("teacherx", "hsa", "hsb")]
    barrier, replies = threading.Barrier(3), [None] * 3

    def run(index):
        c = app.test_client()
        barrier.wait()
        replies[index] = (c.delete(url, headers=headers[0]) if index == 0 else
                          c.post(f"/api/v1/exams/{exam.id}/attempts", json={},
                                 headers=headers[index]))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = [r.status_code for r in replies]
    assert codes[0] in (200, 409) and set(codes[1:]) <= {200, 404, 409}, \
        [r.get_json() for r in replies]
    db.session.expire_all()
    running = db.session.scalars(select(Attempt).where(
        Attempt.state == AttemptState.IN_PROGRESS)).all()
    assert all(a.assignment_id is not None for a in running)
    assert (codes[0] == 200) == (db.session.get(ExamAssignment, assignment_id) is None)
    if codes[0] == 409:     # a start that waited on the refused unassign may come after it
        assert 1 <= replies[0].get_json()["error"]["details"]["open_attempts"] <= len(running)
