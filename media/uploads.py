"""Receiving a large file in chunks: append each chunk exactly at the current offset.

The partial file's length *is* the offset. :func:`append_chunk` takes an exclusive,
non-blocking ``flock`` on it, refuses a chunk that does not start at the current length (the
client asks for the offset and resumes from there), copies the body in small blocks with a
byte counter (never more than the chunk announced), fsyncs, and returns the new length. Bytes
of a chunk cut short by a dropped connection are kept: they are the right bytes at the right
place, and the client resumes after them.

No web framework here: callers pass a readable stream and the values of ``Content-Range``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

BLOCK = 256 * 1024
_RANGE_RE = re.compile(r"bytes (\d{1,15})-(\d{1,15})/(\d{1,15})")


class ChunkError(Exception):
    """A chunk was refused; ``code`` says why, ``offset`` is the length now stored."""

    def __init__(self, code: str, offset: int):
        super().__init__(f"{code} (stored offset {offset})")
        self.code = code
        self.offset = offset


@dataclass(frozen=True)
class ContentRange:
    """``Content-Range: bytes first-last/total`` (``last`` inclusive)."""

    first: int
    last: int
    total: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1


def parse_content_range(value: str | None) -> ContentRange | None:
    """The range of a chunk, or None when the header is missing or malformed."""
    match = _RANGE_RE.fullmatch((value or "").strip())
    if not match:
        return None
    first, last, total = (int(group) for group in match.groups())
    if first > last or last >= total:
        return None
    return ContentRange(first, last, total)


def stored_length(path: str | os.PathLike) -> int:
    """Bytes received so far (0 when nothing was written yet)."""
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def append_chunk(path: str | os.PathLike, first: int, length: int, body: BinaryIO) -> int:
    """Append up to ``length`` bytes of ``body`` at offset ``first``; return the new length.

    ChunkError ``offset_mismatch`` when ``first`` is not the stored length, ``busy`` when
    another request is writing this file, ``too_long`` (nothing kept) when the body holds
    more than ``length`` bytes. An exception from ``body.read`` (client gone) propagates
    after the bytes already received are made durable.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "ab") as out:
        try:
            fcntl.flock(out.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ChunkError("busy", stored_length(path)) from None
        offset = os.fstat(out.fileno()).st_size
        if offset != first:
            raise ChunkError("offset_mismatch", offset)
        try:
            _copy(body, out, length)
            if body.read(1):
                out.flush()
                out.truncate(offset)
                raise ChunkError("too_long", offset)
        finally:
            out.flush()
            os.fsync(out.fileno())
        return os.fstat(out.fileno()).st_size


def _copy(body: BinaryIO, out, length: int) -> None:
    left = length
    while left > 0:
        block = body.read(min(BLOCK, left))
        if not block:
            return
        out.write(block)
        left -= len(block)


def remove_partial(path: str | os.PathLike) -> None:
    """Delete a partial or assembled file; a missing one is not an error."""
    with contextlib.suppress(FileNotFoundError):
        Path(path).unlink()
