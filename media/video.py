"""Video: content sniffing, probing and H.264/AAC MP4 renditions with ffmpeg, safely.

Which binaries: Debian's ``ffmpeg``/``ffprobe`` when on ``PATH``; otherwise the ffmpeg that the
``imageio-ffmpeg`` wheel ships (it has no ffprobe, so :func:`probe` then parses ``ffmpeg -i``).

Safety (security case 26): inputs are local paths passed as ``file:`` URLs with
``-protocol_whitelist file``, the container is sniffed from magic bytes and checked against an
allow-list after probing, the transcode forces the probed demuxer, runs niced with bounded
threads and a wall-time limit, and writes temporary files that are renamed only on success.
Argument builders are pure functions; :mod:`media.transcode` runs them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from media.archive import PackageError

#: demuxer names ffmpeg reports for the containers we accept
ALLOWED_FORMATS = frozenset({"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm",
                             "avi", "mpegts", "flv"})
RENDITIONS = (360, 720)
NICE = 10
#: magic-byte family -> the demuxer probing must agree on
_SNIFFED_DEMUXER = {"mp4": "mov", "mov": "mov", "matroska": "matroska", "avi": "avi",
                    "flv": "flv", "mpegts": "mpegts"}


class VideoError(PackageError):
    """A video was refused or could not be processed; ``message`` is Vietnamese and safe to
    show; ``detail`` (ffmpeg's last error line, may name server paths) is for logs only."""

    detail: str | None = None


@dataclass(frozen=True)
class VideoLimits:
    """Bounds for one video job."""

    max_duration: float = 4 * 3600
    max_dimension: int = 8192
    threads: int = 2
    #: wall-time allowed per second of video, plus a fixed allowance
    time_factor: float = 3.0
    time_allowance: float = 120.0
    probe_timeout: float = 30.0
    #: address-space cap for ffmpeg (720p x264 with 2 threads needs < 1 GiB); None: no cap
    memory_bytes: int | None = 3 * 1024**3
    #: niceness of ffmpeg (0..19): web requests on the same machine keep priority
    nice: int = NICE


DEFAULT_VIDEO_LIMITS = VideoLimits()


@dataclass(frozen=True)
class MediaInfo:
    """What probing found; ``width``/``height`` are as displayed (rotation applied)."""

    format_name: str
    duration: float
    width: int
    height: int
    video_codec: str | None
    audio_codec: str | None
    rotation: int = 0

    @property
    def demuxer(self) -> str:
        """The demuxer to force when transcoding ("mov,mp4,…" -> "mov")."""
        return self.format_name.split(",")[0]


@dataclass(frozen=True)
class Rendition:
    """One output: a name such as "360p" and its even width and height."""

    name: str
    width: int
    height: int


# --- binaries ---------------------------------------------------------------------------

def find_ffmpeg() -> str:
    """The system ffmpeg if installed, else imageio-ffmpeg's bundled binary."""
    system = shutil.which("ffmpeg")
    if system:
        return system
    try:
        import imageio_ffmpeg
    except ImportError as exc:
        raise VideoError("no_ffmpeg", "Máy chủ chưa cài ffmpeg (apt-get install ffmpeg "
                         "hoặc pip install imageio-ffmpeg).") from exc
    return imageio_ffmpeg.get_ffmpeg_exe()


def find_ffprobe() -> str | None:
    """The system ffprobe, or None (imageio-ffmpeg ships none)."""
    return shutil.which("ffprobe")


def input_url(path: str | os.PathLike) -> str:
    """A local regular file as a ``file:`` URL; anything else is refused."""
    resolved = Path(path).resolve()
    if not resolved.is_file():
        raise VideoError("not_found", f"Không tìm thấy tệp video «{Path(path).name}».")
    return f"file:{resolved}"


# --- sniffing ---------------------------------------------------------------------------

def sniff_container(head: bytes) -> str | None:
    """The container from the first bytes of a file (magic numbers), or None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"
    if len(head) >= 8 and head[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip"):
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(b"FLV\x01"):
        return "flv"
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        return "mpegts"
    if len(head) > 388 and head[4] == head[196] == head[388] == 0x47:
        return "mpegts"  # M2TS/AVCHD (.mts from camcorders): 192-byte packets
    return None


def _looks_like_text(head: bytes) -> bool:
    sample = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if sample[:1] == b"<":
        return True
    return bool(sample) and all(b >= 0x20 or b in b"\t\r\n" for b in sample[:256])


def check_content(path: str | os.PathLike) -> str:
    """Refuse files whose bytes are not a supported video container, whatever their name."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    kind = sniff_container(head)
    if kind:
        return kind
    name = Path(path).name
    if _looks_like_text(head):
        raise VideoError("not_video", f"Tệp «{name}» là văn bản/HTML, không phải video "
                         "(chỉ đuôi tệp giống video).")
    raise VideoError("not_video", f"Tệp «{name}» không phải định dạng video được hỗ trợ "
                     "(MP4, MOV, MKV/WebM, AVI, MPEG-TS, FLV).")


def confined(args: list[str], memory_bytes: int | None = None, nice: int = NICE) -> list[str]:
    """Run below the web process's priority (autosaves stay fast during a transcode), with a
    bounded address space when ``prlimit`` exists (a hostile file cannot eat RAM), and killed
    with its parent when ``setpriv`` exists (a worker killed mid-transcode leaves no ffmpeg
    running; the redelivered job starts a fresh one)."""
    nice_bin = shutil.which("nice")
    prlimit = shutil.which("prlimit")
    setpriv = shutil.which("setpriv")
    if nice_bin and nice:
        args = [nice_bin, "-n", str(nice), *args]
    if prlimit and memory_bytes:
        args = [prlimit, f"--as={memory_bytes}", "--", *args]
    if setpriv:
        args = [setpriv, "--pdeathsig", "KILL", "--", *args]
    return args


# --- probing ----------------------------------------------------------------------------

def ffprobe_args(ffprobe: str, src: str | os.PathLike) -> list[str]:
    """ffprobe reading one local file only, JSON out."""
    return [ffprobe, "-v", "error", "-protocol_whitelist", "file", "-show_format",
            "-show_streams", "-of", "json", input_url(src)]


def ffmpeg_probe_args(ffmpeg: str, src: str | os.PathLike) -> list[str]:
    """``ffmpeg -i`` without an output: it prints the stream summary on stderr."""
    return [ffmpeg, "-hide_banner", "-nostdin", "-protocol_whitelist", "file",
            "-i", input_url(src)]


def _rotation_of(stream: dict) -> int:
    for side in stream.get("side_data_list", []):
        if "rotation" in side:
            return int(float(side["rotation"]))
    return int(float(stream.get("tags", {}).get("rotate", 0)))


def _displayed(width: int, height: int, rotation: int) -> tuple[int, int]:
    return (height, width) if abs(rotation) % 180 == 90 else (width, height)


def parse_ffprobe(data: dict) -> MediaInfo:
    """MediaInfo from ffprobe's JSON (first video and first audio stream)."""
    streams = data.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), {})
    audio = next((s for s in streams if s.get("codec_type") == "audio"), {})
    rotation = _rotation_of(video)
    width, height = _displayed(int(video.get("width", 0)), int(video.get("height", 0)),
                               rotation)
    fmt = data.get("format", {})
    return MediaInfo(fmt.get("format_name", ""), float(fmt.get("duration") or 0), width,
                     height, video.get("codec_name"), audio.get("codec_name"), rotation)


_INPUT_RE = re.compile(r"^Input #0, (?P<fmt>.+?), from ", re.M)
_DURATION_RE = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_VIDEO_RE = re.compile(r"Stream #0:\d+.*?: Video: (?P<codec>\w+).*?, (?P<w>\d{1,5})x(?P<h>\d{1,5})")
_AUDIO_RE = re.compile(r"Stream #0:\d+.*?: Audio: (?P<codec>\w+)")
_ROTATION_RE = re.compile(r"rotation of (-?[\d.]+) degrees|rotate\s*: (-?\d+)")


def parse_ffmpeg_banner(stderr: str) -> MediaInfo:
    """MediaInfo from the stream summary ``ffmpeg -i`` prints (no ffprobe available)."""
    fmt = _INPUT_RE.search(stderr)
    duration = _DURATION_RE.search(stderr)
    video = _VIDEO_RE.search(stderr)
    audio = _AUDIO_RE.search(stderr)
    rotated = _ROTATION_RE.search(stderr)
    rotation = int(float(next(g for g in rotated.groups() if g))) if rotated else 0
    seconds = (int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3])
               if duration else 0.0)
    width, height = _displayed(int(video["w"]), int(video["h"]), rotation) if video else (0, 0)
    return MediaInfo(fmt["fmt"] if fmt else "", seconds, width, height,
                     video["codec"] if video else None, audio["codec"] if audio else None,
                     rotation)


def probe(src: str | os.PathLike, limits: VideoLimits = DEFAULT_VIDEO_LIMITS,
          ffprobe: str | None = None, ffmpeg: str | None = None) -> MediaInfo:
    """Probe with ffprobe when available, else by parsing ``ffmpeg -i``; no format checks."""
    ffprobe = ffprobe if ffprobe is not None else find_ffprobe()
    if ffprobe:
        out = _run_probe(ffprobe_args(ffprobe, src), limits)
        if out.returncode != 0:
            raise _unreadable(src, out.stderr)
        try:
            return parse_ffprobe(json.loads(out.stdout or "{}"))
        except (ValueError, TypeError) as exc:
            raise _unreadable(src, out.stdout) from exc
    out = _run_probe(ffmpeg_probe_args(ffmpeg or find_ffmpeg(), src), limits)
    if "Input #0" not in out.stderr:  # ffmpeg -i always exits 1 (no output named)
        raise _unreadable(src, out.stderr)
    return parse_ffmpeg_banner(out.stderr)


def _run_probe(args: list[str], limits: VideoLimits) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(confined(args, limits.memory_bytes, limits.nice),  # noqa: S603
                              capture_output=True, text=True, errors="replace",
                              timeout=limits.probe_timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise VideoError("probe_timeout", "Đọc thông tin video quá lâu, đã dừng.") from exc


def _unreadable(src, output: str) -> VideoError:
    error = VideoError("unreadable", f"Không đọc được «{Path(src).name}» như một video.")
    error.detail = output.strip()[-300:]
    return error


def check_info(info: MediaInfo, name: str, limits: VideoLimits = DEFAULT_VIDEO_LIMITS) -> None:
    """The probed container is allow-listed, has a video stream, and fits the limits."""
    formats = set(info.format_name.split(",")) - {""}
    if not formats or not formats <= ALLOWED_FORMATS:
        raise VideoError("format_not_allowed", f"Tệp «{name}» có định dạng "
                         f"«{info.format_name or 'không rõ'}», không nằm trong danh sách cho phép.")
    if not info.video_codec or info.width <= 0 or info.height <= 0:
        raise VideoError("no_video_stream", f"Tệp «{name}» không có luồng hình ảnh.")
    if max(info.width, info.height) > limits.max_dimension:
        raise VideoError("too_large", f"Video «{name}» có kích thước {info.width}x{info.height}, "
                         f"vượt giới hạn {limits.max_dimension} điểm ảnh.")
    if not 0 < info.duration <= limits.max_duration:
        raise VideoError("bad_duration", f"Video «{name}» dài {info.duration:.0f} giây, "
                         f"ngoài giới hạn (0, {limits.max_duration:.0f}] giây.")


def inspect_video(src: str | os.PathLike, limits: VideoLimits = DEFAULT_VIDEO_LIMITS,
                  ffprobe: str | None = None, ffmpeg: str | None = None) -> MediaInfo:
    """Local file, magic bytes, probe, allow-list: the gate before any transcode."""
    input_url(src)
    sniffed = check_content(src)
    info = probe(src, limits, ffprobe, ffmpeg)
    check_info(info, Path(src).name, limits)
    if info.demuxer != _SNIFFED_DEMUXER[sniffed]:
        raise VideoError("format_mismatch", f"Tệp «{Path(src).name}» có phần đầu kiểu "
                         f"{sniffed} nhưng ffmpeg đọc ra «{info.format_name}».")
    return info


# --- renditions and commands ------------------------------------------------------------

def _even(value: float) -> int:
    """Round DOWN to an even number (H.264 4:2:0 needs even sides; down never upscales)."""
    return max(2, int(value // 2) * 2)


def rendition_size(width: int, height: int, target: int) -> tuple[int, int]:
    """Scale so the SHORT side becomes ``target`` (portrait phones too); both sides even."""
    if height <= width:
        return _even(width * target / height), _even(target)
    return _even(target), _even(height * target / width)


def plan_renditions(info: MediaInfo, targets: tuple[int, ...] = RENDITIONS) -> list[Rendition]:
    """Renditions no larger than the source (never upscaled); a small source keeps its size."""
    short = min(info.width, info.height)
    chosen = [t for t in targets if t <= short]
    if not chosen:
        return [Rendition(f"{_even(short)}p", _even(info.width), _even(info.height))]
    return [Rendition(f"{t}p", *rendition_size(info.width, info.height, t)) for t in chosen]


def _input_args(info: MediaInfo, src: str | os.PathLike, threads: int) -> list[str]:
    return ["-hide_banner", "-nostdin", "-y", "-threads", str(threads),
            "-protocol_whitelist", "file", "-f", info.demuxer, "-i", input_url(src)]


def _output_args(label: str, threads: int, dst: Path) -> list[str]:
    return ["-map", f"[{label}]", "-map", "0:a:0?",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", "high",
            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ac", "2",
            "-threads", str(threads), "-movflags", "+faststart",
            "-f", "mp4", f"file:{dst}"]


def _split_filter(renditions: list[Rendition]) -> str:
    labels = "".join(f"[s{i}]" for i in range(len(renditions)))
    chains = [f"[0:v:0]split={len(renditions)}{labels}"]
    chains += [f"[s{i}]scale={r.width}:{r.height},setsar=1[v{i}]"
               for i, r in enumerate(renditions)]
    return ";".join(chains)


def transcode_args(ffmpeg: str, src: str | os.PathLike, info: MediaInfo,
                   outputs: list[tuple[Rendition, Path]], threads: int = 2) -> list[str]:
    """One ffmpeg run: decode once, split, encode every rendition; progress on stdout."""
    args = [ffmpeg, *_input_args(info, src, threads),
            "-filter_complex", _split_filter([r for r, _ in outputs])]
    for i, (_, dst) in enumerate(outputs):
        args += _output_args(f"v{i}", threads, dst)
    return args + ["-progress", "pipe:1", "-nostats"]


def poster_time(duration: float) -> float:
    """A frame a little into the video (skips black leaders), never past its end."""
    return round(min(5.0, duration * 0.1), 3)


def poster_args(ffmpeg: str, src: str | os.PathLike, info: MediaInfo, dst: Path,
                width: int, height: int, threads: int = 2) -> list[str]:
    """One JPEG frame, scaled like the smallest rendition."""
    return [ffmpeg, "-hide_banner", "-nostdin", "-y", "-threads", str(threads),
            "-protocol_whitelist", "file", "-ss", str(poster_time(info.duration)),
            "-f", info.demuxer, "-i", input_url(src), "-frames:v", "1",
            "-vf", f"scale={width}:{height},setsar=1", "-q:v", "3", "-update", "1",
            "-f", "image2", f"file:{dst}"]
