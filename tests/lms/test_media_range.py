"""HTTP Range on served media: renditions through the checked proxy (local storage) and
files inside SCORM packages answer ``Range: bytes=…`` with 206 and ``Content-Range``, a range
past the end with 416, and keep ``nosniff`` and ``attachment``."""

import io
import os

import pytest

from lms.core.storage import storage
from lms.lessons.models import FileKind, Lesson, LessonFile, LessonKind, LessonState
from tests.conftest import api_token
from tests.lms.lessons_helpers import MANIFEST_12, SCO_12, upload
from tests.media.zipbuild import build_zip

#: Real bytes: every offset is recognisable, so a wrong slice cannot pass.
BODY = bytes(range(256)) * 40 + os.urandom(77)


def auth(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def rendition(db, org):
    """A ready video lesson of teacher X whose 360p rendition is BODY, stored for real."""
    lesson = Lesson(kind=LessonKind.VIDEO, state=LessonState.READY, title="Video",
                    owner_id=org.teacher_x.id)
    db.session.add(lesson)
    db.session.flush()
    key = f"lessons/{lesson.id}/video/360p.mp4"

    storage().put_stream(key, io.BytesIO(BODY), len(BODY), "video/mp4")
    db.session.add(LessonFile(lesson_id=lesson.id, kind=FileKind.RENDITION_360P, key=key,
                              size=len(BODY), content_type="video/mp4", path="360p"))
    db.session.commit()
    return f"/api/v1/lessons/{lesson.id}/media/rendition_360p"


def test_whole_file_advertises_ranges_and_keeps_attachment_and_nosniff(client, rendition):
    response = client.get(rendition, headers=auth(api_token(client, "teacherx")))
    assert response.status_code == 200 and response.data == BODY
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Length"] == str(len(BODY))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "video/mp4"


@pytest.mark.parametrize(("header", "start", "stop"), [
    ("bytes=0-99", 0, 100),
    ("bytes=1000-", 1000, len(BODY)),          # what a player sends to seek
    ("bytes=-77", len(BODY) - 77, len(BODY)),  # the last 77 bytes
    ("bytes=10000-999999", 10000, len(BODY)),  # an end past the file is clamped
    ("bytes=0-0", 0, 1),
])
def test_single_range_is_a_206_with_exactly_those_bytes(client, rendition, header, start,
                                                          stop):
    response = client.get(rendition, headers={**auth(api_token(client, "teacherx")),
                                              "Range": header})
    assert response.status_code == 206
    assert response.data == BODY[start:stop]
    assert response.headers["Content-Range"] == f"bytes {start}-{stop - 1}/{len(BODY)}"
    assert response.headers["Content-Length"] == str(stop - start)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_range_past_the_end_is_416_with_the_size(client, rendition):
    response = client.get(rendition, headers={**auth(api_token(client, "teacherx")),
                                              "Range": f"bytes={len(BODY)}-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(BODY)}"
    assert response.data == b""


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "bytes=abc", "items=0-5", "bytes=9-2"])
def test_multiple_or_malformed_ranges_get_the_whole_file(client, rendition, header):
    response = client.get(rendition, headers={**auth(api_token(client, "teacherx")),
                                              "Range": header})
    assert response.status_code == 200 and response.data == BODY


def test_if_range_without_validators_gets_the_whole_file(client, rendition):
    response = client.get(rendition, headers={**auth(api_token(client, "teacherx")),
                                              "Range": "bytes=0-9", "If-Range": '"x"'})
    assert response.status_code == 200 and response.data == BODY


def test_range_does_not_bypass_access_checks(client, rendition):
    outsider = api_token(client, "teachery")
    response = client.get(rendition, headers={**auth(outsider), "Range": "bytes=0-9"})
    assert response.status_code == 403 and BODY[:10] not in response.data
    response = client.get(rendition, headers={"Range": "bytes=0-9"})
    assert response.status_code == 401
    owner = client.get(rendition, headers={**auth(api_token(client, "teacherx")),
                                           "Range": "bytes=0-9"})
    assert owner.status_code == 206 and owner.data == BODY[:10]


def test_head_reports_ranges_without_a_body(client, rendition):
    response = client.head(rendition, headers={**auth(api_token(client, "teacherx")),
                                               "Range": "bytes=5-9"})
    assert response.status_code == 206 and response.data == b""
    assert response.headers["Content-Range"] == f"bytes 5-9/{len(BODY)}"


def test_video_inside_a_scorm_package_is_served_in_ranges(client, org):
    teacher = api_token(client, "teacherx")
    package = build_zip({"imsmanifest.xml": MANIFEST_12, "Content/index.html": SCO_12,
                         "Content/clip.mp4": BODY})
    created = upload(client, teacher, "scorm", package, "goi.zip")
    assert created.status_code == 201, created.get_json()
    lesson_id = created.get_json()["lesson"]["id"]
    launch = client.get(f"/api/v1/lessons/{lesson_id}", headers=auth(teacher)
                        ).get_json()["launch_url"]
    url = launch.replace("index.html", "clip.mp4")
    response = client.get(url, headers={"Range": "bytes=100-199"})
    assert response.status_code == 206 and response.data == BODY[100:200]
    assert response.headers["Content-Range"] == f"bytes 100-199/{len(BODY)}"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert client.get(url, headers={"Range": "bytes=999999-"}).status_code == 416
