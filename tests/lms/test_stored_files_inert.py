"""Stored files are never pages of the site (security.md 24): whatever type a file's name
gives it, it is served as an attachment with ``nosniff`` and a policy that lets nothing run or
load — an HTML or SVG file a teacher's import carried cannot run script as the site."""

import io

from lms.core.security_headers import FILE_POLICY
from lms.core.storage import storage
from tests.conftest import login

HTML_FILE = b"<!doctype html><script>fetch('/api/v1/me')</script><p>trang</p>"
SVG_FILE = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'


def _put(key: str, data: bytes) -> None:
    storage().put_stream(key, io.BytesIO(data), len(data))


def test_an_html_or_svg_file_is_served_inert_to_staff(client, org):
    _put("questions/ab/cdef/trang.html", HTML_FILE)
    _put("questions/ab/cdef/hinh.svg", SVG_FILE)
    login(client, "teacherx")
    for key, mimetype in (("questions/ab/cdef/trang.html", "text/html"),
                          ("questions/ab/cdef/hinh.svg", "image/svg+xml")):
        with client.get(f"/media/{key}") as reply:
            assert reply.status_code == 200 and reply.mimetype == mimetype
            assert reply.headers["Content-Disposition"].startswith("attachment;")
            assert reply.headers["X-Content-Type-Options"] == "nosniff"
            assert reply.headers["Content-Security-Policy"] == FILE_POLICY


def test_a_page_of_the_site_still_gets_the_page_policy(client, org):
    """Control: the file policy is the stored file's, not every text/html response's."""
    login(client, "teacherx")
    reply = client.get("/questions/")
    assert reply.mimetype == "text/html"
    assert reply.headers["Content-Security-Policy"].startswith("default-src 'self';")
