"""Security headers (issue 10 §1.9): a Content-Security-Policy on every page that forbids
inline script and style attributes (a new nonce per response), a nothing-allowed policy on
everything else, the SCORM content's own stricter policy kept, HSTS only in production."""

import re
from pathlib import Path

import pytest

from lms.app import create_app
from lms.core import security_headers
from lms.kernel import db
from tests.conftest import login

TEMPLATES = Path(__file__).resolve().parents[2] / "lms" / "templates"
#: Printed to PDF by Chromium from a file, never served: they carry their own policy
#: (lms/core/pdf.py: inline styles, data: images, nothing else).
PDF_TEMPLATES = {"exams/answer_sheet.html", "exams/paper_print.html", "gradebook/report.html"}
#: JSON data blocks are not scripts: the browser never runs them.
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")"
                            r"(?![^>]*nonce=\"\{\{ csp_nonce\(\) \}\}\")[^>]*>", re.I)
_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
_STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)
_STYLE_BLOCK = re.compile(r"<style\b(?![^>]*nonce=\"\{\{ csp_nonce\(\) \}\}\")", re.I)


def _directives(policy: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in policy.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def test_a_page_gets_the_policy_with_a_fresh_nonce_each_time(client, org):
    first, second = client.get("/login"), client.get("/login")
    policies = [_directives(r.headers["Content-Security-Policy"]) for r in (first, second)]
    for policy in policies:
        assert policy["default-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'self'"]
        assert "'unsafe-inline'" not in policy["script-src"] + policy["style-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        assert policy["img-src"] == ["'self'", "data:"] and policy["media-src"] == ["'self'"]
    nonces = [p["script-src"][1] for p in policies]
    assert nonces[0] != nonces[1] and all(re.fullmatch(r"'nonce-[\w-]{24}'", n) for n in nonces)


def test_every_kind_of_page_has_it_logged_in_or_not(client, org):
    login(client, "teacherx")
    for url in ("/", "/questions/new", "/teacher/exams/", f"/schools/classes/{org.class_x.id}",
                "/no-such-page"):
        reply = client.get(url)
        assert reply.mimetype == "text/html", url
        assert "script-src 'self' 'nonce-" in reply.headers["Content-Security-Policy"], url


def test_json_and_files_allow_nothing(client, org):
    """(SCORM package pages keep their own sandbox policy: tests/lms/test_lessons_scorm.py.)"""
    for url in ("/api/v1/me", "/healthz", "/static/css/app.css"):
        with client.get(url) as reply:
            assert reply.headers["Content-Security-Policy"] == security_headers.FILE_POLICY


def test_the_nonce_is_the_one_a_template_writes(app):
    with app.test_request_context("/"):
        nonce = security_headers.csp_nonce()
        assert app.jinja_env.from_string("{{ csp_nonce() }}").render() == nonce
        policy = security_headers.page_policy(nonce)
        assert f"'nonce-{nonce}'" in _directives(policy)["script-src"]


def test_s3_storage_adds_its_endpoint_for_files_only():
    config = {"STORAGE_BACKEND": "s3", "S3_ENDPOINT": "minio.so-gd.example:9000",
              "S3_SECURE": True}
    origin = security_headers.storage_origin(config)
    assert origin == "https://minio.so-gd.example:9000"
    policy = _directives(security_headers.page_policy("n", origin))
    for name in ("img-src", "media-src", "form-action"):
        assert origin in policy[name], name
    assert origin not in policy["script-src"] + policy["style-src"] + policy["connect-src"]
    assert security_headers.storage_origin({"STORAGE_BACKEND": "local"}) is None


@pytest.mark.parametrize("env, seconds, expected", [
    ("production", 31536000, "max-age=31536000"), ("production", 0, None),
    ("development", 31536000, None), ("test", 31536000, None)])
def test_hsts_only_in_production(env, seconds, expected):
    assert security_headers.hsts_value({"ENV": env, "HSTS_SECONDS": seconds}) == expected


def test_hsts_header_is_sent_by_a_production_app_and_not_by_others(app, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    production = create_app({**app.config, "ENV": "production", "SECRET_KEY": "s" * 40,
                             "DATABASE_URL": app.config["DATABASE_URL"]})
    reply = production.test_client().get("/healthz")
    with production.app_context():
        db.engine.dispose()
    assert reply.headers["Strict-Transport-Security"] == "max-age=31536000"


def _template_problems(root: Path = TEMPLATES) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.html")):
        name = path.relative_to(root).as_posix()
        if name in PDF_TEMPLATES:
            continue
        text = path.read_text(encoding="utf-8")
        for what, pattern in (("inline script", _INLINE_SCRIPT), ("event handler", _HANDLER),
                              ("style attribute", _STYLE_ATTRIBUTE),
                              ("style block", _STYLE_BLOCK)):
            problems += [f"{name}: {what} {m.group(0)!r}" for m in pattern.finditer(text)]
    return problems


def test_no_template_needs_what_the_policy_forbids():
    """Inline <script> without a nonce, onclick=…, style="…" and <style> without a nonce are
    blocked by the policy: behaviour lives in lms/static/js (app.js: data-confirm, data-print,
    data-width-percent), looks in lms/static/css/app.css."""
    assert _template_problems() == []


def test_the_lint_catches_each_forbidden_form(tmp_path):
    """The check above would see a regression (a control: it is not vacuous)."""
    bad = tmp_path / "bad.html"
    bad.write_text('<script>alert(1)</script><button onclick="x()">b</button>'
                   '<div style="width:1px"></div><style>p{}</style>'
                   '<script type="application/json">{}</script>'
                   '<script nonce="{{ csp_nonce() }}">ok()</script>', encoding="utf-8")
    found = _template_problems(tmp_path)
    assert [p.split(" '")[0] for p in found] == [
        "bad.html: inline script", "bad.html: event handler", "bad.html: style attribute",
        "bad.html: style block"]
