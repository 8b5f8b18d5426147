"""Assigning a test to a unit (school, district, department): every class below takes it."""

from lms.exams import audience, manage, services
from lms.exams.models import Attempt
from lms.kernel import db
from tests.lms.exams_setup import bank_questions, bearer

SETTINGS = {"review": "immediately", "attempts": 1}


def test_a_department_mock_exam_reaches_every_school_below(client, org):
    bank = bank_questions(org.reviewer)
    db.session.commit()
    created = client.post("/api/v1/exams", headers=bearer(client, "reviewer1"), json={
        "title": "Thi thử cấp tỉnh", "question_ids": [q.id for q in bank],
        "settings": SETTINGS, "assign": {"unit_ids": [org.dept.id]}, "publish": True})
    assert created.status_code == 201, created.get_json()
    exam_id = created.get_json()["id"]
    for student in ("hsa", "hsy"):  # two schools under the department
        started = client.post(f"/api/v1/exams/{exam_id}/attempts", json={},
                              headers=bearer(client, student))
        assert started.status_code == 200, (student, started.get_json())
        attempt_id = started.get_json()["attempt_id"]
        assert client.post(f"/api/v1/attempts/{attempt_id}/submit", json={},
                           headers=bearer(client, student)).status_code == 200
    # the report names each student's class and school (a unit assignment names no class)
    report = client.get(f"/api/v1/exams/{exam_id}/report",
                        headers=bearer(client, "reviewer1")).get_json()
    assert sorted(c["class"] for c in report["classes"]) == [
        "10A1 (Trường THPT X)", "8A1 (Trường THCS Y)"]
    from lms.core.models import utcnow
    from lms.exams.student import assigned_exams

    rows = assigned_exams(org.student_y, utcnow())
    assert [row.exam.id for row in rows] == [exam_id]


def test_only_leaders_and_staff_over_the_unit_assign_it(client, org):
    ids = {"leaderx": [q.id for q in bank_questions(org.leader_x)],
           "teacherx": [q.id for q in bank_questions(org.teacher_x)]}
    db.session.commit()

    def create(username, unit):
        return client.post("/api/v1/exams", headers=bearer(client, username), json={
            "title": "Kiểm tra chung", "question_ids": ids[username], "settings": SETTINGS,
            "assign": {"unit_ids": [unit.id]}, "publish": True})

    assert create("teacherx", org.school_x).status_code == 403     # a teacher, not a leader
    assert create("leaderx", org.school_y).status_code == 403      # another school
    assert create("leaderx", org.dept).status_code == 403          # above the leader's school
    led = create("leaderx", org.school_x)
    assert led.status_code == 201, led.get_json()
    bad = client.post("/api/v1/exams", headers=bearer(client, "leaderx"), json={
        "title": "x", "question_ids": ids["leaderx"], "assign": {"unit_ids": [999999]}})
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "unknown_unit"
    exam_id = led.get_json()["id"]
    assert client.post(f"/api/v1/exams/{exam_id}/attempts", json={},
                       headers=bearer(client, "hsa")).status_code == 200
    assert client.post(f"/api/v1/exams/{exam_id}/attempts", json={},
                       headers=bearer(client, "hsy")).status_code == 404   # other school


def test_a_class_assignment_wins_over_the_unit_one_and_pregeneration_covers_both(client, org):
    bank = bank_questions(org.leader_x)
    exam = services.create_exam(org.leader_x, "Kiểm tra chung", [q.id for q in bank],
                                settings=SETTINGS)
    services.publish(org.leader_x, exam)
    unit_assignment = audience.assign_to_unit(org.leader_x, exam, org.school_x)
    class_assignment = services.assign_to_class(org.leader_x, exam, org.class_x,
                                                overrides={org.student_a.id: {"extra_attempts": 1}})
    assert audience.assign_to_unit(org.leader_x, exam, org.school_x) is unit_assignment
    db.session.commit()
    assert audience.assignment_for(org.student_a, exam) == class_assignment
    reached = audience.students_of(exam)
    assert reached == {org.student_a.id: class_assignment, org.student_b.id: class_assignment}
    assert manage.students_of(exam) == reached
    assert audience.assignment_for(org.student_y, exam) is None
    client.post(f"/api/v1/exams/{exam.id}/attempts", json={}, headers=bearer(client, "hsa"))
    attempt = db.session.scalar(db.select(Attempt).where(Attempt.user_id == org.student_a.id))
    assert attempt.assignment_id == class_assignment.id
