"""Which entries of an archive are archives themselves — ones that would need a second
extraction — judged from the entry's name and its first bytes (security.md 22, 42).

Refused as nested archives: a name that says "unpack me" (``.zip``, ``.7z``, ``.tar.gz`` …), a
container by its magic bytes (zip, 7z, rar, cab, tar), or a single compressed stream (gzip,
bzip2, xz) whose first expanded bytes are one of those. Not archives: compressed data files
that the content reads whole (Storyline's ``mobile/data.gz``) and zip-based documents named as
such (``.docx``, ``.jar``, ``.ggb`` …), which are content nobody on the server opens.
"""

from __future__ import annotations

import bz2
import lzma
import zlib

#: How much of an entry is read to judge it (a tar header ends at 512; streams need more).
HEAD_BYTES = 4096
_TAR_MAGIC_AT = 257
#: A stream is expanded no further than this to see what it wraps: a gzip bomb stays packed.
_EXPANDED = 512

#: Containers of several files: an entry holding one would need a second extraction.
_CONTAINER_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"MSCF", "cab"),
)
#: Single compressed streams (Storyline's ``mobile/data.gz``): data files that the player reads
#: whole. Only the stream's first bytes are expanded, to see whether it wraps an archive.
_STREAM_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"))
#: Names that say "unpack me".
_ARCHIVE_SUFFIXES = (".zip", ".7z", ".rar", ".tar", ".tgz", ".tbz", ".tbz2", ".txz", ".cab",
                     ".tar.gz", ".tar.bz2", ".tar.xz")
#: Zip-based documents used as they are (offered for download, read by a plug-in or the
#: browser), never unpacked: a Word handout or a GeoGebra file in a SCORM package is content.
_ZIP_DOCUMENTS = (".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".xltx", ".pptx", ".pptm",
                  ".ppsx", ".potx", ".odt", ".ods", ".odp", ".odg", ".epub", ".jar", ".ggb",
                  ".sb3", ".kmz", ".xps", ".oxps")


def archive_kind(name: str, head: bytes) -> str | None:
    """The kind of archive a file named ``name`` starting with ``head`` is, when it would need
    unpacking ("zip", "tar.gz", "tar (gzip)" …); None for anything else."""
    name = name.lower()
    suffix = next((s for s in _ARCHIVE_SUFFIXES if name.endswith(s)), None)
    if suffix:
        return suffix[1:]
    kind = _container_kind(head)
    if kind == "zip" and name.endswith(_ZIP_DOCUMENTS):
        return None
    if kind:
        return kind
    stream = next((k for magic, k in _STREAM_MAGIC if head.startswith(magic)), None)
    inner = _container_kind(_expanded_head(stream, head)) if stream else None
    return f"{inner} ({stream})" if inner else None


def _container_kind(head: bytes) -> str | None:
    for magic, kind in _CONTAINER_MAGIC:
        if head.startswith(magic):
            return kind
    if head[_TAR_MAGIC_AT:_TAR_MAGIC_AT + 5] == b"ustar":
        return "tar"
    return None


def _expanded_head(stream: str, head: bytes) -> bytes:
    """At most the first bytes the compressed stream expands to (bounded by max_length)."""
    try:
        if stream == "gzip":
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, _EXPANDED)
        if stream == "bzip2":
            return bz2.BZ2Decompressor().decompress(head, _EXPANDED)
        return lzma.LZMADecompressor().decompress(head, _EXPANDED)
    except (zlib.error, OSError, EOFError, lzma.LZMAError):
        return b""  # not really a stream of that kind: an ordinary file
