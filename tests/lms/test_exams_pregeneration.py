"""Pre-generated attempts for a large assignment run as a Celery job (in-process in the
suite, CELERY_EAGER): 202 with a task the page polls, the same job on a second click, a job
that can be rerun or resumed without a second open attempt, and the CLI's two ways."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.core.models import TaskProgress, TaskState, utcnow
from lms.core.services import start_task
from lms.exams import manage, pregeneration
from lms.exams.models import Attempt, AttemptState, Exam
from lms.exams.tasks import pregenerate
from lms.kernel import db
from tests.conftest import csrf_token_from, login
from tests.lms.exams_setup import bearer, published_exam
from tests.lms.test_celery import broker_url, worker  # noqa: F401 — fixtures


@pytest.fixture
def large(app, monkeypatch):
    """Every assignment counts as large: the two students of 10A1 go to the job."""
    monkeypatch.setitem(app.config, "EXAM_PREGENERATE_INLINE_MAX", 1)


def _pending() -> list[tuple[int, int]]:
    db.session.expire_all()
    return sorted(db.session.execute(select(Attempt.user_id, Attempt.number).where(
        Attempt.state == AttemptState.PENDING)).all())


def test_a_small_class_is_done_in_the_request(client, org):
    exam = published_exam(org)
    reply = client.post(f"/api/v1/exams/{exam.id}/pregenerate", json={},
                        headers=bearer(client, "teacherx"))
    assert reply.status_code == 200
    assert reply.get_json() == {"created": 2, "pending": 2, "students": 2}
    assert db.session.scalar(select(func.count()).select_from(TaskProgress)) == 0


def test_a_large_assignment_gets_a_job_the_caller_polls(client, org, large):
    exam = published_exam(org)
    teacher = bearer(client, "teacherx")
    url = f"/api/v1/exams/{exam.id}/pregenerate"
    assert client.post(url, json={}, headers=bearer(client, "teachery")).status_code == 404
    reply = client.post(url, json={}, headers=teacher)
    assert reply.status_code == 202
    body = reply.get_json()
    assert set(body) == {"task_id", "state", "status_url"}
    assert body["status_url"] == f"/api/v1/tasks/{body['task_id']}"
    status = client.get(body["status_url"], headers=teacher).get_json()
    assert status["kind"] == f"exams.pregenerate:{exam.id}"
    assert (status["state"], status["progress"]) == ("succeeded", 100)
    assert status["message"] == ("Đã tạo sẵn 2 lượt làm bài (2 lượt đang chờ học sinh bắt "
                                 "đầu).")
    assert _pending() == [(org.student_a.id, 1), (org.student_b.id, 1)]
    assert client.get(body["status_url"], headers=bearer(client, "teachery")).status_code == 404
    # clicked again after it finished: a new job, nothing new to make
    again = client.post(url, json={}, headers=teacher).get_json()
    assert again["task_id"] != body["task_id"]
    assert "Đã tạo sẵn 0 lượt" in client.get(again["status_url"], headers=teacher) \
        .get_json()["message"]
    assert _pending() == [(org.student_a.id, 1), (org.student_b.id, 1)]


def test_a_second_click_while_the_job_runs_gets_the_same_job(client, org, large):
    exam = published_exam(org)
    running = start_task(f"exams.pregenerate:{exam.id}", org.teacher_x.id, "Đang chạy")
    running.state = TaskState.RUNNING
    other = start_task(f"exams.pregenerate:{exam.id + 1}", org.teacher_x.id)  # another test
    db.session.commit()
    teacher = bearer(client, "teacherx")
    reply = client.post(f"/api/v1/exams/{exam.id}/pregenerate", json={}, headers=teacher)
    assert reply.status_code == 202
    assert reply.get_json()["task_id"] == running.id != other.id
    assert db.session.scalar(select(func.count()).select_from(TaskProgress)) == 2
    assert _pending() == []                     # the running job (a worker) does the work
    # a job silent for longer than STALE_AFTER is taken for lost: a new one does the work
    db.session.get(TaskProgress, running.id).updated_at = \
        utcnow() - pregeneration.STALE_AFTER - timedelta(minutes=1)
    db.session.commit()
    fresh = client.post(f"/api/v1/exams/{exam.id}/pregenerate", json={}, headers=teacher)
    assert fresh.status_code == 202 and fresh.get_json()["task_id"] != running.id
    assert len(_pending()) == 2


def test_the_job_resumes_after_a_crash_and_reruns_harmlessly(app, org):
    exam = published_exam(org)

    def crash_after_first_chunk(done, _total):
        db.session.commit()
        raise RuntimeError("worker lost")

    with pytest.raises(RuntimeError):
        manage.generate_pending(db.session.get(Exam, exam.id), progress=crash_after_first_chunk,
                                chunk=1)
    db.session.rollback()
    assert _pending() == [(org.student_a.id, 1)]              # the first chunk was kept
    task = start_task(f"exams.pregenerate:{exam.id}", org.teacher_x.id)
    db.session.commit()
    assert pregenerate.delay(task.id, exam.id).get() == {"created": 1, "pending": 2,
                                                          "students": 2}
    assert pregenerate.delay(None, exam.id).get()["created"] == 0
    assert _pending() == [(org.student_a.id, 1), (org.student_b.id, 1)]
    assert db.session.get(TaskProgress, task.id).state == TaskState.SUCCEEDED


def test_a_job_for_a_draft_or_a_missing_test_fails_with_its_reason(app, org):
    exam = published_exam(org)
    draft = Exam(title="Nháp", owner_id=org.teacher_x.id, settings=exam.settings,
                 selection=exam.selection)
    db.session.add(draft)
    db.session.commit()
    for exam_id, message in ((draft.id, "Hãy phát hành bài kiểm tra trước"),
                             (999999, "Không tìm thấy bài kiểm tra")):
        task = start_task("exams.pregenerate", org.teacher_x.id)
        db.session.commit()
        assert pregenerate.delay(task.id, exam_id).get() is None
        db.session.expire_all()
        row = db.session.get(TaskProgress, task.id)
        assert row.state == TaskState.FAILED and row.message.startswith(message)
    assert _pending() == []


def test_the_results_page_shows_the_jobs_progress(client, org, large):
    exam = published_exam(org)
    login(client, "teacherx")
    url = f"/teacher/exams/{exam.id}/results"
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    reply = client.post(f"/teacher/exams/{exam.id}/pregenerate", data={"csrf_token": token})
    assert reply.status_code == 302
    task_id = reply.headers["Location"].split("task=")[1]
    page = client.get(reply.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="pregenerate-progress"' in page
    assert f'data-task-url="/api/v1/tasks/{task_id}"' in page and "js/progress.js" in page
    assert "Lớp đông nên lượt làm bài được tạo sẵn trong nền" in page
    assert client.get(f"/api/v1/tasks/{task_id}").get_json()["state"] == "succeeded"
    assert len(_pending()) == 2
    assert 'data-testid="pregenerate-progress"' not in client.get(url).get_data(as_text=True)


def test_the_cli_runs_at_once_or_in_the_background(app, org):
    exam = published_exam(org)
    runner = app.test_cli_runner()
    queued = runner.invoke(args=["exams", "pregenerate", "--background", str(exam.id)])
    assert queued.exit_code == 0, queued.output
    task_id = queued.output.strip().rsplit(" ", 1)[1].rstrip(".")
    db.session.expire_all()
    assert db.session.get(TaskProgress, task_id).state == TaskState.SUCCEEDED
    assert len(_pending()) == 2
    at_once = runner.invoke(args=["exams", "pregenerate", str(exam.id)])
    assert at_once.exit_code == 0 and "Đã tạo 0 lượt làm sẵn; 2 lượt đang chờ" in at_once.output
    draft = Exam(title="Nháp", owner_id=org.teacher_x.id, settings=exam.settings,
                 selection=exam.selection)
    db.session.add(draft)
    db.session.commit()
    refused = runner.invoke(args=["exams", "pregenerate", "--background", str(draft.id)])
    assert refused.exit_code == 1 and "Hãy phát hành" in refused.output
    assert db.session.scalar(select(func.count()).select_from(TaskProgress)) == 1


@pytest.mark.worker
def test_a_real_worker_makes_the_attempts(db, org, worker, broker_url):  # noqa: F811
    """The job by name on a real broker (embedded SQLite, and Redis when configured), run by
    a ``celery worker`` process on the test database."""
    from celery import Celery

    from tests.lms.test_celery import _wait_for_done

    proc, queue, log_path = worker
    exam = published_exam(org)
    task = start_task(f"exams.pregenerate:{exam.id}", org.teacher_x.id)
    db.session.commit()
    producer = Celery("hoclieu-test-producer", broker=broker_url, set_as_current=False)
    try:
        producer.send_task("exams.pregenerate", args=[task.id, exam.id], queue=queue)
    finally:
        producer.close()
    done = _wait_for_done(db, task.id, proc, log_path)
    assert (done.state, done.progress) == (TaskState.SUCCEEDED, 100), done.message
    assert _pending() == [(org.student_a.id, 1), (org.student_b.id, 1)]
