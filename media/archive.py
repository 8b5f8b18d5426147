"""Safe zip handling for uploaded packages (SCORM, imports): inspect everything, then extract.

:func:`inspect_zip` checks every entry's name, type and declared sizes before a single byte is
written; :func:`extract_zip` then streams each entry through a byte counter (headers can lie)
into a temporary folder that is renamed into place only when every entry succeeded.
Failures raise :class:`PackageError` with a stable ``code`` and a Vietnamese ``message`` that
names the entry and the problem. Every reader of an archive format (SCORM, docx, xlsx, QTI)
goes through :func:`check_archive` with its format's row of :data:`ARCHIVE_LIMITS`.
"""

from __future__ import annotations

import lzma
import os
import re
import shutil
import stat
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from media.nesting import HEAD_BYTES, archive_kind

CHUNK = 64 * 1024
_DRIVE_RE = re.compile(r"^[A-Za-z]:")
# Bidirectional controls make "gpj.exe" look like "exe.jpg"; refuse them with C0/C1 controls.
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_READ_ERRORS = (zipfile.BadZipFile, EOFError, zlib.error, lzma.LZMAError)
#: bzip2 and LZMA entries are refused: zipfile expands them a whole compressed chunk at a time
#: whatever the declared size, so 350 bytes can become 600 MB of memory on the first read.
#: Deflate output is bounded by what the reader asks for. Office, LibreOffice, Storyline,
#: iSpring and every common zip tool write deflate.
_SUPPORTED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
MIB = 1024 * 1024


class PackageError(Exception):
    """A package (zip, manifest) was refused. ``code`` is stable; ``message`` is Vietnamese."""

    def __init__(self, code: str, message: str, entry: str | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.entry = entry

    def __repr__(self) -> str:
        return f"PackageError({self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds for one archive; the defaults suit a school's SCORM package."""

    max_entries: int = 10_000
    max_total_size: int = 2 * 1024**3
    max_entry_size: int = 1024**3
    max_ratio: float = 200.0
    #: entries smaller than this may compress as well as they like (small text files do)
    ratio_min_size: int = MIB
    #: the whole archive: uncompressed total / compressed total, checked once the total
    #: passes ``total_ratio_min_size`` (many small entries each under ``ratio_min_size``)
    max_total_ratio: float = 100.0
    total_ratio_min_size: int = 4 * MIB
    max_path_length: int = 1024
    max_segment_length: int = 255
    #: nested archives are always reported in ``ZipInspection.nested``; refused unless allowed
    allow_nested: bool = False


DEFAULT_LIMITS = ArchiveLimits()

#: The limits of every archive format the platform reads, in one table (security.md 42).
#: Each reader opens its archive through :func:`check_archive` with its format's name.
ARCHIVE_LIMITS = {
    #: a school's SCORM package: videos included, so large; ``DEFAULT_LIMITS``
    "scorm": DEFAULT_LIMITS,
    #: QTI question packages: XML items and their images
    "qti": ArchiveLimits(max_entries=5000, max_total_size=200 * MIB, max_entry_size=50 * MIB),
    #: Word files: a few MB of text and images; embedded objects (charts keep an .xlsx inside)
    #: are listed in ``nested`` and never opened
    "docx": ArchiveLimits(max_entries=5000, max_total_size=300 * MIB,
                          max_entry_size=100 * MIB, allow_nested=True),
    #: spreadsheets: the question-bank template and class rosters
    "xlsx": ArchiveLimits(max_entries=1000, max_total_size=100 * MIB, max_entry_size=50 * MIB),
}


@dataclass(frozen=True)
class ZipEntry:
    """One checked member of an archive."""

    name: str
    size: int
    compressed_size: int
    is_dir: bool


@dataclass(frozen=True)
class ZipInspection:
    """The result of :func:`inspect_zip`: every entry passed every check."""

    entries: tuple[ZipEntry, ...]
    total_size: int
    nested: tuple[str, ...] = field(default=())

    @property
    def files(self) -> frozenset[str]:
        """Names of the regular files (no directories)."""
        return frozenset(e.name for e in self.entries if not e.is_dir)


def _fail(code: str, entry: str | None, problem: str) -> PackageError:
    where = f"Tệp nén: mục «{_printable(entry)}» " if entry is not None else "Tệp nén: "
    return PackageError(code, where + problem, entry)


def _printable(name: str) -> str:
    """The name with control characters shown as escapes, safe to put in a message."""
    return "".join(c if c.isprintable() and c not in _BIDI else repr(c)[1:-1] for c in name)


@contextmanager
def open_zip(source: str | os.PathLike | BinaryIO | zipfile.ZipFile) -> Iterator[zipfile.ZipFile]:
    """Open a path, file object or already-open ZipFile; a non-zip becomes ``bad_zip``."""
    if isinstance(source, zipfile.ZipFile):
        yield source
        return
    try:
        zf = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise PackageError("bad_zip", "Tệp tải lên không phải tệp nén .zip hợp lệ.") from exc
    with zf:
        yield zf


def check_entry_name(name: str, limits: ArchiveLimits = DEFAULT_LIMITS) -> str:
    """Refuse names that could escape the target folder or fool a reader; return the clean path.

    Rejected: control or bidi characters, backslashes, absolute paths, drive letters, ``..``,
    ``.`` and empty segments, over-long paths or segments.
    """
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in _BIDI for c in name):
        raise _fail("unsafe_path", name, "chứa ký tự điều khiển (NUL, xuống dòng, đảo chiều…).")
    if "\\" in name:
        raise _fail("unsafe_path", name, "chứa dấu gạch chéo ngược «\\».")
    if name.startswith("/"):
        raise _fail("unsafe_path", name, "là đường dẫn tuyệt đối.")
    if _DRIVE_RE.match(name):
        raise _fail("unsafe_path", name, "bắt đầu bằng ký tự ổ đĩa (ví dụ «C:»).")
    path = name[:-1] if name.endswith("/") else name
    if len(name.encode()) > limits.max_path_length:
        raise _fail("unsafe_path", name, f"dài quá {limits.max_path_length} byte.")
    for segment in path.split("/"):
        _check_segment(name, segment, limits)
    return path


def _check_segment(name: str, segment: str, limits: ArchiveLimits) -> None:
    if segment == "..":
        raise _fail("unsafe_path", name, "chứa «..» (trỏ ra ngoài thư mục gói).")
    if segment in ("", "."):
        raise _fail("unsafe_path", name, "có thành phần đường dẫn rỗng hoặc «.».")
    if len(segment.encode()) > limits.max_segment_length:
        raise _fail("unsafe_path", name,
                    f"có tên thư mục/tệp dài quá {limits.max_segment_length} byte.")


def check_entry_type(info: zipfile.ZipInfo) -> None:
    """Only regular files and folders: no symlinks, devices, FIFOs, and no encrypted entries."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        raise _fail("symlink", info.filename,
                    "là liên kết tượng trưng (symlink) — không được phép.")
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise _fail("special_file", info.filename, "không phải tệp hay thư mục thông thường.")
    if info.flag_bits & 0x1:
        raise _fail("encrypted", info.filename, "được mã hoá bằng mật khẩu — không thể mở.")
    if info.compress_type not in _SUPPORTED_METHODS:
        raise _fail("unsupported", info.filename, "dùng kiểu nén không được hỗ trợ (chỉ nhận "
                    "«deflate» — kiểu nén thông thường của tệp .zip — hoặc không nén).")


def check_entry_size(info: zipfile.ZipInfo, limits: ArchiveLimits) -> None:
    """Declared size within the per-entry limit, and a plausible compression ratio."""
    if info.file_size > limits.max_entry_size:
        raise _fail("too_large", info.filename,
                    f"khai báo {info.file_size} byte, vượt giới hạn {limits.max_entry_size} byte.")
    if info.file_size < limits.ratio_min_size:
        return
    ratio = info.file_size / max(info.compress_size, 1)
    if ratio > limits.max_ratio:
        raise _fail("compression_ratio", info.filename,
                    f"có tỉ lệ nén {ratio:.0f}:1, vượt mức {limits.max_ratio:.0f}:1 "
                    "(nghi là bom nén).")


def _collision_key(path: str) -> str:
    return unicodedata.normalize("NFC", path).casefold()


class _CollisionChecker:
    """Detects names equal after case folding and NFC, and a file that is also a folder."""

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.dirs: dict[str, str] = {}

    def add(self, path: str, is_dir: bool) -> None:
        key = _collision_key(path)
        if key in self.files or (not is_dir and key in self.dirs):
            other = self.files.get(key) or self.dirs[key]
            raise _fail("name_collision", path,
                        f"trùng tên với «{_printable(other)}» (khác nhau chỉ ở chữ hoa/thường).")
        parts = key.split("/")
        for depth in range(1, len(parts) + (1 if is_dir else 0)):
            prefix = "/".join(parts[:depth])
            if prefix in self.files:
                raise _fail("name_collision", path,
                            f"nằm trong «{self.files[prefix]}», vốn là một tệp.")
            self.dirs.setdefault(prefix, "/".join(path.split("/")[:depth]))
        if not is_dir:
            self.files[key] = path


def nested_archive_kind(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    """The kind of archive an entry is, when it would need unpacking (see
    :func:`media.nesting.archive_kind`); None for folders and ordinary files."""
    if info.is_dir():
        return None
    with zf.open(info) as member:
        return archive_kind(info.filename, member.read(HEAD_BYTES))


def inspect_zip(source, limits: ArchiveLimits = DEFAULT_LIMITS) -> ZipInspection:
    """Check EVERY entry (names, types, declared sizes, collisions, nesting) before extraction."""
    with open_zip(source) as zf:
        infos = zf.infolist()
        if len(infos) > limits.max_entries:
            raise _fail("too_many_entries", None,
                        f"có {len(infos)} mục, vượt giới hạn {limits.max_entries} mục.")
        entries = tuple(_inspect_entry(info, limits) for info in infos)
        _check_collisions(entries)
        total = sum(e.size for e in entries)
        _check_totals(total, sum(e.compressed_size for e in entries), limits)
        nested = _find_nested(zf, infos, limits)
    return ZipInspection(entries=entries, total_size=total, nested=nested)


def check_archive(source, fmt: str) -> ZipInspection:
    """The one gate of every archive reader (SCORM, docx, xlsx, QTI): :func:`inspect_zip` with
    the limits of ``fmt`` in :data:`ARCHIVE_LIMITS` (an unknown format is a KeyError)."""
    return inspect_zip(source, ARCHIVE_LIMITS[fmt])


def _check_totals(total: int, compressed: int, limits: ArchiveLimits) -> None:
    """Declared total size, and the ratio of the whole archive (a bomb of many entries that
    are each too small for the per-entry ratio check)."""
    if total > limits.max_total_size:
        raise _fail("too_large", None,
                    f"tổng dung lượng khi giải nén là {total} byte, "
                    f"vượt giới hạn {limits.max_total_size} byte.")
    if total < limits.total_ratio_min_size:
        return
    ratio = total / max(compressed, 1)
    if ratio > limits.max_total_ratio:
        raise _fail("compression_ratio", None,
                    f"{compressed} byte nén giải ra {total} byte (tỉ lệ {ratio:.0f}:1, vượt "
                    f"mức {limits.max_total_ratio:.0f}:1 — nghi là bom nén).")


def _inspect_entry(info: zipfile.ZipInfo, limits: ArchiveLimits) -> ZipEntry:
    # orig_filename keeps what zipfile cuts at a NUL byte ("a.html\0.mp4" -> "a.html").
    path = check_entry_name(info.orig_filename, limits)
    check_entry_type(info)
    check_entry_size(info, limits)
    return ZipEntry(path, info.file_size, info.compress_size, info.is_dir())


def _check_collisions(entries: tuple[ZipEntry, ...]) -> None:
    checker = _CollisionChecker()
    for entry in entries:
        checker.add(entry.name, entry.is_dir)


def _find_nested(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo],
                 limits: ArchiveLimits) -> tuple[str, ...]:
    nested = []
    for info in infos:
        kind = _read_kind(zf, info)
        if kind is None:
            continue
        if not limits.allow_nested:
            raise _fail("nested_archive", info.filename,
                        f"là một tệp nén lồng bên trong ({kind}), phải giải nén thêm một lần "
                        "nữa — không được phép. Hãy giải nén nó rồi đưa các tệp vào gói.")
        nested.append(info.filename)
    return tuple(nested)


def _read_kind(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str | None:
    try:
        return nested_archive_kind(zf, info)
    except _READ_ERRORS as exc:
        raise _fail("corrupt_entry", info.filename, "bị hỏng, không đọc được.") from exc


def extract_zip(source, dest_dir: str | os.PathLike,
                limits: ArchiveLimits = DEFAULT_LIMITS) -> ZipInspection:
    """Inspect, then extract every entry into ``dest_dir`` atomically: all or nothing.

    ``dest_dir`` must not exist yet. Entries are streamed through a byte counter that aborts
    when the actual bytes differ from the declared size or pass the total limit; the files go
    to a temporary sibling folder renamed to ``dest_dir`` only after everything succeeded.
    """
    dest = Path(dest_dir)
    if dest.exists():
        raise FileExistsError(f"{dest} already exists")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open_zip(source) as zf:
        inspection = inspect_zip(zf, limits)
        tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent))
        try:
            _extract_all(zf, tmp, limits)
            tmp.rename(dest)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return inspection


def _extract_all(zf: zipfile.ZipFile, root: Path, limits: ArchiveLimits) -> None:
    budget = _Budget(limits.max_total_size)
    for info in zf.infolist():
        target = _target_path(root, info.filename)
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        _extract_entry(zf, info, target, budget)


def _target_path(root: Path, name: str) -> Path:
    """Second line of defence: the resolved target must stay inside ``root``."""
    target = (root / check_entry_name(name)).resolve()
    if not target.is_relative_to(root.resolve()):
        raise _fail("unsafe_path", name, "trỏ ra ngoài thư mục gói.")
    return target


class _Budget:
    """Running count of bytes written across the whole archive."""

    def __init__(self, limit: int):
        self.limit = limit
        self.used = 0

    def spend(self, name: str, n: int) -> None:
        self.used += n
        if self.used > self.limit:
            raise _fail("too_large", name,
                        f"làm tổng dung lượng giải nén vượt giới hạn {self.limit} byte.")


def _extract_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path,
                   budget: _Budget) -> None:
    written = 0
    try:
        with zf.open(info) as src, open(target, "xb") as out:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > info.file_size:
                    raise _size_lie(info, f"hơn {info.file_size}")
                budget.spend(info.filename, len(chunk))
                out.write(chunk)
    except _READ_ERRORS as exc:
        raise _fail("corrupt_entry", info.filename,
                    "bị hỏng hoặc khai báo sai kích thước (kiểm tra CRC thất bại).") from exc
    if written != info.file_size:
        raise _size_lie(info, str(written))


def _size_lie(info: zipfile.ZipInfo, actual: str) -> PackageError:
    return _fail("size_mismatch", info.filename,
                 f"khai báo {info.file_size} byte nhưng dữ liệu thực là {actual} byte.")
