"""Chunked, resumable uploads (security.md 24–25): chunks land exactly at the stored offset,
a dropped chunk resumes, size limits and quotas hold on declared and on received bytes (and
on files a transcode creates), the type comes from the bytes, abandoned sessions are swept,
and nobody reaches another user's upload."""

import io
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.core.models import utcnow
from lms.lessons.models import (
    FileKind,
    Lesson,
    LessonFile,
    LessonKind,
    LessonState,
    UploadSession,
)
from lms.lessons.tasks import expire_uploads, transcode_lesson
from tests.conftest import api_token
from tests.lms.lessons_helpers import scorm_12_zip

needs_ffmpeg = pytest.mark.usefixtures("ffmpeg")
MB = 1024 * 1024


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def empty_staging(app):
    """The session's app shares one staging folder: start each test with it empty."""
    shutil.rmtree(app.config["UPLOAD_STAGING_PATH"], ignore_errors=True)


@pytest.fixture
def teacher(client, org):
    return api_token(client, "teacherx")


@pytest.fixture
def settings(app):
    """Change app settings for one test; restored afterwards."""
    saved = dict(app.config)
    yield app.config
    for key in ("MAX_UPLOAD_MB", "UPLOAD_QUOTA_MB", "UPLOAD_CHUNK_MB", "UPLOAD_EXPIRY_HOURS"):
        app.config[key] = saved[key]


@pytest.fixture(scope="module")
def clip(tmp_path_factory, ffmpeg) -> bytes:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
                    "testsrc=size=640x360:rate=10:duration=2", "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True, timeout=120)
    return path.read_bytes()


def open_upload(client, token, size, kind="video", filename="Phim bài 1.mp4"):
    return client.post("/api/v1/uploads", headers=auth(token),
                       json={"filename": filename, "size": size, "kind": kind})


def put(client, token, upload_id, first, data, total, **extra):
    headers = {**auth(token), "Content-Type": "application/octet-stream",
               "Content-Range": f"bytes {first}-{first + len(data) - 1}/{total}",
               **extra.pop("headers", {})}
    return client.put(f"/api/v1/uploads/{upload_id}", data=data, headers=headers, **extra)


def send_all(client, token, upload_id, data, chunk=64 * 1024):
    response = None
    for first in range(0, len(data), chunk):
        response = put(client, token, upload_id, first, data[first:first + chunk], len(data))
        assert response.status_code == 200, response.get_json()
    return response


def staged(app):
    folder = Path(app.config["UPLOAD_STAGING_PATH"])
    return sorted(folder.glob("*.part")) if folder.exists() else []


def lesson_count(db):
    return db.session.scalar(select(func.count()).select_from(Lesson))


def make_lesson(client, token, upload_id, kind="video"):
    return client.post("/api/v1/lessons", headers=auth(token),
                       json={"upload_id": upload_id, "kind": kind,
                             "metadata": {"title": "Bài giảng tải từng phần"}})


@needs_ffmpeg
def test_video_resumes_after_a_dropped_chunk_and_becomes_a_ready_lesson(app, client, db,
                                                                         teacher, clip):
    opened = open_upload(client, teacher, len(clip))
    assert opened.status_code == 201, opened.get_json()
    body = opened.get_json()
    upload_id = body["upload_id"]
    assert body["offset"] == 0 and body["chunk_size"] == app.config["UPLOAD_CHUNK_MB"] * MB
    assert len(upload_id) == 32 and "phim" not in upload_id

    half = len(clip) // 2
    assert put(client, teacher, upload_id, 0, clip[:half], len(clip)).status_code == 200
    # The connection drops 1000 bytes into the next chunk: what arrived is kept.
    dropped = client.put(f"/api/v1/uploads/{upload_id}", input_stream=io.BytesIO(
        clip[half:half + 1000]), headers={
            **auth(teacher), "Content-Type": "application/octet-stream",
            "Content-Range": f"bytes {half}-{len(clip) - 1}/{len(clip)}"},
        environ_overrides={"CONTENT_LENGTH": str(len(clip) - half)})
    assert dropped.status_code == 400, dropped.get_json()
    head = client.head(f"/api/v1/uploads/{upload_id}", headers=auth(teacher))
    assert head.status_code == 200
    offset = int(head.headers["Upload-Offset"])
    assert offset == half + 1000 and head.headers["Upload-Length"] == str(len(clip))
    assert client.get(f"/api/v1/uploads/{upload_id}", headers=auth(teacher)
                      ).get_json()["offset"] == offset

    last = put(client, teacher, upload_id, offset, clip[offset:], len(clip))
    assert last.status_code == 200 and last.get_json()["complete"] is True
    assert staged(app)[0].read_bytes() == clip

    created = make_lesson(client, teacher, upload_id)
    assert created.status_code == 201, created.get_json()
    lesson = db.session.get(Lesson, created.get_json()["lesson"]["id"])
    assert lesson.state == LessonState.READY  # eager transcode in the test suite
    original = next(f for f in lesson.files if f.kind == FileKind.ORIGINAL)
    assert original.size == len(clip) and original.original_name == "Phim bài 1.mp4"
    assert {f.kind for f in lesson.files} >= {FileKind.RENDITION_360P, FileKind.POSTER}
    assert staged(app) == []  # the lesson has its own copy; the staged bytes are gone
    again = make_lesson(client, teacher, upload_id)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "upload_consumed"
    assert lesson_count(db) == 1


def test_scorm_zip_in_chunks_becomes_a_ready_lesson(app, client, db, teacher):
    package = scorm_12_zip()
    upload_id = open_upload(client, teacher, len(package), "scorm", "goi.zip"
                            ).get_json()["upload_id"]
    send_all(client, teacher, upload_id, package, chunk=300)
    early = make_lesson(client, teacher, upload_id, kind="video")
    assert early.status_code == 400 and early.get_json()["error"]["code"] == "invalid_kind"
    created = make_lesson(client, teacher, upload_id, kind="scorm")
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["state"] == "ready"
    assert created.get_json()["lesson"]["scorm_version"] == "1.2"


def test_chunk_at_the_wrong_offset_is_409_with_the_stored_offset(client, db, teacher):
    data = os.urandom(5000)
    upload_id = open_upload(client, teacher, len(data)).get_json()["upload_id"]
    assert put(client, teacher, upload_id, 0, data[:2000], len(data)).status_code == 200
    for first in (0, 1000, 3000):  # a retried chunk, an overlap, a gap
        response = put(client, teacher, upload_id, first, data[first:first + 1000], len(data))
        assert response.status_code == 409
        error = response.get_json()["error"]
        assert error["code"] == "offset_mismatch" and error["details"] == {"offset": 2000}
    status = client.get(f"/api/v1/uploads/{upload_id}", headers=auth(teacher)).get_json()
    assert status["offset"] == 2000 and status["complete"] is False


def test_incomplete_upload_cannot_become_a_lesson(client, db, teacher):
    upload_id = open_upload(client, teacher, 5000).get_json()["upload_id"]
    put(client, teacher, upload_id, 0, b"\x00" * 100, 5000)
    response = make_lesson(client, teacher, upload_id)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "upload_incomplete"
    assert lesson_count(db) == 0


def test_declared_size_over_the_quota_is_413_and_reserves_nothing(client, db, teacher,
                                                                  settings):
    settings["UPLOAD_QUOTA_MB"] = 1
    response = open_upload(client, teacher, MB + 1)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "quota_exceeded"
    # Uploads in progress reserve their declared size: two of 600 KiB do not fit in 1 MiB.
    assert open_upload(client, teacher, 600 * 1024).status_code == 201
    second = open_upload(client, teacher, 600 * 1024)
    assert second.status_code == 413 and second.get_json()["error"]["code"] == "quota_exceeded"
    assert db.session.scalar(select(func.count()).select_from(UploadSession)) == 1


def test_received_bytes_over_the_quota_are_refused_before_reading(app, client, db, teacher,
                                                                  settings):
    data = os.urandom(3 * MB)
    upload_id = open_upload(client, teacher, len(data)).get_json()["upload_id"]
    assert put(client, teacher, upload_id, 0, data[:MB], len(data)).status_code == 200
    settings["UPLOAD_QUOTA_MB"] = 2  # lowered meanwhile: the second MiB still fits
    assert put(client, teacher, upload_id, MB, data[MB:2 * MB], len(data)).status_code == 200
    response = put(client, teacher, upload_id, 2 * MB, data[2 * MB:], len(data))
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "quota_exceeded"
    assert staged(app)[0].stat().st_size == 2 * MB


def test_bytes_beyond_the_declared_size_are_refused(app, client, db, teacher):
    upload_id = open_upload(client, teacher, 1000).get_json()["upload_id"]
    past = put(client, teacher, upload_id, 0, b"\x00" * 2000, 2000)
    assert past.status_code == 413
    assert past.get_json()["error"]["code"] == "exceeds_declared_size"
    # A body longer than its Content-Range (no Content-Length: the byte counter decides).
    longer = client.put(f"/api/v1/uploads/{upload_id}", input_stream=io.BytesIO(b"x" * 600),
                        headers={**auth(teacher), "Content-Type": "application/octet-stream",
                                 "Content-Range": "bytes 0-499/1000",
                                 "Transfer-Encoding": "chunked"},
                        environ_overrides={"wsgi.input_terminated": True})
    assert longer.status_code == 413
    assert longer.get_json()["error"]["code"] == "chunk_too_long"
    assert staged(app)[0].stat().st_size == 0
    lying = put(client, teacher, upload_id, 0, b"x" * 500, 1000,
                headers={"Content-Range": "bytes 0-499/999"})
    assert lying.status_code == 400 and lying.get_json()["error"]["code"] == "invalid_range"
    missing = client.put(f"/api/v1/uploads/{upload_id}", data=b"x", headers=auth(teacher))
    assert missing.status_code == 400
    assert missing.get_json()["error"]["code"] == "invalid_range"


def test_oversize_upload_and_oversize_chunk_are_413(client, db, teacher, settings):
    settings["MAX_UPLOAD_MB"] = 1
    response = open_upload(client, teacher, MB + 1)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    settings["MAX_UPLOAD_MB"] = 2048
    settings["UPLOAD_CHUNK_MB"] = 1
    upload_id = open_upload(client, teacher, 3 * MB).get_json()["upload_id"]
    big = put(client, teacher, upload_id, 0, b"\x00" * (MB + 1), 3 * MB)
    assert big.status_code == 413
    # A full-size chunk behind a server that marks its input terminated (gunicorn): the
    # probe for bytes beyond the range must not trip Werkzeug's request-size limit.
    full = put(client, teacher, upload_id, 0, b"\x00" * MB, 3 * MB,
               environ_overrides={"wsgi.input_terminated": True})
    assert full.status_code == 200, full.get_json()
    assert full.get_json()["offset"] == MB


def test_html_disguised_as_mp4_is_refused_when_complete(app, client, db, teacher):
    page = b"<!doctype html><html><script>alert(document.cookie)</script></html>" * 50
    upload_id = open_upload(client, teacher, len(page), filename="bai-giang.mp4"
                            ).get_json()["upload_id"]
    put(client, teacher, upload_id, 0, page[:1000], len(page))
    last = put(client, teacher, upload_id, 1000, page[1000:], len(page))
    assert last.status_code == 400
    error = last.get_json()["error"]
    assert error["code"] == "invalid_video" and "bai-giang.mp4" in error["message"]
    assert staged(app) == []  # refused bytes are not kept
    assert client.get(f"/api/v1/uploads/{upload_id}", headers=auth(teacher)
                      ).status_code == 404
    assert make_lesson(client, teacher, upload_id).status_code == 404
    assert lesson_count(db) == 0


def test_a_non_zip_is_refused_as_a_scorm_package(client, db, teacher):
    data = b"\x00\x00\x00\x18ftypmp42" + bytes(500)
    upload_id = open_upload(client, teacher, len(data), "scorm", "goi.zip"
                            ).get_json()["upload_id"]
    response = put(client, teacher, upload_id, 0, data, len(data))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_package"


def test_another_users_upload_is_404_everywhere(client, db, org, teacher):
    upload_id = open_upload(client, teacher, 100).get_json()["upload_id"]
    for username in ("teachery", "hsa"):
        other = api_token(client, username)
        url = f"/api/v1/uploads/{upload_id}"
        assert client.get(url, headers=auth(other)).status_code == 404
        assert client.head(url, headers=auth(other)).status_code == 404
        assert client.delete(url, headers=auth(other)).status_code == 404
        assert put(client, other, upload_id, 0, b"x" * 100, 100).status_code in (403, 404)
        assert make_lesson(client, other, upload_id).status_code in (403, 404)
    assert client.get(f"/api/v1/uploads/{upload_id}", headers=auth(teacher)
                      ).get_json()["offset"] == 0
    assert client.get(f"/api/v1/uploads/{upload_id}").status_code == 401
    student = api_token(client, "hsa")
    assert open_upload(client, student, 100).status_code == 403


def test_cookie_session_chunks_need_the_csrf_header(client, db, org):
    from tests.conftest import csrf_token_from, login

    login(client, "teacherx")
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    refused = client.post("/api/v1/uploads", json={"filename": "a.mp4", "size": 10,
                                                   "kind": "video"})
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf_failed"
    opened = client.post("/api/v1/uploads", json={"filename": "a.mp4", "size": 10,
                                                  "kind": "video"},
                         headers={"X-CSRFToken": token})
    assert opened.status_code == 201


def test_abandoned_uploads_are_swept_with_their_bytes(app, client, db, teacher, settings):
    kept = open_upload(client, teacher, 1000).get_json()["upload_id"]
    old = open_upload(client, teacher, 1000).get_json()["upload_id"]
    for upload_id in (kept, old):
        put(client, teacher, upload_id, 0, b"\x00" * 10, 1000)
    db.session.get(UploadSession, old).expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert client.get(f"/api/v1/uploads/{old}", headers=auth(teacher)).status_code == 410
    assert put(client, teacher, old, 10, b"\x00" * 10, 1000).status_code == 410
    folder = Path(app.config["UPLOAD_STAGING_PATH"])
    orphan, fresh = folder / ("ab" * 16 + ".part"), folder / ("cd" * 16 + ".part")
    orphan.write_bytes(b"left by a crash")
    fresh.write_bytes(b"being created right now")
    long_ago = (utcnow() - timedelta(hours=48)).timestamp()
    os.utime(orphan, (long_ago, long_ago))

    assert expire_uploads.delay().get() == 1  # the beat job, in-process in tests
    db.session.expire_all()
    assert db.session.get(UploadSession, old) is None
    assert db.session.get(UploadSession, kept) is not None
    assert {p.name for p in staged(app)} == {f"{kept}.part", fresh.name}
    assert client.get(f"/api/v1/uploads/{old}", headers=auth(teacher)).status_code == 404
    # The reservation went with it: the quota counts only the live upload.
    settings["UPLOAD_QUOTA_MB"] = 1
    assert open_upload(client, teacher, MB - 1000).status_code == 201


def test_cancelled_upload_frees_its_bytes(app, client, db, teacher):
    upload_id = open_upload(client, teacher, 1000).get_json()["upload_id"]
    put(client, teacher, upload_id, 0, b"\x00" * 10, 1000)
    assert client.delete(f"/api/v1/uploads/{upload_id}", headers=auth(teacher)
                         ).status_code == 204
    assert staged(app) == [] and db.session.get(UploadSession, upload_id) is None


@needs_ffmpeg
def test_renditions_over_the_quota_fail_the_lesson_and_are_not_stored(app, client, db, org,
                                                                      teacher, clip, settings):
    """Files a background job creates count against the quota (security.md 25)."""
    upload_id = open_upload(client, teacher, len(clip)).get_json()["upload_id"]
    send_all(client, teacher, upload_id, clip)
    lesson_id = make_lesson(client, teacher, upload_id).get_json()["lesson"]["id"]
    db.session.expire_all()
    lesson = db.session.get(Lesson, lesson_id)
    assert lesson.state == LessonState.READY
    derived = [f for f in lesson.files if f.kind != FileKind.ORIGINAL]
    for row in derived:
        db.session.delete(row)
    lesson.state = LessonState.PROCESSING
    filler = Lesson(kind=LessonKind.VIDEO, state=LessonState.READY, title="Khác",
                    owner_id=org.teacher_x.id)
    db.session.add(filler)
    db.session.flush()
    settings["UPLOAD_QUOTA_MB"] = 10
    room = 1000  # bytes left: less than any rendition
    db.session.add(LessonFile(lesson_id=filler.id, kind=FileKind.ORIGINAL, key="x/filler",
                              size=10 * MB - len(clip) - room))
    db.session.commit()

    assert transcode_lesson.run(lesson_id) == "failed"
    db.session.expire_all()
    lesson = db.session.get(Lesson, lesson_id)
    assert lesson.state == LessonState.FAILED and "hạn mức" in lesson.failure_message
    assert [f.kind for f in lesson.files] == [FileKind.ORIGINAL]
