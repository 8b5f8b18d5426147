"""The SCORM player page, and package files served from a sandboxed path without the
session cookie.

Package files run with ``Content-Security-Policy: sandbox`` (no ``allow-same-origin``), so each
document is an opaque origin and cannot reach ``window.parent.API``. Every HTML file therefore
gets scorm-again's ``CrossFrameAPI`` injected as ``window.API`` / ``window.API_1484_11``; it
talks by ``postMessage`` to the player page, which hosts the real runtime (``CrossFrameLMS``)
and commits to ``POST /api/v1/lessons/<id>/scorm/commit`` with the learner's session.
"""

import json
import re

from flask import Blueprint, Response, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from lms.auth.decorators import login_required
from lms.auth.permissions import require
from lms.core.errors import DomainError, NotFound
from lms.core.storage import ranged_response, storage
from lms.lessons import services
from lms.lessons.content import launch_url, token_allows
from lms.lessons.services import scorm_file

bp = Blueprint("scorm_content", __name__, url_prefix="/scorm-content")
player_bp = Blueprint("lessons", __name__, url_prefix="/lessons")

#: HTML files up to this size get the runtime shim; larger ones are streamed untouched.
MAX_INJECT_BYTES = 8 * 1024 * 1024
_HEAD_RE = re.compile(rb"<head[^>]*>", re.I)

#: Package files run as an opaque origin: scripts and forms work, but they cannot read the
#: platform's cookies or storage, nor call its API as the user.
CONTENT_CSP = ("sandbox allow-scripts allow-forms allow-popups; "
               "default-src 'self' 'unsafe-inline' data: blob:")


@bp.get("/<id:lesson_id>/<token>/<path:path>")
def serve(lesson_id: int, token: str, path: str):
    """One file of a package, if the token grants this lesson (404 otherwise: no oracle)."""
    if not token_allows(token, lesson_id):
        raise NotFound(_("Liên kết nội dung không hợp lệ hoặc đã hết hạn."))
    row = scorm_file(lesson_id, path)
    if row.content_type == "text/html" and row.size <= MAX_INJECT_BYTES:
        with storage().open(row.key) as stream:
            body = with_runtime_shim(stream.read(MAX_INJECT_BYTES + 1))
        # content_type, not mimetype: no charset is forced on pages saved in other encodings
        response = Response(body, content_type=row.content_type)
    else:  # videos and audio inside packages seek with Range requests
        response = ranged_response(storage(), row.key, row.size, row.content_type)
    response.headers["Content-Security-Policy"] = CONTENT_CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


#: CrossFrameAPI answers GetValue from a cache it fills only after Initialize; fetching the
#: learner's whole CMI at once means a SCO that reads ``cmi.suspend_data`` right after
#: Initialize (on load) sees its saved state. ``%(origin)s``: the player's origin — the API
#: sends only to a top window of that origin and takes replies only from it.
PREFETCH = ('var a=new CrossFrameAPI(%(origin)s,window.top);window.API=window.API_1484_11=a;'
            'a._post("getFlattenedCMI",[]).then(function(all){for(var k in all){'
            'if(!a._cache.has(k)){a._cache.set(k,String(all[k]));}}}).catch(function(){});')


def runtime_shim() -> bytes:
    """Script tags defining the cross-frame SCORM API, aimed at the top (player) window.

    The player opens the package by a relative URL, so the player's origin is this request's
    (Werkzeug keeps only a well-formed ``Host``; a malformed one becomes empty).
    """
    src = url_for("static", filename="vendor/scorm-again/cross-frame-api.min.js")
    origin = json.dumps(f"{request.scheme}://{request.host}")
    script = PREFETCH % {"origin": origin}
    return (f'<script src="{src}"></script><script>{script}</script>').encode()


def with_runtime_shim(html: bytes) -> bytes:
    """Insert the shim right after ``<head>`` (or first, when the page has none), so it
    exists before the content's own scripts look for the API."""
    match = _HEAD_RE.search(html)
    at = match.end() if match else 0
    return html[:at] + runtime_shim() + html[at:]


@player_bp.get("/<id:lesson_id>/play")
@login_required
def play(lesson_id: int):
    """The player: hosts scorm-again with the learner's saved state and frames the SCO."""
    lesson = services.lesson_for(g.user, lesson_id)
    package = lesson.scorm
    if package is None or lesson.state.value != "ready":
        raise DomainError(_("Bài giảng chưa sẵn sàng để mở."), code="not_ready")
    entries = [e for e in package.toc if e.get("launch")]
    wanted = request.args.get("sco") or entries[0]["identifier"]
    entry = next((e for e in entries if e["identifier"] == wanted), None)
    if entry is None:
        raise NotFound(_("Gói không có mục «%(sco)s».", sco=wanted))
    saved = services.progress_of(g.user, lesson, entry["identifier"])
    return render_template(
        "lessons/player.html", lesson=lesson, package=package, sco=entry["identifier"],
        entries=entries, launch=launch_url(package, lesson.id, entry["launch"]),
        warnings=services.package_warnings(lesson, viewer=g.user),
        commit_url=url_for("api_lessons.commit_scorm", lesson_id=lesson.id),
        saved={"suspend_data": saved.suspend_data if saved else "",
               "location": saved.location if saved else "",
               "status": saved.status if saved else "not attempted"},
        learner={"id": str(g.user.id), "name": g.user.full_name})


@player_bp.get("/<id:lesson_id>")
@login_required
def show(lesson_id: int):
    """A video lesson: the transcode progress bar while processing, the player when ready
    (SCORM lessons open in the player, authored lessons in the reader or, drafts, the
    editor)."""
    lesson = services.lesson_for(g.user, lesson_id)
    if lesson.scorm is not None:
        return redirect(url_for("lessons.play", lesson_id=lesson.id))
    if lesson.kind.value == "authored":
        if lesson.published_at is None:
            return redirect(url_for("lesson_pages.edit", lesson_id=lesson.id))
        return redirect(url_for("lesson_pages.read", lesson_id=lesson.id))
    media = {f.kind.value: url_for("api_lessons.get_media", lesson_id=lesson.id,
                                   kind=f.kind.value) for f in lesson.files}
    return render_template("lessons/video.html", lesson=lesson, media=media)


@player_bp.get("/upload")
@login_required
def upload():
    """Upload a video or a SCORM package; large files go in resumable chunks
    (static/js/chunked-upload.js, ``/api/v1/uploads``)."""
    require(g.user, "lesson.create")
    return render_template("lessons/upload.html")
