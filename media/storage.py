"""File storage behind one small interface: a local folder by default, S3/MinIO at scale.

Keys are storage-neutral paths such as ``lessons/12/video/original.mp4``: lower-case ASCII
letters, digits and ``/_.-`` only, never ``..``, never a leading ``/``. Files are streamed in
chunks in both directions; no backend reads a whole file into memory.

Backends are a registry keyed by ``STORAGE_BACKEND`` (``local`` | ``s3``); an unknown key
fails loudly. :func:`storage_from_config` builds one from plain configuration values, so this
package needs no web framework.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, ClassVar
from urllib.parse import quote

CHUNK = 1024 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_KEY_RE = re.compile(r"[a-z0-9_.-]+(/[a-z0-9_.-]+)*")
_MAX_KEY = 512


class StorageError(Exception):
    """Any failure of the file store; the message says which key and what went wrong."""


class InvalidKey(StorageError, ValueError):
    """A key outside the allowed alphabet, with ``..`` or a leading ``/``."""


class FileMissing(StorageError, LookupError):
    """No file is stored under the key."""


class StorageUnavailable(StorageError):
    """The storage server cannot be reached or refused the request."""


class UnknownBackend(StorageError, LookupError):
    """``STORAGE_BACKEND`` names no registered backend."""


def validate_key(key: str) -> str:
    """Return the key if it is safe to use as a path on every backend, else raise InvalidKey."""
    if not isinstance(key, str) or not key or len(key) > _MAX_KEY:
        raise InvalidKey(f"Khóa tệp không hợp lệ: {key!r} (rỗng hoặc dài quá {_MAX_KEY} ký tự).")
    if not _KEY_RE.fullmatch(key):
        raise InvalidKey(f"Khóa tệp không hợp lệ: {key!r}. Chỉ được dùng a-z, 0-9 và / _ . -, "
                         "không bắt đầu bằng /, không có đoạn rỗng.")
    if any(set(part) == {"."} for part in key.split("/")):
        raise InvalidKey(f"Khóa tệp không hợp lệ: {key!r} chứa đoạn '.' hoặc '..'.")
    return key


def ascii_filename(filename: str) -> str:
    """A plain-ASCII fallback of a download name: 'Đề kiểm tra.pdf' → 'De kiem tra.pdf'."""
    text = filename.replace("đ", "d").replace("Đ", "D").replace("\u00d0", "D")
    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r'[^A-Za-z0-9 ._()-]+', "_", bare).strip(" .")
    return cleaned or "download"


def content_disposition(filename: str) -> str:
    """``attachment`` header value with an ASCII name and the exact UTF-8 name (RFC 6266)."""
    exact = quote(unicodedata.normalize("NFC", filename), safe="")
    return f"attachment; filename=\"{ascii_filename(filename)}\"; filename*=UTF-8''{exact}"


class Storage(ABC):
    """Where uploaded originals and derived files live. Every method validates the key."""

    #: Registry key (``STORAGE_BACKEND``).
    name: ClassVar[str]

    @classmethod
    @abstractmethod
    def from_config(cls, config: Mapping) -> Storage:
        """Build the backend from plain configuration values."""

    @abstractmethod
    def put_stream(self, key: str, fileobj: BinaryIO, length: int | None = None,
                   content_type: str = DEFAULT_CONTENT_TYPE) -> int:
        """Store ``fileobj`` read in chunks under ``key`` (replacing it); return bytes stored."""

    @abstractmethod
    def open(self, key: str) -> AbstractContextManager[BinaryIO]:
        """Context manager giving a readable binary stream of the file; FileMissing if absent."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether a file is stored under the key."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the file; deleting a missing file is not an error (idempotent)."""

    @abstractmethod
    def size(self, key: str) -> int:
        """Size in bytes; FileMissing if absent."""

    @abstractmethod
    def url_for_download(self, key: str, filename: str,
                         expires: timedelta | None = None) -> str | None:
        """A short-lived direct download URL, or None when the web layer must stream the file."""

    def iter_chunks(self, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        """The file as a sequence of chunks (for streamed HTTP responses)."""
        with self.open(key) as stream:
            while chunk := stream.read(chunk_size):
                yield chunk

    def iter_range(self, key: str, start: int, length: int,
                   chunk_size: int = CHUNK) -> Iterator[bytes]:
        """``length`` bytes from ``start`` (an HTTP Range request): a seek where the stream
        allows it, otherwise the leading bytes are read and dropped."""
        with self.open(key) as stream:
            if start and getattr(stream, "seekable", lambda: False)():
                stream.seek(start)
            else:
                _skip(stream, start, chunk_size)
            left = length
            while left > 0 and (chunk := stream.read(min(chunk_size, left))):
                left -= len(chunk)
                yield chunk


def _skip(stream: BinaryIO, count: int, chunk_size: int) -> None:
    while count > 0 and (chunk := stream.read(min(chunk_size, count))):
        count -= len(chunk)


BACKENDS: dict[str, type[Storage]] = {}


def register_backend(cls: type[Storage]) -> type[Storage]:
    """Class decorator adding a backend to the registry under ``cls.name``."""
    BACKENDS[cls.name] = cls
    return cls


def backend_class(name: str) -> type[Storage]:
    """The backend registered under ``name``; an unknown name raises UnknownBackend."""
    try:
        return BACKENDS[name]
    except KeyError:
        known = ", ".join(sorted(BACKENDS))
        raise UnknownBackend(f"STORAGE_BACKEND={name!r} không tồn tại; chọn một trong: {known}."
                             ) from None


def storage_from_config(config: Mapping) -> Storage:
    """The backend named by ``STORAGE_BACKEND`` (default ``local``) built from ``config``."""
    return backend_class(str(config.get("STORAGE_BACKEND", "local")).strip()).from_config(config)


def _flag(value) -> bool:
    """Booleans from configuration, which may arrive as strings from the environment."""
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


@register_backend
class LocalStorage(Storage):
    """Files in a folder; writes go to a temporary file, are fsynced, then renamed into place."""

    name = "local"

    def __init__(self, root: str | os.PathLike):
        if not str(root):
            raise StorageError("STORAGE_PATH rỗng: cần một thư mục cho kho tệp cục bộ.")
        self.root = Path(root).resolve()

    @classmethod
    def from_config(cls, config: Mapping) -> LocalStorage:
        return cls(config.get("STORAGE_PATH", ""))

    def path(self, key: str) -> Path:
        """The file's path; the key is validated and the result must stay inside the root."""
        path = (self.root / validate_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise InvalidKey(f"Khóa tệp {key!r} trỏ ra ngoài thư mục lưu trữ.")
        return path

    def put_stream(self, key, fileobj, length=None, content_type=DEFAULT_CONTENT_TYPE):
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                shutil.copyfileobj(fileobj, handle, CHUNK)
                handle.flush()
                os.fsync(handle.fileno())
                written = handle.tell()
            _check_length(key, length, written)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return written

    @contextmanager
    def open(self, key):
        try:
            stream = self.path(key).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise FileMissing(f"Không có tệp {key!r} trong kho.") from None
        with stream:
            yield stream

    def exists(self, key):
        return self.path(key).is_file()

    def delete(self, key):
        self.path(key).unlink(missing_ok=True)

    def size(self, key):
        try:
            info = self.path(key).stat()
        except FileNotFoundError:
            raise FileMissing(f"Không có tệp {key!r} trong kho.") from None
        if not stat.S_ISREG(info.st_mode):  # a folder of keys ("questions/ab") is no file
            raise FileMissing(f"Không có tệp {key!r} trong kho.")
        return info.st_size

    def url_for_download(self, key, filename, expires=None):
        self.path(key)
        return None


def _check_length(key: str, expected: int | None, written: int) -> None:
    if expected is not None and expected != written:
        raise StorageError(f"Tệp {key!r}: nhận {written} byte, mong đợi {expected} byte "
                           "(tải lên bị cắt ngang?).")


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _WholeReads:
    """A reader whose ``read(n)`` returns n bytes in one object (fewer only at the end).

    minio concatenates short reads into a part (``part += chunk``), which costs about three
    parts of memory; one whole read keeps an upload near two parts.
    """

    def __init__(self, raw: BinaryIO):
        self.raw = raw
        self.total = 0
        self.eof = False

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            data = self.raw.read()
            self.total += len(data)
            self.eof = True
            return data
        buffer = bytearray(size)
        view, filled = memoryview(buffer), 0
        while filled < size:
            chunk = self.raw.read(min(size - filled, CHUNK))
            if not chunk:
                self.eof = True
                break
            view[filled:filled + len(chunk)] = chunk
            filled += len(chunk)
        view.release()
        self.total += filled
        del buffer[filled:]
        return bytes(buffer)


@register_backend
class S3Storage(Storage):
    """Objects in one bucket of MinIO or any S3 API server, through the ``minio`` client."""

    name = "s3"
    #: Multipart part size: memory use while uploading is bounded by a small multiple of it.
    PART_SIZE = 5 * 1024 * 1024

    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str,
                 secure: bool = False, region: str = "us-east-1", presign_seconds: int = 300,
                 retries: int = 2):
        import urllib3
        from minio import Minio

        if not endpoint or not bucket:
            raise StorageError("Kho S3 cần S3_ENDPOINT (máy:cổng) và S3_BUCKET.")
        self.endpoint, self.bucket = endpoint, bucket
        self.presign = timedelta(seconds=int(presign_seconds))
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=60),
            retries=urllib3.Retry(total=retries, backoff_factor=0.2,
                                  status_forcelist=[500, 502, 503, 504]),
        )
        self.client = Minio(endpoint, access_key=access_key or None,
                            secret_key=secret_key or None, secure=secure,
                            region=region or None, http_client=http)
        self._bucket_ready = False

    @classmethod
    def from_config(cls, config: Mapping) -> S3Storage:
        return cls(endpoint=str(config.get("S3_ENDPOINT", "")),
                   bucket=str(config.get("S3_BUCKET", "")),
                   access_key=str(config.get("S3_ACCESS_KEY", "")),
                   secret_key=str(config.get("S3_SECRET_KEY", "")),
                   secure=_flag(config.get("S3_SECURE", False)),
                   region=str(config.get("S3_REGION", "") or ""),
                   presign_seconds=int(config.get("S3_PRESIGN_SECONDS", 300)))

    @contextmanager
    def _errors(self, key: str | None = None) -> Iterator[None]:
        """Translate client and network failures into StorageError subclasses."""
        from minio.error import MinioException, S3Error
        from urllib3.exceptions import HTTPError

        try:
            yield
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject"}:
                raise FileMissing(f"Không có tệp {key!r} trong kho S3 {self.bucket}.") from exc
            raise StorageUnavailable(f"Kho S3 {self.endpoint}/{self.bucket} từ chối yêu cầu "
                                     f"với khóa {key!r}: {exc.code} {exc.message}") from exc
        except (HTTPError, MinioException, OSError) as exc:
            raise StorageUnavailable(f"Không kết nối được kho S3 {self.endpoint} "
                                     f"(bucket {self.bucket}): {exc}") from exc

    def ensure_bucket(self) -> None:
        """Create the bucket on first use if missing, with versioning on (originals survive
        an overwrite or a delete); an existing bucket is used as its operator set it up."""
        from minio.versioningconfig import ENABLED, VersioningConfig

        if self._bucket_ready:
            return
        with self._errors():
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket)
                self.client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
        self._bucket_ready = True

    def put_stream(self, key, fileobj, length=None, content_type=DEFAULT_CONTENT_TYPE):
        validate_key(key)
        self.ensure_bucket()
        reader = _WholeReads(fileobj)
        with self._errors(key):
            try:
                self.client.put_object(self.bucket, key, reader,
                                       length=-1 if length is None else length,
                                       content_type=content_type or DEFAULT_CONTENT_TYPE,
                                       part_size=self.PART_SIZE, num_parallel_uploads=1)
            except Exception:
                if reader.eof and length is not None:
                    _check_length(key, length, reader.total)
                raise
            return self.size(key)

    @contextmanager
    def open(self, key):
        validate_key(key)
        with self._errors(key):
            response = self.client.get_object(self.bucket, key)
        try:
            yield response
        finally:
            response.close()
            response.release_conn()

    def exists(self, key):
        try:
            self.size(key)
        except FileMissing:
            return False
        return True

    def delete(self, key):
        validate_key(key)
        with self._errors(key):
            self.client.remove_object(self.bucket, key)

    def size(self, key):
        validate_key(key)
        with self._errors(key):
            return self.client.stat_object(self.bucket, key).size

    def url_for_download(self, key, filename, expires=None):
        validate_key(key)
        headers = {"response-content-disposition": content_disposition(filename)}
        with self._errors(key):
            return self.client.presigned_get_object(
                self.bucket, key, expires=expires or self.presign, response_headers=headers)
