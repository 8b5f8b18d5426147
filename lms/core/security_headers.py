"""Security headers of every response (docs/deployment.md, "Security headers").

Pages get a Content-Security-Policy that lets them load scripts, styles, images, sounds and
frames only from this site (and, with S3 storage, files from its endpoint, where downloads
are redirected): no inline script, no ``style=""`` attribute, no plug-ins, nothing from a
CDN or a tracker — a script that slipped past the sanitiser still would not run. An inline
``<script>`` or ``<style>`` a page really needs carries ``nonce="{{ csp_nonce() }}"``, a value
new for each response. Everything else (JSON, files) gets a policy that allows nothing, so a
stored file opened directly cannot run script as the site. Responses that set their own
policy keep it: SCORM package files run sandboxed under a stricter one
(``lms/lessons/views.py``).

HSTS is sent only when ``HOCLIEU_ENV=production``, where the site is served over HTTPS.
Flask-Talisman would do much of this but is barely maintained and also redirects to HTTPS by
itself, which the proxies in front of a deployment already do.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from flask import Response, g

NONCE_BYTES = 18
#: For responses that are not pages: nothing may load or run, and nothing may frame them.
FILE_POLICY = "default-src 'none'; frame-ancestors 'none'"


def csp_nonce() -> str:
    """This response's nonce, for the rare inline ``<script>``/``<style>`` (a Jinja global)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(NONCE_BYTES)
    return g.csp_nonce


def storage_origin(config: Mapping) -> str | None:
    """Where S3 storage sends browsers for files (presigned URLs), or None for local files."""
    if config.get("STORAGE_BACKEND") != "s3":
        return None
    scheme = "https" if config.get("S3_SECURE") else "http"
    return f"{scheme}://{config['S3_ENDPOINT']}"


def page_policy(nonce: str, files_origin: str | None = None) -> str:
    """The policy of an HTML page. ``img-src data:`` is for Bootstrap's own icons (SVG in its
    style sheet); user content cannot use it, as the sanitiser keeps only ``/media/`` files."""
    files = f" {files_origin}" if files_origin else ""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'nonce-{nonce}'",
        "style-src": f"'self' 'nonce-{nonce}'",
        "img-src": f"'self' data:{files}",
        "media-src": f"'self'{files}",
        "font-src": "'self'",
        "connect-src": "'self'",
        "frame-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": f"'self'{files}",
        "frame-ancestors": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def hsts_value(config: Mapping) -> str | None:
    """``Strict-Transport-Security`` in production (HOCLIEU_HSTS_SECONDS > 0), else None."""
    seconds = int(config.get("HSTS_SECONDS") or 0)
    if config.get("ENV") != "production" or seconds <= 0:
        return None
    return f"max-age={seconds}"


def apply(response: Response, config: Mapping) -> Response:
    """Add the policy (unless the view set its own) and, in production, HSTS."""
    if "Content-Security-Policy" not in response.headers:
        policy = (page_policy(csp_nonce(), storage_origin(config))
                  if response.mimetype == "text/html" else FILE_POLICY)
        response.headers["Content-Security-Policy"] = policy
    hsts = hsts_value(config)
    if hsts:
        response.headers.setdefault("Strict-Transport-Security", hsts)
    return response
