import io
import urllib.request
from urllib.parse import unquote

import pytest

from lms.core.errors import NotFound
from lms.core.storage import download_response, storage
from media import LocalStorage, storage_from_config


def test_app_storage_is_the_configured_backend_built_once(app):
    with app.app_context():
        store = storage()
        assert isinstance(store, LocalStorage) and store is storage()
        assert str(store.root) == app.config["STORAGE_PATH"]


def test_local_download_is_streamed_as_an_attachment(app):
    with app.test_request_context():
        storage().put_stream("probe/bai-giang.pdf", io.BytesIO(b"%PDF" * 100_000))
        response = download_response("probe/bai-giang.pdf", "Bài giảng.pdf", "application/pdf")
        assert response.status_code == 200 and response.is_streamed
        assert response.headers["Content-Length"] == "400000"
        assert unquote(response.headers["Content-Disposition"]).endswith("Bài giảng.pdf")
        assert b"".join(response.response) == b"%PDF" * 100_000
        storage().delete("probe/bai-giang.pdf")
        with pytest.raises(NotFound, match="Bài giảng.pdf"):
            download_response("probe/bai-giang.pdf", "Bài giảng.pdf")


def test_s3_download_redirects_to_a_presigned_url(app, monkeypatch):
    from tests.media.test_storage import s3_config, start_moto, stop_moto

    proc, endpoint = start_moto()
    try:
        s3 = storage_from_config(s3_config(endpoint))
        monkeypatch.setitem(app.extensions, "hoclieu_storage", s3)
        with app.test_request_context():
            storage().put_stream("probe/a.txt", io.BytesIO(b"abc"), 3)
            response = download_response("probe/a.txt", "a.txt")
        assert response.status_code == 302
        with urllib.request.urlopen(response.headers["Location"], timeout=10) as download:
            assert download.read() == b"abc"
    finally:
        stop_moto(proc)
