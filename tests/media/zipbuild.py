"""Build hostile and benign zip archives in tests (no fixtures on disk needed)."""

import io
import stat
import struct
import zipfile


def build_zip(entries, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """``entries`` maps a name (or a ready ZipInfo) to bytes; returns the archive."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries.items() if isinstance(entries, dict) else entries:
            zf.writestr(name, data)
    return buf.getvalue()


def symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def patch_declared_size(data: bytes, new_size: int) -> bytes:
    """Rewrite the uncompressed size of the first entry in both headers: a lying archive."""
    out = bytearray(data)
    local = out.index(b"PK\x03\x04")
    struct.pack_into("<I", out, local + 22, new_size)
    central = out.index(b"PK\x01\x02")
    struct.pack_into("<I", out, central + 24, new_size)
    return bytes(out)


def patch_name(data: bytes, old: bytes, new: bytes) -> bytes:
    """Replace a name byte-for-byte (same length) in every header, e.g. to insert a NUL."""
    assert len(old) == len(new)
    return data.replace(old, new)
