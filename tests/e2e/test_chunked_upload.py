"""The lesson upload page sends a video in chunks: one chunk is lost on the network, the page
asks the server where to resume and carries on; the progress bar reaches 100 % and the lesson
opens with its <video>."""

import shutil
import subprocess

import pytest

from tests.e2e.browser_helpers import log_in_at

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("ffmpeg")]


def test_upload_page_resumes_a_dropped_chunk_and_opens_the_lesson(app, db, org, tmp_path,
                                                                  in_process_server, browser):
    from playwright.sync_api import expect

    clip = tmp_path / "Bài 1 quay bằng điện thoại.mp4"
    subprocess.run([shutil.which("ffmpeg"), "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                    "-i", "testsrc2=size=640x360:rate=15:duration=2", "-c:v", "libx264",
                    "-preset", "ultrafast", "-qp", "5", "-pix_fmt", "yuv420p", str(clip)],
                   check=True, timeout=120)
    size = clip.stat().st_size
    saved = app.config["UPLOAD_CHUNK_MB"]
    app.config["UPLOAD_CHUNK_MB"] = 0.125  # 128 KiB: several chunks for a small clip
    context = browser.new_context()
    page = context.new_page()
    seen: list[str] = []
    dropped: list[str] = []

    def flaky(route):
        request = route.request
        seen.append(f"{request.method} {request.headers.get('content-range', '')}")
        if request.method == "PUT" and not dropped and "bytes 131072-" in \
                request.headers.get("content-range", ""):
            dropped.append(request.headers["content-range"])
            return route.abort("connectionreset")
        return route.continue_()

    try:
        log_in_at(page, in_process_server, "teacherx")
        page.route("**/api/v1/uploads**", flaky)
        page.goto(f"{in_process_server}/lessons/upload")
        page.select_option("#upload-kind", "video")
        page.fill("#upload-title", "Bài 1: Mệnh đề")
        page.set_input_files("#upload-file", str(clip))
        page.click("#lesson-upload button[type=submit]")
        page.wait_for_url(f"{in_process_server}/lessons/*", timeout=120_000)
        expect(page.locator("#lesson-video")).to_be_visible(timeout=60_000)
    finally:
        app.config["UPLOAD_CHUNK_MB"] = saved
        context.close()
    assert dropped, "the second chunk was dropped once"
    puts = [s for s in seen if s.startswith("PUT")]
    assert puts.count(f"PUT {dropped[0]}") == 2  # sent again after the drop
    assert any(s.startswith("HEAD") for s in seen)  # asked where to resume
    assert puts[-1].endswith(f"-{size - 1}/{size}")
    from lms.lessons.models import FileKind, Lesson

    db.session.expire_all()
    lesson = db.session.scalars(db.select(Lesson)).one()
    original = next(f for f in lesson.files if f.kind == FileKind.ORIGINAL)
    assert original.size == size and original.original_name == clip.name
