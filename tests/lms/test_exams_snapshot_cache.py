"""The per-process snapshot cache (lms/exams/snapshots.py): a regrade rewrites a published
snapshot, and the very next request in the same process must read the new one."""

import re

from sqlalchemy import select

from lms.exams import snapshots
from lms.exams.models import Exam
from lms.kernel import db
from tests.lms.exams_setup import bearer
from tests.lms.test_exams_grading import _key_b_to_c, essay_exam, sit
from tests.lms.test_exams_sql_count import Statements

SNAPSHOT = re.compile(r"exam\.snapshot\b(?!_)")


def _rev(exam_id: int) -> int:
    return db.session.scalar(select(Exam.snapshot_rev).where(Exam.id == exam_id))


def test_a_regrade_is_seen_by_the_next_request_of_the_same_process(client, org):
    exam = essay_exam(org)
    attempt_id = sit(client, "hsa", exam, {1: "b"})       # right under the old key
    student = bearer(client, "hsa")
    before = client.get(f"/api/v1/attempts/{attempt_id}", headers=student).get_json()
    assert before["correctness"]["1"] == "1"
    old_rev = _rev(exam.id)
    assert old_rev and snapshots.get(exam.id, old_rev) is not None   # the cache is in play

    applied = client.post(f"/api/v1/exams/{exam.id}/regrade", headers=bearer(client, "teacherx"),
                          json={"slot": 1, "payload": _key_b_to_c(exam), "dry_run": False})
    assert applied.status_code == 200 and applied.get_json()["changed"] == 1

    assert _rev(exam.id) not in (0, old_rev)
    after = client.get(f"/api/v1/attempts/{attempt_id}", headers=student).get_json()
    assert after["correctness"]["1"] == "0"
    assert after["correct_answers"]["1"] != before["correct_answers"]["1"]
    assert after["result"]["grade"] == "0.00"


def test_publish_fills_the_cache_and_a_cold_process_loads_the_snapshot_once(client, org, db):
    exam = essay_exam(org)
    rev = _rev(exam.id)
    assert [e["slot"] for e in snapshots.get(exam.id, rev)] == [1, 2]   # publish kept it
    path = f"/api/v1/attempts/{sit(client, 'hsa', exam, {1: 'b'})}"   # finished: scored
    headers = bearer(client, "hsa")

    snapshots.clear()                                     # another worker process
    db.session.expire_all()
    with Statements(db.engine) as cold:
        assert client.get(path, headers=headers).status_code == 200
    db.session.expire_all()
    with Statements(db.engine) as warm:
        assert client.get(path, headers=headers).status_code == 200
    assert sum(bool(SNAPSHOT.search(s)) for s in cold.seen) == 1, str(cold)
    assert not any(SNAPSHOT.search(s) for s in warm.seen), str(warm)
    assert len(warm) == len(cold) - 1


def test_the_cache_is_bounded(monkeypatch):
    snapshots.clear()
    monkeypatch.setattr(snapshots, "MAX_EXAMS", 3)
    for exam_id in range(1, 6):
        snapshots.remember(exam_id, 7, [{"slot": exam_id}])
    snapshots.get(3, 7)                                   # recently used: kept
    snapshots.remember(6, 7, [])
    assert [i for i in range(1, 7) if snapshots.get(i, 7) is not None] == [3, 5, 6]
    snapshots.remember(9, 0, [{"slot": 1}])               # rev 0: never written, never kept
    assert snapshots.get(9, 0) is None
