"""Video lessons: content-sniffed upload (security.md 24), transcoded by lessons.transcode
(eager in tests) to stored renditions and a poster, progress 100, idempotent rerun."""

import subprocess

import pytest
from sqlalchemy import func, select

from lms.core.models import TaskProgress
from lms.core.storage import storage
from lms.lessons.models import FileKind, Lesson, LessonFile, LessonState
from lms.lessons.tasks import transcode_lesson
from tests.conftest import api_token
from tests.lms.lessons_helpers import upload

pytestmark = pytest.mark.usefixtures("ffmpeg")


@pytest.fixture(scope="module")
def clip(tmp_path_factory, ffmpeg) -> bytes:
    """A 2 s 720p H.264/AAC clip generated with lavfi."""
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=1280x720:rate=10:duration=2", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=2", "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    str(path)], check=True, timeout=120)
    return path.read_bytes()


def test_video_upload_transcoded_to_ready_with_stored_renditions(client, db, org, clip):
    token = api_token(client, "teacherx")
    response = upload(client, token, "video", clip, "Quay bằng điện thoại.mp4")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["state"] in {"processing", "ready"} and body["task_id"]  # eager: ready
    task = client.get(f"/api/v1/tasks/{body['task_id']}",
                      headers={"Authorization": f"Bearer {token}"}).get_json()
    assert task["state"] == "succeeded" and task["progress"] == 100
    lesson = client.get(f"/api/v1/lessons/{body['lesson']['id']}",
                        headers={"Authorization": f"Bearer {token}"}).get_json()
    assert lesson["state"] == "ready"
    assert {r["kind"] for r in lesson["renditions"]} == {"rendition_360p", "rendition_720p",
                                                         "poster"}
    poster = next(r for r in lesson["renditions"] if r["kind"] == "poster")
    image = client.get(poster["url"], headers={"Authorization": f"Bearer {token}"})
    assert image.status_code == 200 and image.data[:3] == b"\xff\xd8\xff"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    outsider = api_token(client, "teachery")
    assert client.get(poster["url"], headers={"Authorization": f"Bearer {outsider}"}
                      ).status_code == 403
    rows = db.session.scalars(select(LessonFile).where(
        LessonFile.lesson_id == lesson["id"])).all()
    for row in rows:
        assert storage().size(row.key) == row.size > 0
    original = next(r for r in rows if r.kind == FileKind.ORIGINAL)
    assert original.original_name == "Quay bằng điện thoại.mp4"
    assert "điện" not in original.key

    # A redelivered job (worker lost after finishing) changes nothing.
    db.session.get(Lesson, lesson["id"]).state = LessonState.PROCESSING
    db.session.commit()
    assert transcode_lesson.run(lesson["id"]) == "ready"
    assert db.session.scalar(select(func.count()).select_from(LessonFile).where(
        LessonFile.lesson_id == lesson["id"])) == len(rows)


def test_html_disguised_as_mp4_refused_and_nothing_stored(client, db, org):
    token = api_token(client, "teacherx")
    response = upload(client, token, "video", b"<!doctype html><script>alert(1)</script>",
                      "phim.mp4")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_video" and "phim.mp4" in error["message"]
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == 0
    assert db.session.scalar(select(func.count()).select_from(TaskProgress)) == 0


def test_unplayable_video_ends_failed_with_a_message(client, db, org):
    token = api_token(client, "teacherx")
    fake = b"\x00\x00\x00\x18ftypmp42" + bytes(2000)
    response = upload(client, token, "video", fake, "hong.mp4")
    assert response.status_code == 201
    lesson = db.session.get(Lesson, response.get_json()["lesson"]["id"])
    assert lesson.state == LessonState.FAILED and lesson.failure_message
    task = db.session.get(TaskProgress, lesson.task_id)
    assert task.state.value == "failed" and task.message == lesson.failure_message


def test_upload_over_the_limit_is_413(app, client, db, org, monkeypatch):
    token = api_token(client, "teacherx")
    monkeypatch.setitem(app.config, "MAX_UPLOAD_MB", 0)  # only the 64 KiB form allowance remains
    response = upload(client, token, "video", bytes(200 * 1024), "big.mp4")
    assert response.status_code == 413
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == 0


def test_quota_counts_stored_files(app, client, db, org, clip, monkeypatch):
    token = api_token(client, "teacherx")
    monkeypatch.setitem(app.config, "UPLOAD_QUOTA_MB", 0)
    response = upload(client, token, "video", clip, "a.mp4")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "quota_exceeded"


def test_streamed_upload_stops_at_the_limit_and_leaves_no_file(tmp_path):
    """Without a trustworthy Content-Length the byte counter is what enforces the limit."""
    import io

    from lms.core.errors import TooLarge
    from lms.lessons.services import spool_upload

    with pytest.raises(TooLarge):
        spool_upload(io.BytesIO(bytes(3 * 1024 * 1024 + 1)), 3 * 1024 * 1024, str(tmp_path))
    assert list(tmp_path.iterdir()) == []
    kept = spool_upload(io.BytesIO(b"abc"), 3, str(tmp_path))
    assert kept.read_bytes() == b"abc"
