"""SCORM lessons end to end: upload, refusal of hostile packages (security.md 21–23),
the sandboxed content route, and the commit endpoint's validation."""

import gzip
import random
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from lms.lessons.content import TOKEN_MAX_AGE
from lms.lessons.models import Lesson, LessonFile, LessonProgress
from lms.lessons.views import CONTENT_CSP, with_runtime_shim
from tests.conftest import api_token, login
from tests.lms.lessons_helpers import MANIFEST_12, SCO_12, XXE, scorm_12_zip, upload
from tests.media.zipbuild import build_zip, patch_declared_size


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def stored_keys(app):
    root = app.config["STORAGE_PATH"]
    from pathlib import Path

    return sorted(p for p in Path(root).rglob("*") if p.is_file()) if Path(root).exists() else []


@pytest.fixture
def teacher(client, org):
    return api_token(client, "teacherx")


@pytest.fixture
def scorm_lesson(client, teacher):
    response = upload(client, teacher, "scorm", scorm_12_zip(), "bai-giang.zip")
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_scorm_upload_is_ready_with_launch_url_and_files_served(app, client, db, scorm_lesson,
                                                                 teacher):
    lesson = scorm_lesson["lesson"]
    assert scorm_lesson["state"] == "ready" and scorm_lesson["task_id"] is None
    assert lesson["scorm_version"] == "1.2" and lesson["toc"][0]["launch"] == \
        "Content/index.html"
    got = client.get(f"/api/v1/lessons/{lesson['id']}", headers=auth(teacher)).get_json()
    launch = got["launch_url"]
    assert launch.startswith(f"/scorm-content/{lesson['id']}/")
    assert launch.endswith("/Content/index.html")
    page = client.get(launch)
    assert page.status_code == 200
    # The package's page, with the cross-frame runtime injected before its own scripts.
    with app.test_request_context():
        shim = with_runtime_shim(b"<head>")
    assert page.data.replace(shim, b"<head>") == SCO_12
    assert page.data.index(b"CrossFrameAPI") < page.data.index(b"findAPI")
    assert page.headers["Content-Security-Policy"] == CONTENT_CSP
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.mimetype == "text/html"
    css = client.get(launch.replace("index.html", "style.css"))
    assert css.mimetype == "text/css"
    row = db.session.get(Lesson, lesson["id"])
    assert row.title == "Bài giảng thử" and row.duration_minutes == 45
    assert {f.path for f in row.files if f.path} == {"imsmanifest.xml", "Content/index.html",
                                                     "Content/style.css"}


def _launch(client, teacher, lesson_id) -> tuple[str, str]:
    """(token, path after it) of a lesson's launch URL, as its player would frame it."""
    launch = client.get(f"/api/v1/lessons/{lesson_id}", headers=auth(teacher)
                        ).get_json()["launch_url"]
    _, _, _, token, path = launch.split("/", 4)
    return token, path


def test_content_token_opens_its_own_lesson_only(client, scorm_lesson, teacher):
    """Two real lessons: each token opens its own package and not the other one's."""
    first = scorm_lesson["lesson"]["id"]
    other = upload(client, teacher, "scorm", scorm_12_zip(), "khac.zip").get_json()
    second = other["lesson"]["id"]
    first_token, path = _launch(client, teacher, first)
    second_token, _ = _launch(client, teacher, second)
    assert client.get(f"/scorm-content/{first}/{first_token}/{path}").status_code == 200
    assert client.get(f"/scorm-content/{second}/{second_token}/{path}").status_code == 200
    assert client.get(f"/scorm-content/{second}/{first_token}/{path}").status_code == 404
    assert client.get(f"/scorm-content/{first}/{second_token}/{path}").status_code == 404


def test_forged_token_and_path_escape_refused(client, scorm_lesson, teacher):
    lesson_id = scorm_lesson["lesson"]["id"]
    token, path = _launch(client, teacher, lesson_id)
    assert client.get(f"/scorm-content/{lesson_id}/{token}/{path}").status_code == 200
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/scorm-content/{lesson_id}/{forged}/{path}").status_code == 404
    assert client.get(f"/scorm-content/{lesson_id}/{token}/../../etc/passwd").status_code == 404


def test_content_token_expires_after_its_lifetime(client, scorm_lesson, teacher):
    lesson_id = scorm_lesson["lesson"]["id"]
    issued = datetime.now(UTC).replace(microsecond=0)
    with time_machine.travel(issued, tick=False):
        token, path = _launch(client, teacher, lesson_id)
    url = f"/scorm-content/{lesson_id}/{token}/{path}"
    with time_machine.travel(issued + timedelta(seconds=TOKEN_MAX_AGE - 60), tick=False):
        assert client.get(url).status_code == 200
    with time_machine.travel(issued + timedelta(seconds=TOKEN_MAX_AGE + 60), tick=False):
        assert client.get(url).status_code == 404


ZIP_SLIP = build_zip({"imsmanifest.xml": MANIFEST_12, "Content/index.html": SCO_12,
                      "../../evil.html": b"x"})
BOMB = build_zip({"imsmanifest.xml": MANIFEST_12, "Content/index.html": SCO_12,
                  "zeros.bin": bytes(5 * 1024 * 1024)})
XXE_PKG = build_zip({"imsmanifest.xml": XXE, "Content/index.html": SCO_12})
MISSING_LAUNCH = build_zip({"imsmanifest.xml": MANIFEST_12})
#: 300 entries under the per-entry ratio floor: 300 MB from ~300 KB before the total ratio.
SMALL_BOMBS = build_zip({"imsmanifest.xml": MANIFEST_12, "Content/index.html": SCO_12,
                         **{f"Content/pad{n}.bin": bytes(1_000_000) for n in range(300)}})
NESTED = build_zip({"imsmanifest.xml": MANIFEST_12, "Content/index.html": SCO_12,
                    "Content/more.zip": build_zip({"a.html": b"x"})})


@pytest.mark.parametrize("data, reason", [
    (ZIP_SLIP, "unsafe_path"), (BOMB, "compression_ratio"), (SMALL_BOMBS, "compression_ratio"),
    (NESTED, "nested_archive"), (XXE_PKG, "xml_forbidden"),
    (MISSING_LAUNCH, "launch_file_missing"), (b"<html>not a zip</html>", "not_zip"),
], ids=["zip-slip", "bomb", "small-bombs", "nested-zip", "xxe", "missing-launch", "not-zip"])
def test_hostile_packages_refused_and_nothing_stored(app, client, db, teacher, data, reason):
    before = stored_keys(app)
    response = upload(client, teacher, "scorm", data, "goi.zip")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_package" and error["message"]
    assert error["details"]["reason"] == reason
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == 0
    assert db.session.scalar(select(func.count()).select_from(LessonFile)) == 0
    assert stored_keys(app) == before


def test_student_cannot_upload(client, db, org):
    response = upload(client, api_token(client, "hsa"), "scorm", scorm_12_zip(), "a.zip")
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == 0
    allowed = upload(client, api_token(client, "teacherx"), "scorm", scorm_12_zip(), "a.zip")
    assert allowed.status_code == 201


def commit(client, token, lesson_id, cmi, sco="item1"):
    return client.post(f"/api/v1/lessons/{lesson_id}/scorm/commit", headers=auth(token),
                       json={"sco": sco, "cmi": cmi})


def test_commit_stores_progress_and_resume_data_per_learner(client, db, scorm_lesson):
    lesson_id = scorm_lesson["lesson"]["id"]
    student = api_token(client, "hsa")
    first = commit(client, student, lesson_id, {"core": {
        "lesson_status": "incomplete", "lesson_location": "slide-3",
        "session_time": "00:01:30.5"}, "suspend_data": "s=3"})
    assert first.status_code == 200, first.get_json()
    second = commit(client, student, lesson_id, {"core": {
        "lesson_status": "passed", "score": {"raw": "8", "max": "10"},
        "session_time": "00:00:30"}})
    assert second.status_code == 200
    mine = client.get(f"/api/v1/lessons/{lesson_id}/progress", headers=auth(student)
                      ).get_json()
    assert mine["status"] == "passed" and mine["score"] == 80.0
    assert mine["completion"] == 1.0
    assert mine["suspend_data"] == "s=3" and mine["location"] == "slide-3"
    assert mine["total_seconds"] == pytest.approx(120.5)
    other = client.get(f"/api/v1/lessons/{lesson_id}/progress",
                       headers=auth(api_token(client, "hsb"))).get_json()
    assert other["status"] == "not attempted" and other["suspend_data"] == ""


@pytest.mark.parametrize("cmi, element", [
    ({"core": {"lesson_status": "done"}}, "cmi.core.lesson_status"),
    ({"suspend_data": "x" * 4097}, "cmi.suspend_data"),
    ({"core": {"score": {"raw": "101"}}}, "cmi.core.score.raw"),
    ({"core": {"session_time": "1 hour"}}, "cmi.core.session_time"),
], ids=["bad-enum", "oversized-suspend", "score-range", "bad-time"])
def test_invalid_commit_refused_and_nothing_stored(client, db, scorm_lesson, cmi, element):
    lesson_id = scorm_lesson["lesson"]["id"]
    response = commit(client, api_token(client, "hsa"), lesson_id, cmi)
    assert response.status_code == 400
    assert response.get_json()["error"]["details"]["element"] == element
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0


def test_oversized_commit_body_is_413(client, db, scorm_lesson):
    response = commit(client, api_token(client, "hsa"), scorm_lesson["lesson"]["id"],
                      {"interactions": {"0": {"learner_response": "x" * (1024 * 1024)}}})
    assert response.status_code == 413
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0


def test_unknown_sco_refused(client, db, scorm_lesson):
    student = api_token(client, "hsa")
    lesson_id = scorm_lesson["lesson"]["id"]
    response = commit(client, student, lesson_id, {"core": {"lesson_status": "passed"}},
                      sco="nope")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "unknown_sco"
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0
    known = commit(client, student, lesson_id, {"core": {"lesson_status": "passed"}},
                   sco="item1")
    assert known.status_code == 200


def test_lesson_of_another_school_is_not_readable(client, db, scorm_lesson):
    lesson_id = scorm_lesson["lesson"]["id"]
    outsider = api_token(client, "hsy")
    assert client.get(f"/api/v1/lessons/{lesson_id}",
                      headers=auth(outsider)).status_code == 403
    assert client.get(f"/api/v1/lessons/{lesson_id}/progress",
                      headers=auth(outsider)).status_code == 403
    assert commit(client, outsider, lesson_id, {"core": {"lesson_status": "passed"}}
                  ).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(LessonProgress)) == 0
    # The same requests from a student of the lesson's school succeed.
    student = api_token(client, "hsa")
    assert client.get(f"/api/v1/lessons/{lesson_id}", headers=auth(student)).status_code == 200
    assert client.get(f"/api/v1/lessons/{lesson_id}/progress",
                      headers=auth(student)).status_code == 200
    assert commit(client, student, lesson_id, {"core": {"lesson_status": "passed"}}
                  ).status_code == 200


def test_player_page_hosts_runtime_with_saved_state(client, scorm_lesson):
    lesson_id = scorm_lesson["lesson"]["id"]
    student = api_token(client, "hsa")
    commit(client, student, lesson_id, {"core": {"lesson_location": "slide-7"},
                                        "suspend_data": "page=7"})
    login(client, "hsa")
    page = client.get(f"/lessons/{lesson_id}/play")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "vendor/scorm-again/scorm12.min.js" in html and "cross-frame-lms" in html
    assert f'data-src="/scorm-content/{lesson_id}/' in html
    assert "page=7" in html and "slide-7" in html
    assert f"/api/v1/lessons/{lesson_id}/scorm/commit" in html


def test_content_route_ignores_the_session_cookie(app, client, scorm_lesson, teacher):
    """No token, no file — even for a logged-in owner; the token alone, without any session,
    opens it."""
    lesson_id = scorm_lesson["lesson"]["id"]
    token, path = _launch(client, teacher, lesson_id)
    login(client, "teacherx")
    assert client.get(f"/scorm-content/{lesson_id}/x/{path}").status_code == 404
    anonymous = app.test_client()
    assert anonymous.get(f"/scorm-content/{lesson_id}/{token}/{path}").status_code == 200


def test_scorm_2004_commit_limits_and_mapping(client, db, org):
    from tests.lms.lessons_helpers import MANIFEST_2004

    teacher = api_token(client, "teacherx")
    package = build_zip({"imsmanifest.xml": MANIFEST_2004, "Content/index.html": SCO_12})
    lesson_id = upload(client, teacher, "scorm", package, "goi2004.zip").get_json()["lesson"]["id"]
    student = api_token(client, "hsa")
    assert commit(client, student, lesson_id, {"suspend_data": "x" * 64001}).status_code == 400
    assert commit(client, student, lesson_id, {"success_status": "completed"}).status_code == 400
    assert commit(client, student, lesson_id, {"score": {"scaled": "1.5"}}).status_code == 400
    ok = commit(client, student, lesson_id, {
        "suspend_data": "x" * 64000, "completion_status": "completed",
        "success_status": "failed", "score": {"scaled": "0.25"}, "session_time": "PT1M5.5S"})
    assert ok.status_code == 200, ok.get_json()
    body = ok.get_json()
    assert body["status"] == "failed" and body["score"] == 25.0 and body["completion"] == 1.0
    assert body["total_seconds"] == 65.5


def test_storage_down_during_upload_gives_503_and_no_lesson(app, client, db, teacher):
    """security.md 36: a clear error, and no row marked ready without stored objects."""
    from media import storage_from_config

    down = storage_from_config({"STORAGE_BACKEND": "s3", "S3_ENDPOINT": "127.0.0.1:1",
                                "S3_BUCKET": "hoclieu", "S3_ACCESS_KEY": "x",
                                "S3_SECRET_KEY": "y", "S3_SECURE": False})
    saved = app.extensions.get("hoclieu_storage")
    app.extensions["hoclieu_storage"] = down
    try:
        response = upload(client, teacher, "scorm", scorm_12_zip(), "goi.zip")
    finally:
        app.extensions["hoclieu_storage"] = saved
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "storage_unavailable"
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == 0


MULTI_SCO = b"""<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="multi" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <organizations default="o"><organization identifier="o"><title>Hai phan</title>
    <item identifier="p1" identifierref="r1"><title>Phan 1</title></item>
    <item identifier="p2" identifierref="r2" parameters="?mode=review"><title>Phan 2</title></item>
  </organization></organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="a/index.html"/>
    <resource identifier="r2" type="webcontent" adlcp:scormtype="sco" href="b/index.html"/>
  </resources>
</manifest>"""


def test_player_opens_the_chosen_sco_with_its_parameters(client, teacher):
    package = build_zip({"imsmanifest.xml": MULTI_SCO, "a/index.html": SCO_12,
                         "b/index.html": SCO_12})
    lesson_id = upload(client, teacher, "scorm", package, "multi.zip").get_json()["lesson"]["id"]
    login(client, "teacherx")
    html = client.get(f"/lessons/{lesson_id}/play?sco=p2").get_data(as_text=True)
    assert "/b/index.html?mode=review" in html and 'data-sco="p2"' in html
    assert f"/lessons/{lesson_id}/play?sco=p1" in html
    assert client.get(f"/lessons/{lesson_id}/play?sco=zz").status_code == 404


def test_package_zipped_inside_its_folder_is_stored_from_that_folder(client, db, teacher):
    package = build_zip({"Bai giang/imsmanifest.xml": MANIFEST_12,
                         "Bai giang/Content/index.html": SCO_12,
                         "__MACOSX/Bai giang/._imsmanifest.xml": b"\x00\x05\x16\x07"})
    created = upload(client, teacher, "scorm", package, "bai-giang.zip")
    assert created.status_code == 201, created.get_json()
    lesson_id = created.get_json()["lesson"]["id"]
    token, path = _launch(client, teacher, lesson_id)
    assert path == "Content/index.html"
    assert client.get(f"/scorm-content/{lesson_id}/{token}/{path}").status_code == 200
    stored = db.session.scalars(select(LessonFile.path).where(
        LessonFile.lesson_id == lesson_id, LessonFile.path != "")).all()
    assert sorted(stored) == ["Content/index.html", "imsmanifest.xml"]


MANIFEST_WITH_ASSETS = MANIFEST_12.replace(
    b'<file href="Content/index.html"/>',
    b'<file href="Content/index.html"/><file href="Content/img/hinh1.png"/>'
    b'<file href="Content/mobile/data.gz"/><file href="Content/audio/bai1.mp3"/>')


def test_listed_files_missing_from_the_zip_are_a_warning_its_teachers_see(client, db, teacher):
    package = build_zip({"imsmanifest.xml": MANIFEST_WITH_ASSETS,
                         "Content/index.html": SCO_12,
                         "Content/mobile/data.gz": gzip.compress(b'{"slides": []}')})
    created = upload(client, teacher, "scorm", package, "thieu-tep.zip")
    assert created.status_code == 201, created.get_json()
    lesson = created.get_json()["lesson"]
    (warning,) = lesson["warnings"]
    assert warning["code"] == "missing_files"
    assert warning["files"] == ["Content/audio/bai1.mp3", "Content/img/hinh1.png"]
    assert "Content/audio/bai1.mp3, Content/img/hinh1.png" in warning["message"]
    again = client.get(f"/api/v1/lessons/{lesson['id']}", headers=auth(teacher)).get_json()
    assert again["warnings"] == lesson["warnings"]
    login(client, "teacherx")
    page = client.get(f"/lessons/{lesson['id']}/play").get_data(as_text=True)
    assert 'data-testid="package-warnings"' in page and "Content/img/hinh1.png" in page
    login(client, "hsa")
    page = client.get(f"/lessons/{lesson['id']}/play").get_data(as_text=True)
    assert "package-warnings" not in page


def test_complete_package_has_no_warning(client, scorm_lesson):
    assert scorm_lesson["lesson"]["warnings"] == []


def test_storyline_compressed_data_file_is_kept_and_served(client, teacher):
    data = gzip.compress(b'{"slides": [1, 2, 3]}')
    package = build_zip({"imsmanifest.xml": MANIFEST_12, "Content/index.html": SCO_12,
                         "Content/mobile/data.gz": data})
    created = upload(client, teacher, "scorm", package, "storyline.zip")
    assert created.status_code == 201, created.get_json()
    lesson_id = created.get_json()["lesson"]["id"]
    token, _ = _launch(client, teacher, lesson_id)
    served = client.get(f"/scorm-content/{lesson_id}/{token}/Content/mobile/data.gz")
    assert served.status_code == 200 and served.data == data


def test_injected_api_talks_only_to_the_players_origin(client, scorm_lesson, teacher):
    """The package's CrossFrameAPI sends to, and takes replies from, the player's origin only
    (not "*")."""
    lesson_id = scorm_lesson["lesson"]["id"]
    token, path = _launch(client, teacher, lesson_id)
    page = client.get(f"/scorm-content/{lesson_id}/{token}/{path}").data
    assert b'new CrossFrameAPI("http://localhost",window.top)' in page
    assert b'CrossFrameAPI("*"' not in page


def test_quota_is_checked_on_the_declared_size_before_extraction(app, client, db, teacher,
                                                                 monkeypatch):
    """The upload fits the quota, its extracted size does not: 413 before a byte is written.
    The package's first entry lies about its size, a tripwire: had extraction started, the
    answer would be 400 size_mismatch."""
    words = [b"bai", b"giang", b"toan", b"hoc", b"lop", b"muoi", b"phan", b"so"]
    rng = random.Random(7)
    text = b" ".join(rng.choice(words) for _ in range(600_000))  # ~2.5 MB, compresses ~4:1
    package = patch_declared_size(build_zip([
        ("Content/tripwire.txt", b"hello"), ("imsmanifest.xml", MANIFEST_12),
        ("Content/index.html", SCO_12), ("Content/text.txt", text)], zipfile.ZIP_DEFLATED), 9)
    assert len(package) < 1024 * 1024 < len(text)
    monkeypatch.setitem(app.config, "UPLOAD_QUOTA_MB", 1)
    response = upload(client, teacher, "scorm", package, "lon.zip")
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "quota_exceeded"
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == 0
    monkeypatch.setitem(app.config, "UPLOAD_QUOTA_MB", 20)
    response = upload(client, teacher, "scorm", package, "lon.zip")
    assert response.get_json()["error"]["details"]["reason"] == "size_mismatch"
