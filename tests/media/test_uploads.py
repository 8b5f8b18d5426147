"""media.uploads: chunks land exactly at the stored length, never past their range, and a
concurrent writer is refused rather than interleaved."""

import fcntl
import io

import pytest

from media import (
    ChunkError,
    ContentRange,
    append_chunk,
    parse_content_range,
    remove_partial,
    stored_length,
)


@pytest.mark.parametrize(("header", "expected"), [
    ("bytes 0-9/10", ContentRange(0, 9, 10)),
    ("bytes 5-5/6", ContentRange(5, 5, 6)),
    (" bytes 100-199/1000 ", ContentRange(100, 199, 1000)),
    ("bytes 9-5/10", None),       # backwards
    ("bytes 0-10/10", None),      # past the total
    ("bytes 0-9/*", None),        # unknown total: the session declared it
    ("bytes */10", None),
    ("items 0-9/10", None),
    ("bytes -1-9/10", None),
    ("bytes 0-9/10, 10-19/20", None),
    ("", None),
    (None, None),
])
def test_content_range_parsing(header, expected):
    assert parse_content_range(header) == expected


def test_chunks_append_only_at_the_stored_length(tmp_path):
    part = tmp_path / "u.part"
    assert stored_length(part) == 0
    assert append_chunk(part, 0, 4, io.BytesIO(b"abcd")) == 4
    with pytest.raises(ChunkError) as refused:
        append_chunk(part, 2, 2, io.BytesIO(b"cd"))
    assert (refused.value.code, refused.value.offset) == ("offset_mismatch", 4)
    assert append_chunk(part, 4, 3, io.BytesIO(b"efg")) == 7
    assert part.read_bytes() == b"abcdefg"


def test_a_body_longer_than_its_range_leaves_nothing(tmp_path):
    part = tmp_path / "u.part"
    append_chunk(part, 0, 2, io.BytesIO(b"ab"))
    with pytest.raises(ChunkError) as refused:
        append_chunk(part, 2, 3, io.BytesIO(b"cdeXYZ"))
    assert (refused.value.code, refused.value.offset) == ("too_long", 2)
    assert part.read_bytes() == b"ab"


class Dropping(io.RawIOBase):
    """A request body whose client disappears after ``keep`` bytes."""

    def __init__(self, data: bytes, keep: int):
        self.data, self.keep, self.pos = data, keep, 0

    def readable(self):
        return True

    def read(self, size=-1):
        if self.pos >= self.keep:
            raise ConnectionResetError("client went away")
        chunk = self.data[self.pos:min(self.keep, self.pos + size)]
        self.pos += len(chunk)
        return chunk


def test_bytes_of_a_dropped_chunk_are_kept_and_the_error_propagates(tmp_path):
    part = tmp_path / "u.part"
    with pytest.raises(ConnectionResetError):
        append_chunk(part, 0, 1000, Dropping(bytes(range(250)) * 4, 300))
    assert stored_length(part) == 300
    assert append_chunk(part, 300, 700, io.BytesIO((bytes(range(250)) * 4)[300:])) == 1000


def test_a_second_writer_is_refused_while_the_first_holds_the_file(tmp_path):
    part = tmp_path / "u.part"
    append_chunk(part, 0, 3, io.BytesIO(b"abc"))
    with open(part, "ab") as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        with pytest.raises(ChunkError) as refused:
            append_chunk(part, 3, 3, io.BytesIO(b"def"))
    assert (refused.value.code, refused.value.offset) == ("busy", 3)
    assert append_chunk(part, 3, 3, io.BytesIO(b"def")) == 6


def test_remove_partial_is_idempotent(tmp_path):
    part = tmp_path / "u.part"
    part.write_bytes(b"x")
    remove_partial(part)
    remove_partial(part)
    assert not part.exists()
