"""The application's file store: built once per app from its config, kept on app.extensions."""

from flask import Response, current_app, redirect, request
from werkzeug.http import parse_range_header

from lms.core.errors import NotFound
from lms.core.security_headers import FILE_POLICY
from media import FileMissing, InvalidKey, Storage, content_disposition, storage_from_config

_KEY = "hoclieu_storage"


def storage() -> Storage:
    """The configured backend (``HOCLIEU_STORAGE_BACKEND``), created on first use."""
    app = current_app._get_current_object()
    store = app.extensions.get(_KEY)
    if store is None:
        store = app.extensions[_KEY] = storage_from_config(app.config)
    return store


def download_response(key: str, filename: str,
                      mimetype: str = "application/octet-stream") -> Response:
    """Send a stored file as an attachment: a redirect to a short-lived presigned URL when the
    backend offers one (S3, which answers Range requests itself), otherwise streamed in chunks
    by this process (local folder), honouring a single ``Range``.

    The caller has already checked that the user may read the file.
    """
    store = storage()
    try:
        url = store.url_for_download(key, filename)
    except InvalidKey:  # a key typed into a URL (/media/…) that no stored file can have
        raise NotFound(f"Không tìm thấy tệp {filename!r} trong kho lưu trữ.") from None
    if url:
        response = redirect(url, 302)
        response.headers["Cache-Control"] = "no-store"
        return response
    try:
        size = store.size(key)
    except FileMissing:
        raise NotFound(f"Không tìm thấy tệp {filename!r} trong kho lưu trữ.") from None
    response = ranged_response(store, key, size, mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    # A stored file is never a page of the site, whatever its type says: opened directly, an
    # HTML or SVG file may run nothing and load nothing (security.md 24).
    response.headers["Content-Security-Policy"] = FILE_POLICY
    return response


def ranged_response(store: Storage, key: str, size: int, content_type: str) -> Response:
    """The stored file streamed whole (200) or, for one satisfiable ``Range: bytes=…``, the
    part asked for (206 with ``Content-Range``); a range past the end is a 416.

    Several ranges, a malformed header or an ``If-Range`` (no validators here) get the whole
    file, as RFC 9110 allows. Video players seek with ``bytes=N-``; Safari plays nothing
    without 206.
    """
    wanted = _single_range(size)
    if wanted == "unsatisfiable":
        response = Response(status=416, content_type=content_type)
        response.headers["Content-Range"] = f"bytes */{size}"
    elif wanted is None:
        response = Response(store.iter_chunks(key), content_type=content_type,
                            direct_passthrough=True)
        response.headers["Content-Length"] = str(size)
    else:
        start, stop = wanted
        response = Response(store.iter_range(key, start, stop - start), status=206,
                            content_type=content_type, direct_passthrough=True)
        response.headers["Content-Length"] = str(stop - start)
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _single_range(size: int):
    """(start, stop) of the one range requested, "unsatisfiable", or None for the whole."""
    header = request.headers.get("Range")
    if not header or "If-Range" in request.headers or request.method not in ("GET", "HEAD"):
        return None
    parsed = parse_range_header(header)
    if parsed is None or parsed.units != "bytes" or len(parsed.ranges) != 1:
        return None
    bounds = parsed.range_for_length(size)
    return bounds if bounds is not None else "unsatisfiable"
