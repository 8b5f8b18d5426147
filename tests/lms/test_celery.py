"""Background jobs: in-process in the default suite, and a real worker process on a broker.

The ``worker`` tests start ``celery -A wsgi.celery_app worker`` from this checkout against
the test database. One uses the embedded SQLite broker (always available); the other uses
the broker named by ``HOCLIEU_TEST_BROKER_URL`` (CI: Redis) and is skipped without it,
unless ``CI=true``, where a missing broker fails the run.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import Celery
from sqlalchemy import select

from lms.app import create_app
from lms.core.models import TaskProgress, TaskState
from lms.core.services import start_task
from lms.core.tasks import ping
from tests.conftest import api_token
from tests.environment import unavailable

ROOT = Path(__file__).resolve().parents[2]
WORKER_TIMEOUT_SECONDS = 90


def test_eager_ping_walks_progress_to_done_and_only_its_owner_reads_it(client, db, org):
    row = start_task("core.ping", org.teacher_x.id, "Đang chờ")
    db.session.commit()
    assert ping.delay(row.id).get() == row.id
    owner = {"Authorization": f"Bearer {api_token(client, 'teacherx')}"}
    response = client.get(f"/api/v1/tasks/{row.id}", headers=owner)
    assert response.status_code == 200
    assert response.get_json() == {"id": row.id, "kind": "core.ping", "state": "succeeded",
                                   "progress": 100, "message": "Xong"}
    stranger = {"Authorization": f"Bearer {api_token(client, 'hsa')}"}
    response = client.get(f"/api/v1/tasks/{row.id}", headers=stranger)
    assert response.status_code == 404
    assert client.get("/api/v1/tasks/nope", headers=owner).status_code == 404


def test_jobs_use_the_celery_of_the_app_in_context(app, db, org):
    """Building another app (a script, a test) must not capture this app's jobs."""
    other = create_app({"ENV": "test", "DATABASE_URL": app.config["DATABASE_URL"],
                        "CELERY_EAGER": False, "BROKER_URL": "memory://",
                        "RESULT_BACKEND": "cache+memory://",
                        "STORAGE_PATH": app.config["STORAGE_PATH"],
                        "SEARCH_INDEX_PATH": app.config["SEARCH_INDEX_PATH"]})
    assert other.extensions["celery"] is not app.extensions["celery"]
    with app.app_context():
        row = start_task("core.ping", org.teacher_x.id)
        db.session.commit()
        assert ping.delay(row.id).get(timeout=5) == row.id
    with other.app_context():
        assert not ping.app.conf.task_always_eager


def broker_from_environment() -> str:
    url = os.environ.get("HOCLIEU_TEST_BROKER_URL", "")
    if url:
        return url
    unavailable("HOCLIEU_TEST_BROKER_URL is not set: the worker test needs a broker, "
                "e.g. redis://127.0.0.1:6379/15")


@pytest.fixture(params=["embedded-sqlite", "environment"])
def broker_url(request, tmp_path):
    if request.param == "environment":
        return broker_from_environment()
    return f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"


@pytest.fixture
def worker(app, db, broker_url, tmp_path):
    """A real worker process on its own queue (other test runs may share the broker)."""
    queue = f"hoclieu-test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "HOCLIEU_BROKER_URL": broker_url,
           "HOCLIEU_DATABASE_URL": app.config["DATABASE_URL"],
           "HOCLIEU_CELERY_EAGER": "false", "HOCLIEU_INSTANCE_PATH": str(tmp_path / "instance"),
           "HOCLIEU_RESULT_BACKEND": f"db+sqlite:///{tmp_path / 'results.sqlite'}"}
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "wsgi.celery_app", "worker", "--pool", "solo",
             "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat",
             "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc, queue, log_path
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _send_after_commit(broker_url: str, queue: str, task_id: str) -> None:
    """The web side: a plain producer on the same broker sends the job by name."""
    producer = Celery("hoclieu-test-producer", broker=broker_url, set_as_current=False)
    try:
        producer.send_task("core.ping", args=[task_id], queue=queue)
    finally:
        producer.close()


def _wait_for_done(db, task_id: str, proc, log_path: Path) -> TaskProgress:
    deadline = time.monotonic() + WORKER_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        db.session.rollback()
        row = db.session.scalar(select(TaskProgress).where(TaskProgress.id == task_id))
        if row.state in (TaskState.SUCCEEDED, TaskState.FAILED):
            return row
        assert proc.poll() is None, f"worker exited early:\n{log_path.read_text()[-4000:]}"
        time.sleep(0.3)
    pytest.fail(f"job not done in {WORKER_TIMEOUT_SECONDS}s; worker log:\n"
                f"{log_path.read_text()[-4000:]}")


@pytest.mark.worker
def test_real_worker_runs_a_job_on_committed_rows(db, org, worker, broker_url):
    proc, queue, log_path = worker
    row = start_task("core.ping", org.teacher_x.id, "Đang chờ")
    db.session.commit()
    _send_after_commit(broker_url, queue, row.id)
    done = _wait_for_done(db, row.id, proc, log_path)
    assert (done.state, done.progress, done.message) == (TaskState.SUCCEEDED, 100, "Xong")
    assert "Task core.ping[" in log_path.read_text()
