"""One contract, two backends: a local folder and S3 against moto's server on loopback.

moto's ``ThreadedMotoServer`` runs in a child process so that the memory measured with
tracemalloc is ours alone, and so that "the server went away" can be produced for real.
"""

import hashlib
import io
import socket
import subprocess
import sys
import tracemalloc
import urllib.request
import uuid
from datetime import timedelta
from urllib.parse import unquote

import pytest

from media import (
    FileMissing,
    InvalidKey,
    LocalStorage,
    S3Storage,
    StorageError,
    StorageUnavailable,
    UnknownBackend,
    storage_from_config,
)

MOTO_SCRIPT = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=int(sys.argv[1]), verbose=False)
server.start()
print("ready", flush=True)
sys.stdin.read()
server.stop()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_moto() -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", MOTO_SCRIPT, str(port)], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == "ready"
    return proc, f"127.0.0.1:{port}"


def stop_moto(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()


@pytest.fixture(scope="module")
def moto_endpoint():
    proc, endpoint = start_moto()
    yield endpoint
    stop_moto(proc)


def s3_config(endpoint: str) -> dict:
    return {"STORAGE_BACKEND": "s3", "S3_ENDPOINT": endpoint, "S3_BUCKET": f"t-{uuid.uuid4().hex}",
            "S3_ACCESS_KEY": "testing", "S3_SECRET_KEY": "testing", "S3_SECURE": "false",
            "S3_REGION": "us-east-1", "S3_PRESIGN_SECONDS": 60}


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return storage_from_config({"STORAGE_BACKEND": "local", "STORAGE_PATH": str(tmp_path)})
    return storage_from_config(s3_config(request.getfixturevalue("moto_endpoint")))


class GeneratedStream(io.RawIOBase):
    """``size`` pseudo-random bytes produced 64 KiB at a time; never held in memory whole."""

    def __init__(self, size: int):
        self.left = size
        self.counter = 0
        self.digest = hashlib.sha256()

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left, 65536)
        chunk = hashlib.shake_256(self.counter.to_bytes(8, "big")).digest(n)
        self.counter += 1
        self.left -= n
        self.digest.update(chunk)
        buffer[:n] = chunk
        return n


def test_backends_are_a_registry_and_an_unknown_one_fails_loudly(tmp_path):
    built = storage_from_config({"STORAGE_PATH": str(tmp_path)})
    assert isinstance(built, LocalStorage)
    assert isinstance(storage_from_config(s3_config("127.0.0.1:1")), S3Storage)
    with pytest.raises(UnknownBackend, match="'ftp'.*local, s3"):
        storage_from_config({"STORAGE_BACKEND": "ftp"})


def test_round_trip_replace_size_delete(storage):
    key = "lessons/7/tai-lieu_1.pdf"
    assert not storage.exists(key)
    assert storage.put_stream(key, io.BytesIO(b"first"), 5, "application/pdf") == 5
    assert storage.put_stream(key, io.BytesIO("Đường tròn".encode()), None, "text/plain") == 15
    assert storage.exists(key) and storage.size(key) == 15
    with storage.open(key) as stream:
        assert stream.read().decode() == "Đường tròn"
    storage.delete(key)
    storage.delete(key)
    assert not storage.exists(key)
    with pytest.raises(FileMissing, match="tai-lieu_1.pdf"):
        storage.size(key)
    with pytest.raises(FileMissing), storage.open(key):
        pass


@pytest.mark.parametrize("key", ["../etc/passwd", "a/../../b", "/abs/x", "a//b", "A.txt",
                                 "a/./b", "bài.txt", "a\\b", "", "x/.."])
def test_unsafe_keys_are_rejected_before_any_io(storage, key):
    with pytest.raises(InvalidKey):
        storage.put_stream(key, io.BytesIO(b"x"), 1)
    with pytest.raises(InvalidKey):
        storage.exists(key)
    with pytest.raises(InvalidKey):
        storage.url_for_download(key, "x.txt")


def test_large_stream_round_trip_uses_bounded_memory(storage):
    size = 48 * 1024 * 1024
    source = GeneratedStream(size)
    tracemalloc.start()
    try:
        assert storage.put_stream("big/blob.bin", source, None) == size
        _, peak_upload = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest, total = hashlib.sha256(), 0
        for chunk in storage.iter_chunks("big/blob.bin"):
            digest.update(chunk)
            total += len(chunk)
        _, peak_download = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == size and digest.hexdigest() == source.digest.hexdigest()
    # Bounded by the backend's buffer (one S3 multipart part, or a 1 MiB copy chunk), not the
    # file: an upload holds at most about three parts while minio assembles one.
    buffer = getattr(storage, "PART_SIZE", 1024 * 1024)
    assert peak_upload < 4 * buffer < size / 2, peak_upload
    assert peak_download < 4 * 1024 * 1024, peak_download


def test_short_upload_is_refused_and_leaves_nothing(storage):
    with pytest.raises(StorageError, match="cut/short.bin"):
        storage.put_stream("cut/short.bin", io.BytesIO(b"abc"), 10)
    assert not storage.exists("cut/short.bin")


def test_local_download_is_proxied_and_writes_are_atomic(tmp_path):
    store = LocalStorage(tmp_path / "files")
    store.put_stream("a/b.txt", io.BytesIO(b"hello"))
    assert store.url_for_download("a/b.txt", "b.txt") is None
    assert [p.name for p in (tmp_path / "files" / "a").iterdir()] == ["b.txt"]


def test_s3_presigned_url_downloads_as_attachment(moto_endpoint):
    store = storage_from_config(s3_config(moto_endpoint))
    store.put_stream("exports/de-thi.pdf", io.BytesIO(b"old"), 3, "application/pdf")
    store.put_stream("exports/de-thi.pdf", io.BytesIO(b"%PDF-1.7 test"), 13, "application/pdf")
    url = store.url_for_download("exports/de-thi.pdf", "Đề thi học kỳ.pdf",
                                 expires=timedelta(seconds=30))
    assert url.startswith(f"http://{moto_endpoint}/") and "X-Amz-Expires=30" in url
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"%PDF-1.7 test"
        disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="De thi hoc ky.pdf"')
    assert unquote(disposition.split("UTF-8''")[1]) == "Đề thi học kỳ.pdf"
    versions = store.client.list_objects(store.bucket, "exports/", include_version=True)
    assert len(list(versions)) == 2, "the bucket the app creates keeps earlier versions"


def test_s3_unreachable_server_gives_a_clear_error():
    proc, endpoint = start_moto()
    store = storage_from_config(s3_config(endpoint))
    store.put_stream("a.txt", io.BytesIO(b"x"), 1)
    stop_moto(proc)
    with pytest.raises(StorageUnavailable, match=f"Không kết nối được kho S3 {endpoint}"):
        store.exists("a.txt")
    with pytest.raises(StorageUnavailable, match=endpoint):
        store.put_stream("b.txt", io.BytesIO(b"y"), 1)
