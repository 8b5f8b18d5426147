"""The application's file store: built once per app from its config, kept on app.extensions."""

from flask import Response, current_app, redirect

from lms.core.errors import NotFound
from media import FileMissing, Storage, content_disposition, storage_from_config

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
    backend offers one (S3), otherwise streamed in chunks by this process (local folder).

    The caller has already checked that the user may read the file.
    """
    store = storage()
    url = store.url_for_download(key, filename)
    if url:
        response = redirect(url, 302)
        response.headers["Cache-Control"] = "no-store"
        return response
    try:
        size = store.size(key)
    except FileMissing:
        raise NotFound(f"Không tìm thấy tệp {filename!r} trong kho lưu trữ.") from None
    response = Response(store.iter_chunks(key), mimetype=mimetype, direct_passthrough=True)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Content-Length"] = str(size)
    response.headers["Cache-Control"] = "private, no-store"
    return response
