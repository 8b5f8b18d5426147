"""Browser suite: the real app under gunicorn, driven by the Debian Chromium through Playwright.

No browser is downloaded: Playwright launches ``/usr/bin/chromium`` (``make e2e-deps``). Without
it the suite is skipped, except on CI (``CI=true``) where a missing browser is a failure.
"""

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.environment import unavailable
from tests.live_server import ROOT, LiveServer, instance_env, prepare_instance, require_vendor_files

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
ENGLISH_CATALOGUE = ROOT / "lms" / "translations" / "en" / "LC_MESSAGES"
#: Where screenshots go; CI can keep them as artefacts.
SCREENSHOTS = ROOT / "instance" / "e2e-screenshots"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "device_scale_factor": 2, "locale": "vi-VN", "reduced_motion": "reduce"}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "vi-VN",
           "reduced_motion": "reduce"}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    unavailable(f"{CHROMIUM} not found: install it with `make e2e-deps`.")


def _require_compiled_catalogue() -> None:
    po, mo = ENGLISH_CATALOGUE / "messages.po", ENGLISH_CATALOGUE / "messages.mo"
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        pytest.fail("The English catalogue is not compiled: run `make install` "
                    "(or `pybabel compile -d lms/translations`).")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Base URL of the app with demo data, served by gunicorn on a free loopback port."""
    _require_chromium()
    try:
        require_vendor_files()
        missing = None
    except RuntimeError as error:
        missing = str(error)
    if missing:
        pytest.fail(missing)
    _require_compiled_catalogue()
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = instance_env(instance)
    prepare_instance(env)
    server = LiveServer(env, log_path=instance / "gunicorn.log")
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser, live_server, options):
    context = browser.new_context(base_url=live_server, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page(browser, live_server):
    """A desktop-sized page in a fresh browser context (no cookies)."""
    yield from _page(browser, live_server, DESKTOP)


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-sized touch page (390x844) with a Vietnamese locale."""
    yield from _page(browser, live_server, PHONE)


@pytest.fixture
def screenshot():
    """``screenshot(page, name)`` saves a full-page PNG under instance/e2e-screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def in_process_server(app, db):
    """The test app itself on a loopback port, sharing the test database and its fixtures."""
    require_vendor_files()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def phone(browser, in_process_server):
    """(context, page) on a phone viewport against ``in_process_server`` (the test database)."""
    context = browser.new_context(base_url=in_process_server, **PHONE)
    context.set_default_timeout(15_000)
    try:
        yield context, context.new_page()
    finally:
        context.close()
