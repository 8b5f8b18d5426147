"""A Celery worker killed mid-transcode (security.md 35): the job runs again on another
worker and the lesson ends ``ready`` once — renditions under deterministic keys, one row per
file, the progress record succeeded, no ffmpeg left running.

The kill test needs Redis (the broker that redelivers an unacknowledged job after
``HOCLIEU_BROKER_VISIBILITY_TIMEOUT``) and ffmpeg. It uses the server of
``HOCLIEU_TEST_BROKER_URL`` (default ``redis://127.0.0.1:6379``) but its own database number
(14): a short visibility timeout restores every unacknowledged message of a database, which
must not touch other tests' jobs.
"""

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery import Celery
from sqlalchemy import select

from lms.celery_app import transport_options
from lms.core.models import TaskProgress, TaskState
from lms.lessons import services
from lms.lessons.models import FileKind, Lesson, LessonFile, LessonState
from lms.lessons.tasks import output_key, transcode_lesson
from tests.environment import unavailable

ROOT = Path(__file__).resolve().parents[2]
FFMPEG = shutil.which("ffmpeg")
KILL_DB = 14
VISIBILITY_TIMEOUT = 3
TIMEOUT = 300


def test_transcode_is_acknowledged_late_and_requeued_when_its_worker_dies(app):
    conf = app.extensions["celery"].conf
    assert transcode_lesson.acks_late is True
    assert transcode_lesson.reject_on_worker_lost is True
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1  # a dying worker holds one job, not four
    assert conf.broker_transport_options == transport_options(app.config)
    redis = {**app.config, "BROKER_URL": "redis://127.0.0.1:6379/0"}
    assert transport_options(redis) == {"visibility_timeout":
                                        app.config["BROKER_VISIBILITY_TIMEOUT"]}
    # The embedded broker passes its options to create_engine, which refuses unknown ones.
    assert transport_options({**app.config, "BROKER_URL": "sqla+sqlite:///x.db"}) == {}


def kill_broker_url() -> str:
    """Redis on the test server, database 14; skip (fail under CI=true) when unreachable."""
    base = os.environ.get("HOCLIEU_TEST_BROKER_URL") or "redis://127.0.0.1:6379/15"
    parts = urlsplit(base)
    reason = None
    if parts.scheme not in ("redis", "rediss"):
        reason = f"the worker-kill test needs a Redis broker, HOCLIEU_TEST_BROKER_URL={base}"
    else:
        url = urlunsplit((parts.scheme, parts.netloc, f"/{KILL_DB}", "", ""))
        try:
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
            return url
        except Exception as error:  # noqa: BLE001 — any failure means "no Redis here"
            reason = f"Redis is not reachable at {url}: {error}"
    unavailable(reason)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory, ffmpeg) -> bytes:
    """20 s of 720p: long enough to be killed in the middle of its transcode."""
    path = tmp_path_factory.mktemp("clip") / "long.mp4"
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=1280x720:rate=25:duration=20", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=20", "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    str(path)], check=True, timeout=300)
    return path.read_bytes()


class Workers:
    """Real `celery worker` processes on one private queue, started and killed by the test."""

    def __init__(self, app, broker: str, tmp: Path):
        self.queue = f"hoclieu-kill-{uuid.uuid4().hex[:12]}"
        self.tmp = tmp
        self.env = {**os.environ, "HOCLIEU_BROKER_URL": broker,
                    "HOCLIEU_DATABASE_URL": app.config["DATABASE_URL"],
                    "HOCLIEU_STORAGE_PATH": app.config["STORAGE_PATH"],
                    "HOCLIEU_CELERY_EAGER": "false",
                    "HOCLIEU_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
                    "HOCLIEU_TRANSCODE_THREADS": "1",
                    "HOCLIEU_INSTANCE_PATH": str(tmp / "instance"),
                    "HOCLIEU_RESULT_BACKEND": f"db+sqlite:///{tmp / 'results.sqlite'}"}
        self.procs: list[subprocess.Popen] = []

    def start(self, name: str, pool: tuple[str, ...] = ("solo",)
              ) -> tuple[subprocess.Popen, Path]:
        log_path = self.tmp / f"{name}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "wsgi.celery_app", "worker", "--pool",
                 *pool, "-Q", self.queue, "-n", f"{name}@%h", "--without-gossip",
                 "--without-mingle", "--without-heartbeat", "--loglevel", "INFO"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc, log_path

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


@pytest.fixture
def workers(app, db, tmp_path):
    broker = kill_broker_url()
    pool = Workers(app, broker, tmp_path)
    pool.broker = broker
    yield pool
    pool.stop_all()


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (ffmpeg, under nice/prlimit/setpriv execs)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(predicate, what: str, logs: list[Path], timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs if p.exists())
    pytest.fail(f"{what} did not happen within {timeout:.0f}s\n{tails}")


def progress_row(db, task_id: str) -> TaskProgress:
    db.session.rollback()
    return db.session.scalar(select(TaskProgress).where(TaskProgress.id == task_id))


def send_transcode(db, org, workers, clip: bytes) -> tuple[int, str]:
    """A video lesson committed as the web side would, its job sent to the private queue."""
    lesson = services.create_lesson(org.teacher_x, "video", {"title": "Video dài"},
                                    io.BytesIO(clip), "dai.mp4")
    db.session.info.pop("hoclieu_transcode")  # the test, not the eager hook, sends the job
    db.session.commit()
    producer = Celery("hoclieu-kill-producer", broker=workers.broker, set_as_current=False)
    try:
        producer.send_task("lessons.transcode", args=[lesson.id], queue=workers.queue)
    finally:
        producer.close()
    return lesson.id, lesson.task_id


def assert_ready_once(db, lesson_id: int, task_id: str) -> None:
    """Ready, one row per file under the deterministic keys, progress succeeded at 100."""
    lesson = db.session.get(Lesson, lesson_id)
    assert lesson.state == LessonState.READY, lesson.failure_message
    rows = db.session.scalars(select(LessonFile).where(LessonFile.lesson_id == lesson_id)
                              ).all()
    kinds = sorted(r.kind.value for r in rows)
    assert kinds == sorted(k.value for k in (FileKind.ORIGINAL, FileKind.RENDITION_360P,
                                             FileKind.RENDITION_720P, FileKind.POSTER))
    derived = {r.key for r in rows if r.kind != FileKind.ORIGINAL}
    assert derived == {output_key(lesson_id, n) for n in ("360p.mp4", "720p.mp4",
                                                          "poster.jpg")}
    row = progress_row(db, task_id)
    assert (row.state, row.progress) == (TaskState.SUCCEEDED, 100)


def kill_when_transcoding(db, task_id: str, victim: int, logs: list[Path]) -> list[int]:
    """SIGKILL ``victim`` once ffmpeg (its child) has reported progress; wait until that
    ffmpeg is gone too. Returns the ffmpeg pids."""
    wait_for(lambda: progress_row(db, task_id).progress >= 5, "transcode progress", logs)
    ffmpegs = children_of(victim)
    assert ffmpegs, "the worker runs ffmpeg as its child"
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: not any(alive(pid) for pid in ffmpegs), "ffmpeg ending with its worker",
             logs, timeout=10)
    # Killed before it finished, whatever the machine's speed: still running, and at most the
    # 95 that ffmpeg's share of the job is scaled to (100 comes only with the stored files).
    row = progress_row(db, task_id)
    assert row.state == TaskState.RUNNING and row.progress <= 95
    db.session.expire_all()
    return ffmpegs


SUCCEEDED = re.compile(r"Task lessons\.transcode\[[^]]+\] succeeded in [\d.]+s: 'ready'")
RECEIVED = re.compile(r"Task lessons\.transcode\[[^]]+\] received")


def logged_success(log: Path):
    """The worker logs the job's result just after its last commit: wait for the line."""
    return lambda: SUCCEEDED.search(log.read_text())


def finished(db, lesson_id: int, *procs: subprocess.Popen):
    def check():
        db.session.rollback()
        db.session.expire_all()
        for proc in procs:
            assert proc.poll() is None, "a worker exited"
        return db.session.get(Lesson, lesson_id).state != LessonState.PROCESSING
    return check


@pytest.mark.worker
def test_worker_killed_mid_transcode_job_runs_again_and_lesson_is_ready_once(
        db, org, workers, long_clip):
    """The whole worker dies (solo pool: the process running the job): the broker gives the
    unacknowledged job to the next worker after the visibility timeout."""
    first, first_log = workers.start("first")
    lesson_id, task_id = send_transcode(db, org, workers, long_clip)
    kill_when_transcoding(db, task_id, first.pid, [first_log])
    first.wait(timeout=10)
    killed_at = time.monotonic()
    assert db.session.get(Lesson, lesson_id).state == LessonState.PROCESSING

    # The job was never acknowledged: after the visibility timeout a new worker gets it.
    time.sleep(max(0.0, killed_at + VISIBILITY_TIMEOUT + 1 - time.monotonic()))
    second, second_log = workers.start("second")
    wait_for(finished(db, lesson_id, second), "the lesson leaving processing",
             [first_log, second_log])
    assert_ready_once(db, lesson_id, task_id)
    wait_for(logged_success(second_log), "the job's result in the log", [second_log], 30)
    second_text = second_log.read_text()
    assert len(RECEIVED.findall(first_log.read_text())) == 1
    assert len(RECEIVED.findall(second_text)) == 1
    assert len(SUCCEEDED.findall(second_text)) == 1


@pytest.mark.worker
def test_pool_process_killed_mid_transcode_is_requeued_at_once(db, org, workers, long_clip):
    """Only the pool process running the job dies (prefork): ``reject_on_worker_lost`` puts
    the job back at once and the same worker runs it again in a fresh process."""
    worker, log = workers.start("prefork", ("prefork", "--concurrency", "1"))
    lesson_id, task_id = send_transcode(db, org, workers, long_clip)
    wait_for(lambda: progress_row(db, task_id).progress >= 5, "transcode progress", [log])
    running = [pid for pid in children_of(worker.pid) if children_of(pid)]
    assert len(running) == 1, "one pool process runs ffmpeg"
    kill_when_transcoding(db, task_id, running[0], [log])
    wait_for(finished(db, lesson_id, worker), "the lesson leaving processing", [log],
             timeout=TIMEOUT)
    assert_ready_once(db, lesson_id, task_id)
    wait_for(logged_success(log), "the job's result in the log", [log], 30)
    text = log.read_text()
    assert "WorkerLostError" in text
    assert len(RECEIVED.findall(text)) == 2
    assert len(SUCCEEDED.findall(text)) == 1
