"""A short generated video becomes a lesson: the progress bar reaches 100 % and the <video>
element plays the stored rendition in Chromium."""

import shutil
import subprocess

import pytest

from tests.conftest import api_token
from tests.e2e.browser_helpers import log_in_at
from tests.lms.lessons_helpers import upload

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("ffmpeg")]




def test_video_lesson_progress_reaches_100_and_plays(app, db, org, client, tmp_path,
                                                     in_process_server, browser):
    from playwright.sync_api import expect

    clip = tmp_path / "clip.mp4"
    subprocess.run([shutil.which("ffmpeg"), "-hide_banner", "-loglevel", "error", "-f", "lavfi",
                    "-i", "testsrc=size=640x360:rate=15:duration=2", "-f", "lavfi", "-i",
                    "sine=duration=2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt",
                    "yuv420p", "-c:a", "aac", "-shortest", str(clip)], check=True, timeout=120)
    created = upload(client, api_token(client, "teacherx"), "video", clip.read_bytes(),
                     "clip.mp4")
    assert created.status_code == 201, created.get_json()
    lesson_id = created.get_json()["lesson"]["id"]

    context = browser.new_context()
    page = context.new_page()
    try:
        log_in_at(page, in_process_server, "teacherx")
        page.goto(f"{in_process_server}/lessons/{lesson_id}")
        expect(page.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "100")
        video = page.locator("#lesson-video")
        expect(video).to_be_visible()
        played = page.evaluate("""async () => {
            const v = document.getElementById('lesson-video');
            v.muted = true;
            await v.play();
            await new Promise(r => setTimeout(r, 700));
            return {time: v.currentTime, width: v.videoWidth};
        }""")
        assert played["time"] > 0 and played["width"] == 640
    finally:
        context.close()
