"""Test scores flow into the gradebook: a teacher maps a published test to a column; the
10-point score fills it and follows every change of the final grade, except in a locked
term, where the new score is flagged for the teacher (issue 13 §2)."""

from sqlalchemy import select

from lms.gradebook.models import GradebookChange, GradebookEntry, ScoreFlag
from lms.kernel import db as _db
from tests.lms.gradebook_setup import bearer, build_book
from tests.lms.test_exams_grading import _key_b_to_c, _put, essay_exam, sit


def _mid(org, student_id, term=1):
    _db.session.expire_all()
    return _db.session.scalar(select(GradebookEntry.mid_term).where(
        GradebookEntry.class_id == org.class_x.id, GradebookEntry.student_id == student_id,
        GradebookEntry.term == term))


def _map(client, org, headers, exam_id, field="mid", term=1, code="TOAN"):
    return client.post(f"/api/v1/gradebook/{org.class_x.id}/{code}/sources", headers=headers,
                       json={"term": term, "field": field, "kind": "exam",
                             "source_id": exam_id})


def _lock(client, org, locked):
    reply = client.put(f"/api/v1/gradebook/{org.class_x.id}/locks/1", json={"locked": locked},
                       headers=bearer(client, "leaderx"))
    assert reply.status_code == 200


def test_a_mapped_test_fills_the_column_and_follows_regrades_until_the_lock(client, org):
    build_book(org)
    exam = essay_exam(org)
    teacher = bearer(client, "teacherx")
    attempt_id = sit(client, "hsa", exam, {1: "b", 2: "Bài"})   # 1 of 4 points: 2.50
    choices = client.get(f"/api/v1/gradebook/{org.class_x.id}/TOAN/sources/choices",
                         headers=teacher).get_json()["choices"]
    assert {"kind": "exam", "id": exam.id, "title": exam.title} in choices

    mapped = _map(client, org, teacher, exam.id)
    assert mapped.status_code == 201 and mapped.get_json()["filled"] == 1
    assert _mid(org, org.student_a.id) == "2.5"

    # An essay graded: 2.5 of 4 points = 6.25 on the test → 6.3 in the gradebook (half-up).
    assert _put(client, teacher, attempt_id, 2, {"points": "1.5"}).status_code == 200
    assert _mid(org, org.student_a.id) == "6.3"
    change = _db.session.scalar(select(GradebookChange).order_by(GradebookChange.id.desc()))
    assert (change.old, change.new, change.via, change.as_role) == ("2.5", "6.3", "test",
                                                                    "system")

    # A student finishing after the mapping is filled in by the signal.
    sit(client, "hsb", exam, {1: "c", 2: "Bài"})
    assert _mid(org, org.student_b.id) == "0"

    # The term is locked: a regrade leaves the cell and flags the new score.
    _lock(client, org, True)
    client.post(f"/api/v1/exams/{exam.id}/regrade", headers=teacher,
                json={"slot": 1, "payload": _key_b_to_c(exam), "dry_run": False})
    assert _mid(org, org.student_a.id) == "6.3"
    flags = {f.student_id: f.proposed for f in _db.session.scalars(select(ScoreFlag))}
    assert flags == {org.student_a.id: "3.8", org.student_b.id: "2.5"}
    sheet = client.get(f"/api/v1/gradebook/{org.class_x.id}/TOAN", headers=teacher).get_json()
    assert {(f["student_id"], f["proposed"]) for f in sheet["flags"]} == set(flags.items())

    flag_id = next(f["id"] for f in sheet["flags"] if f["student_id"] == org.student_a.id)
    url = f"/api/v1/gradebook/{org.class_x.id}/flags/{flag_id}"
    refused = client.post(url, json={"apply": True}, headers=teacher)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "locked"
    _lock(client, org, False)
    assert client.post(url, json={"apply": True}, headers=teacher).status_code == 200
    assert _mid(org, org.student_a.id) == "3.8"
    assert client.post(url, json={"apply": True}, headers=teacher).status_code == 409


def test_dismissing_a_flag_keeps_the_score(client, org):
    build_book(org)
    exam = essay_exam(org)
    teacher = bearer(client, "teacherx")
    sit(client, "hsa", exam, {1: "b", 2: "Bài"})
    _map(client, org, teacher, exam.id)
    _lock(client, org, True)
    client.post(f"/api/v1/exams/{exam.id}/regrade", headers=teacher,
                json={"slot": 1, "payload": _key_b_to_c(exam), "dry_run": False})
    flag = _db.session.scalar(select(ScoreFlag))
    assert client.post(f"/api/v1/gradebook/{org.class_x.id}/flags/{flag.id}",
                       json={"apply": False}, headers=bearer(client, "gvcn")).status_code == 403
    assert client.post(f"/api/v1/gradebook/{org.class_x.id}/flags/{flag.id}",
                       json={"apply": False}, headers=teacher).status_code == 200
    assert _mid(org, org.student_a.id) == "2.5"


def test_who_may_map_and_what(client, org):
    build_book(org)
    exam = essay_exam(org)
    teacher = bearer(client, "teacherx")
    assert _map(client, org, bearer(client, "gvcn"), exam.id).status_code == 403
    assert _map(client, org, bearer(client, "hsa"), exam.id).status_code == 404
    assert _map(client, org, bearer(client, "teachery"), exam.id).status_code == 404
    # Not a test of this class, a comment-only subject, a column the subject lacks.
    assert _map(client, org, teacher, exam.id + 999).status_code == 404
    assert _map(client, org, teacher, exam.id, code="GDTC").status_code == 400
    assert _map(client, org, teacher, exam.id, field="regular.5").status_code == 400
    _lock(client, org, True)
    locked = _map(client, org, teacher, exam.id)
    assert locked.status_code == 409 and locked.get_json()["error"]["code"] == "locked"
    _lock(client, org, False)
    assert _map(client, org, teacher, exam.id).status_code == 201
    taken = _map(client, org, teacher, exam.id)
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "mapped"
    source_id = client.get(f"/api/v1/gradebook/{org.class_x.id}/TOAN",
                           headers=teacher).get_json()["sources"][0]["id"]
    assert client.delete(f"/api/v1/gradebook/{org.class_x.id}/TOAN/sources/{source_id}",
                         headers=teacher).status_code == 204
    assert _map(client, org, teacher, exam.id, field="regular.2").status_code == 201


def test_an_unmapped_test_changes_nothing(client, org):
    build_book(org)
    exam = essay_exam(org)
    sit(client, "hsa", exam, {1: "b", 2: "Bài"})
    assert _db.session.scalar(select(GradebookEntry.id)) is None
