"""Security cases 21-22: hostile zips are refused before anything is written."""

import bz2
import gzip
import io
import lzma
import os
import tarfile
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from media import (
    ARCHIVE_LIMITS,
    DEFAULT_LIMITS,
    ArchiveLimits,
    PackageError,
    check_archive,
    extract_zip,
    inspect_zip,
)
from media.archive import check_entry_name
from tests.media.zipbuild import build_zip, patch_declared_size, patch_name, symlink_info

SMALL = ArchiveLimits(max_entries=20, max_total_size=64 * 1024, max_ratio=50,
                      ratio_min_size=1024)


def refused(data: bytes, tmp_path, limits=DEFAULT_LIMITS) -> PackageError:
    """Extraction fails, and neither the target nor a temporary folder is left behind."""
    with pytest.raises(PackageError) as caught:
        extract_zip(io.BytesIO(data), tmp_path / "out", limits)
    assert list(tmp_path.iterdir()) == []
    return caught.value


def test_benign_package_extracts_completely(tmp_path):
    data = build_zip({"index.html": b"<p>xin chao</p>", "css/": b"", "css/a.css": b"p{}",
                      "Bài 1/ảnh.png": b"\x89PNG"})
    result = extract_zip(io.BytesIO(data), tmp_path / "out")
    assert (tmp_path / "out" / "index.html").read_bytes() == b"<p>xin chao</p>"
    assert (tmp_path / "out" / "Bài 1" / "ảnh.png").read_bytes() == b"\x89PNG"
    assert result.files == {"index.html", "css/a.css", "Bài 1/ảnh.png"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize(("name", "fragment"), [
    ("../evil.html", "«..»"),
    ("a/../../evil.html", "«..»"),
    ("/etc/cron.d/evil", "tuyệt đối"),
    ("C:/Windows/evil.dll", "ổ đĩa"),
    ("..\\..\\evil.html", "gạch chéo ngược"),
    ("a\\b.html", "gạch chéo ngược"),
    ("a\nb.html", "điều khiển"),
    ("photo\u202egpj.exe", "điều khiển"),
    ("a//b.html", "rỗng"),
])
def test_zip_slip_names_rejected_before_any_write(tmp_path, name, fragment):
    data = build_zip([("ok.html", b"x"), (name, b"evil")])
    error = refused(data, tmp_path)
    assert error.code == "unsafe_path"
    assert fragment in error.message
    assert error.entry == name


def test_nul_byte_in_name_rejected_even_though_zipfile_truncates_it(tmp_path):
    data = patch_name(build_zip({"page.html_mp4": b"<html>"}), b"page.html_mp4", b"page.html\0mp4")
    error = refused(data, tmp_path)
    assert error.code == "unsafe_path" and "\\x00" in error.message


def test_symlink_entry_rejected(tmp_path):
    data = build_zip([("index.html", b"x"), (symlink_info("passwd"), b"/etc/passwd")])
    error = refused(data, tmp_path)
    assert error.code == "symlink" and "passwd" in error.message


@pytest.mark.parametrize(("first", "second"), [
    ("Index.html", "index.html"),
    ("Bài/a.html", "BÀI/a.html"),
    ("caf\u00e9.html", "cafe\u0301.html"),  # composed vs decomposed é
    ("a", "a/b.html"),  # a file that is also a folder
])
def test_colliding_names_rejected(tmp_path, first, second):
    error = refused(build_zip([(first, b"1"), (second, b"2")]), tmp_path)
    assert error.code == "name_collision"


def test_high_ratio_bomb_refused_from_declared_sizes():
    data = build_zip({"zeros.bin": bytes(5 * 1024 * 1024)})
    with pytest.raises(PackageError) as caught:
        inspect_zip(io.BytesIO(data))
    assert caught.value.code == "compression_ratio"
    assert "zeros.bin" in caught.value.message


def test_too_many_entries_refused(tmp_path):
    data = build_zip({f"f{i}.txt": b"x" for i in range(21)})
    assert refused(data, tmp_path, SMALL).code == "too_many_entries"


def test_total_declared_size_refused(tmp_path):
    chunk = bytes(range(256)) * 160  # 40 KiB, barely compressible
    data = build_zip({"a.bin": chunk, "b.bin": chunk}, zipfile.ZIP_STORED)
    error = refused(data, tmp_path, SMALL)
    assert error.code == "too_large" and "65536" in error.message


def test_lying_declared_size_aborts_streaming(tmp_path):
    """The header claims 1000 bytes; 5 MiB of data are behind it. Nothing is kept."""
    data = patch_declared_size(build_zip({"video.mp4": bytes(5 * 1024 * 1024)}), 1000)
    error = refused(data, tmp_path)
    assert error.code == "corrupt_entry" and "video.mp4" in error.message


def test_understated_real_data_detected_by_byte_counter(tmp_path):
    """The header claims more than the stream holds: the counter sees the difference."""
    data = patch_declared_size(build_zip({"a.txt": b"hello"}, zipfile.ZIP_STORED), 9)
    error = refused(data, tmp_path)
    assert error.code == "size_mismatch" and "khai báo 9 byte" in error.message


def test_nested_archive_refused_unless_allowed(tmp_path):
    inner = build_zip({"x.html": b"x"})
    data = build_zip({"index.html": b"x", "res/data.bin": inner})
    error = refused(data, tmp_path)
    assert error.code == "nested_archive" and "res/data.bin" in error.message
    flagged = inspect_zip(io.BytesIO(data), ArchiveLimits(allow_nested=True))
    assert flagged.nested == ("res/data.bin",)


def test_not_a_zip_refused(tmp_path):
    assert refused(b"<html>not a zip</html>", tmp_path).code == "bad_zip"


@given(st.lists(st.sampled_from(["..", ".", "", "a", "B", "é", "\\", ":", "C:", "\x00", "\n",
                                 "\u202e", " ", "~", "%2e%2e"]), min_size=1, max_size=6))
def test_every_accepted_name_stays_inside_the_target(parts):
    name = "/".join(parts)
    try:
        path = check_entry_name(name)
    except PackageError:
        return
    root = Path("/srv/pkg")
    assert (root / path).resolve().is_relative_to(root)
    assert "\\" not in path and not any(ord(c) < 32 for c in path)


def test_many_small_entries_refused_by_the_total_ratio(tmp_path):
    """Each entry is under the per-entry floor (1 MiB); together 6 MB come from ~6 KB."""
    bomb = build_zip({f"pad/{n}.bin": bytes(1_000_000) for n in range(6)})
    error = refused(bomb, tmp_path)
    assert error.code == "compression_ratio" and error.entry is None
    assert "nghi là bom nén" in error.message
    # The same sizes of bytes that do not compress: an ordinary package.
    normal = build_zip({f"pad/{n}.bin": os.urandom(1_000_000) for n in range(6)})
    assert extract_zip(io.BytesIO(normal), tmp_path / "ok").total_size == 6_000_000


def test_total_ratio_is_not_checked_below_its_floor():
    """A small package of very repetitive text (a few MB at most) is not a bomb."""
    small = build_zip({f"page{n}.html": b" " * 500_000 for n in range(8)})  # 4 MB < 4 MiB
    assert inspect_zip(io.BytesIO(small)).total_size == 4_000_000


def test_bzip2_entry_refused_before_a_byte_is_expanded():
    """zipfile expands bzip2/LZMA a whole compressed chunk at a time, whatever the header
    says: this 350-byte archive would take 600 MB of memory to read 8 bytes of it."""
    lying = patch_declared_size(build_zip({"a.bin": bytes(300 * 1024 * 1024)},
                                          zipfile.ZIP_BZIP2), 1000)
    assert len(lying) < 1000
    with pytest.raises(PackageError) as caught:
        inspect_zip(io.BytesIO(lying))
    assert (caught.value.code, caught.value.entry) == ("unsupported", "a.bin")
    assert "deflate" in caught.value.message
    assert inspect_zip(io.BytesIO(build_zip({"a.bin": b"abc"}))).files == {"a.bin"}


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _tar(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.mark.parametrize(("name", "data"), [
    ("mobile/data.gz", _gzip(b'{"slides": []}')),  # Articulate Storyline's player data
    ("story_content/frame.xml.gz", _gzip(b"<frame/>" * 100)),
    ("data/model.json.bz2", bz2.compress(b'{"a": 1}')),
    ("data/model.json.xz", lzma.compress(b'{"a": 1}')),
    ("handouts/bai-tap.docx", build_zip({"word/document.xml": b"<w:document/>"})),
    ("applet/LMSTest.jar", build_zip({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0"})),
    ("hinh/parabol.ggb", build_zip({"geogebra.xml": b"<geogebra/>"})),
], ids=["storyline-data-gz", "xml-gz", "bz2", "xz", "docx", "jar", "geogebra"])
def test_files_the_player_reads_whole_are_not_nested_archives(tmp_path, name, data):
    package = build_zip({"index.html": b"x", name: data})
    assert extract_zip(io.BytesIO(package), tmp_path / "out").nested == ()
    assert (tmp_path / "out" / name).read_bytes() == data


@pytest.mark.parametrize(("name", "data", "kind"), [
    ("bundle.tar.gz", _gzip(_tar({"a.html": b"x"})), "tar.gz"),
    ("bundle.tgz", _gzip(_tar({"a.html": b"x"})), "tgz"),
    ("bundle.zip", build_zip({"a.html": b"x"}), "zip"),
    ("data.gz", _gzip(_tar({"a.html": b"x"})), "tar (gzip)"),  # an archive behind a data name
    ("data.gz", _gzip(build_zip({"a.html": b"x"})), "zip (gzip)"),
    ("assets.bin", _tar({"a.html": b"x"}), "tar"),
    ("assets.bin", b"7z\xbc\xaf\x27\x1c" + bytes(32), "7z"),
    ("assets.bin", b"Rar!\x1a\x07\x00" + bytes(32), "rar"),
], ids=["tar-gz", "tgz", "zip", "gz-wrapping-tar", "gz-wrapping-zip", "tar-by-content",
        "7z", "rar"])
def test_archives_that_would_need_unpacking_are_refused(tmp_path, name, data, kind):
    error = refused(build_zip({"index.html": b"x", name: data}), tmp_path)
    assert (error.code, error.entry) == ("nested_archive", name)
    assert f"({kind})" in error.message


def test_a_gzip_bomb_inside_is_not_expanded_to_look_at_it():
    """Only the first 512 bytes of a stream are expanded to see what it wraps."""
    bomb = _gzip(bytes(64 * 1024 * 1024))  # 64 MiB of zeros in ~64 KB
    package = build_zip({"index.html": b"x", "data.gz": bomb}, zipfile.ZIP_STORED)
    tracemalloc.start()
    try:
        files = inspect_zip(io.BytesIO(package)).files
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert files == {"index.html", "data.gz"}
    assert peak < 4 * 1024 * 1024


def test_each_format_has_its_row_and_an_unknown_format_fails_loudly():
    too_many = build_zip({f"f{n}.txt": b"" for n in range(ARCHIVE_LIMITS["xlsx"].max_entries
                                                          + 1)})
    assert check_archive(io.BytesIO(too_many), "scorm").total_size == 0
    with pytest.raises(PackageError) as caught:
        check_archive(io.BytesIO(too_many), "xlsx")
    assert caught.value.code == "too_many_entries"
    with pytest.raises(KeyError):
        check_archive(io.BytesIO(too_many), "rar")
