"""Video probing and transcoding with the real ffmpeg (security cases 24 and 26)."""

import http.server
import struct
import subprocess
import threading
from pathlib import Path

import imageio_ffmpeg
import pytest

from media import (
    MediaInfo,
    Rendition,
    VideoError,
    VideoLimits,
    find_ffmpeg,
    inspect_video,
    parse_ffmpeg_banner,
    plan_renditions,
    probe,
    run_ffmpeg,
    transcode,
    transcode_args,
)
from media.video import ffmpeg_probe_args

pytestmark = pytest.mark.usefixtures("ffmpeg")


def generate(path: Path, size: str = "640x360", seconds: int = 3) -> Path:
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25",
                    "-f", "lavfi", "-i", "sine=frequency=440", "-t", str(seconds),
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-c:a", "aac", str(path)], check=True, timeout=60)
    return path


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return generate(tmp_path_factory.mktemp("video") / "clip.mp4")


@pytest.fixture(scope="module")
def phone_clip(tmp_path_factory) -> Path:
    """A 720p recording held sideways: stored 1280x720 with a 90° display rotation."""
    folder = tmp_path_factory.mktemp("phone")
    stored = generate(folder / "stored.mp4", size="1280x720", seconds=2)
    rotated = folder / "phone.mp4"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-i", str(stored),
                    "-c", "copy", "-metadata:s:v:0", "rotate=90", str(rotated)],
                   check=True, timeout=60)
    return rotated


def top_level_boxes(path: Path) -> list[str]:
    """The order of the top-level MP4 boxes (ftyp, moov, mdat, …)."""
    boxes, data = [], path.read_bytes()
    offset = 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        offset += size if size else len(data)
    return boxes


def test_transcode_360p_source_never_upscales_and_is_web_ready(clip, tmp_path):
    seen = []
    result = transcode(clip, tmp_path / "out", seen.append)
    assert set(result.renditions) == {"360p"}
    out = result.renditions["360p"]
    info = probe(out)
    assert (info.video_codec, info.audio_codec, info.width, info.height) == \
        ("h264", "aac", 640, 360)
    assert info.duration == pytest.approx(3, abs=0.2)
    boxes = top_level_boxes(out)
    assert boxes.index("moov") < boxes.index("mdat")  # faststart
    assert seen[-1] == 100 and seen == sorted(seen) and len(seen) >= 2
    assert result.poster.read_bytes()[:2] == b"\xff\xd8"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["360p.mp4", "poster.jpg"]


def test_rerun_with_outputs_present_finishes_without_rewriting(clip, tmp_path):
    first = transcode(clip, tmp_path)
    stamp = first.renditions["360p"].stat().st_mtime_ns
    second = transcode(clip, tmp_path)
    assert second.renditions["360p"].stat().st_mtime_ns == stamp


def test_portrait_phone_video_gets_upright_360p_and_720p(phone_clip, tmp_path):
    result = transcode(phone_clip, tmp_path)
    sizes = {name: (probe(path).width, probe(path).height, probe(path).rotation)
             for name, path in result.renditions.items()}
    assert sizes == {"360p": (360, 640, 0), "720p": (720, 1280, 0)}


def test_time_limit_fails_the_job_cleanly(clip, tmp_path):
    with pytest.raises(VideoError) as caught:
        transcode(clip, tmp_path, limits=VideoLimits(time_allowance=0.02, time_factor=0))
    assert caught.value.code == "timeout"
    assert list(tmp_path.iterdir()) == []  # no rendition, no poster, no temporary file


@pytest.mark.parametrize(("cap", "fails"), [(256 * 1024**2, True), (2 * 1024**3, False)])
def test_memory_cap_is_enforced(cap, fails):
    encode = [find_ffmpeg(), "-hide_banner", "-f", "lavfi", "-i", "testsrc=size=1280x720",
              "-frames:v", "5", "-c:v", "libx264", "-preset", "veryfast", "-f", "null", "-"]
    if fails:
        with pytest.raises(VideoError) as caught:
            run_ffmpeg(encode, duration=0, timeout=60, memory_bytes=cap)
        assert caught.value.code == "transcode_failed" and caught.value.detail
    else:
        run_ffmpeg(encode, duration=0, timeout=60, memory_bytes=cap)


@pytest.mark.parametrize(("size", "expected"), [
    ((1280, 720), [Rendition("360p", 640, 360), Rendition("720p", 1280, 720)]),
    ((1080, 1920), [Rendition("360p", 360, 640), Rendition("720p", 720, 1280)]),  # phone
    ((1000, 562), [Rendition("360p", 640, 360)]),
    ((321, 241), [Rendition("240p", 320, 240)]),  # smaller than 360p: kept, made even
])
def test_renditions_never_upscale_and_have_even_sides(size, expected):
    info = MediaInfo("mov,mp4", 10.0, size[0], size[1], "h264", "aac")
    assert plan_renditions(info) == expected


def test_transcode_command_is_locked_down(clip, tmp_path):
    info = MediaInfo("mov,mp4,m4a,3gp,3g2,mj2", 3.0, 640, 360, "h264", "aac")
    args = transcode_args("ffmpeg", clip, info, [(Rendition("360p", 640, 360), tmp_path / "a")])
    joined = " ".join(args)
    assert args[args.index("-i") - 1] == "mov"  # the probed demuxer is forced
    assert args[args.index("-i") + 1] == f"file:{clip.resolve()}"
    assert args.index("-protocol_whitelist") < args.index("-i")
    for flag in ("-protocol_whitelist file", "-movflags +faststart", "-preset veryfast",
                 "-threads 2", "-progress pipe:1 -nostats", "-c:v libx264", "-c:a aac"):
        assert flag in joined


def test_html_disguised_as_mp4_refused(tmp_path):
    fake = tmp_path / "bai-giang.mp4"
    fake.write_bytes(b"<!doctype html><script>alert(1)</script>")
    with pytest.raises(VideoError) as caught:
        inspect_video(fake)
    assert caught.value.code == "not_video" and "HTML" in caught.value.message


@pytest.fixture
def http_server():
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_playlist_with_network_reference_reaches_nothing(tmp_path, http_server):
    base, hits = http_server
    playlist = tmp_path / "clip.mp4"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n{base}/seg.ts\n"
                        "#EXT-X-ENDLIST\n")
    concat = tmp_path / "list.mp4"
    concat.write_text(f"ffconcat version 1.0\nfile '{base}/x.mp4'\nfile '/etc/passwd'\n")
    for path in (playlist, concat):
        for no_ffprobe in (None, ""):  # past the magic-byte gate: the whitelist must hold
            with pytest.raises(VideoError) as caught:
                probe(path, ffprobe=no_ffprobe)
            assert caught.value.code == "unreadable"
        with pytest.raises(VideoError) as caught:
            inspect_video(path)
        assert caught.value.code == "not_video"  # and the gate itself refuses text
    assert hits == []


def test_banner_parsing_matches_ffprobe(clip):
    """Without ffprobe (imageio-ffmpeg), ``ffmpeg -i`` gives the same facts."""
    stderr = subprocess.run(ffmpeg_probe_args(find_ffmpeg(), clip), capture_output=True,
                            text=True, check=False).stderr
    banner = parse_ffmpeg_banner(stderr)
    assert banner.format_name == "mov,mp4,m4a,3gp,3g2,mj2"
    assert (banner.video_codec, banner.audio_codec, banner.width, banner.height) == \
        ("h264", "aac", 640, 360)
    assert banner.duration == pytest.approx(probe(clip).duration, abs=0.05)
    bundled = imageio_ffmpeg.get_ffmpeg_exe()  # what a machine without Debian's ffmpeg uses
    assert probe(clip, ffprobe="", ffmpeg=bundled) == banner  # "" = no ffprobe: fallback


@pytest.mark.parametrize("source", ["http://127.0.0.1:9/x.mp4", "concat:/etc/hosts|/etc/hosts",
                                    "/etc", "pipe:0"])
def test_only_existing_local_files_become_ffmpeg_inputs(source):
    with pytest.raises(VideoError) as caught:
        inspect_video(source)
    assert caught.value.code == "not_found"


@pytest.mark.parametrize(("suffix", "muxer", "demuxer"), [
    ("mkv", "matroska", "matroska"), ("ts", "mpegts", "mpegts"), ("flv", "flv", "flv"),
    ("avi", "avi", "avi"), ("mov", "mov", "mov"),
])
def test_allowed_containers_pass_the_gate(clip, tmp_path, suffix, muxer, demuxer):
    remuxed = tmp_path / f"clip.{suffix}"
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-i", str(clip),
                    "-c", "copy", "-f", muxer, str(remuxed)], check=True, timeout=60)
    assert inspect_video(remuxed).demuxer == demuxer
