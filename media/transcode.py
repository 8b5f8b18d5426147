"""Running ffmpeg for a video job: progress to a callback, bounded time, memory and priority.

:func:`transcode` is idempotent: outputs have deterministic names (``360p.mp4``, ``720p.mp4``,
``poster.jpg``), are written under temporary names and renamed only when ffmpeg succeeded, and
a rerun that finds them all present does nothing but report 100 %.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from media.video import (
    DEFAULT_VIDEO_LIMITS,
    MediaInfo,
    Rendition,
    VideoError,
    VideoLimits,
    confined,
    find_ffmpeg,
    inspect_video,
    plan_renditions,
    poster_args,
    transcode_args,
)


@dataclass(frozen=True)
class TranscodeResult:
    info: MediaInfo
    renditions: dict[str, Path] = field(default_factory=dict)
    poster: Path | None = None


def parse_progress(line: str, duration: float) -> int | None:
    """Percent done (0..99) from one ``-progress`` line, or None if it carries no time."""
    key, _, value = line.strip().partition("=")
    if key not in ("out_time_us", "out_time_ms") or not value.lstrip("-").isdigit():
        return None
    seconds = max(0, int(value)) / 1_000_000  # both keys are microseconds in ffmpeg
    return min(99, int(seconds * 100 / duration)) if duration > 0 else 0


class _Watchdog:
    """Kills a process when the wall-time limit passes."""

    def __init__(self, proc: subprocess.Popen, seconds: float):
        self.fired = False
        self._proc = proc
        self._timer = threading.Timer(seconds, self._kill)
        self._timer.daemon = True

    def _kill(self) -> None:
        self.fired = True
        self._proc.kill()

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def run_ffmpeg(args: list[str], duration: float, timeout: float,
               on_progress: Callable[[int], None] | None = None,
               memory_bytes: int | None = None, nice: int = 10) -> None:
    """Run ffmpeg confined, stream its progress to ``on_progress``, enforce a wall-time limit."""
    with tempfile.TemporaryFile() as errors:
        with (subprocess.Popen(confined(args, memory_bytes, nice),  # noqa: S603
                               stdout=subprocess.PIPE, stderr=errors,
                               stdin=subprocess.DEVNULL, text=True) as proc,
              _Watchdog(proc, timeout) as watchdog):
            try:
                _pump_progress(proc, duration, on_progress)
            except BaseException:
                proc.kill()  # a failing callback must not leave ffmpeg running
                raise
            code = proc.wait()
        if watchdog.fired:
            raise VideoError("timeout", f"Chuyển mã vượt quá thời gian cho phép ({timeout:.0f} s).")
        if code != 0:
            failure = VideoError("transcode_failed",
                                 f"Chuyển mã video thất bại (ffmpeg mã {code}).")
            failure.detail = _tail(errors)  # for the log: may contain server paths
            raise failure


def _pump_progress(proc: subprocess.Popen, duration: float,
                   on_progress: Callable[[int], None] | None) -> None:
    last = -1
    for line in proc.stdout:
        percent = parse_progress(line, duration)
        if percent is not None and percent > last and on_progress:
            last = percent
            on_progress(percent)


def _tail(errors) -> str:
    errors.seek(0)
    lines = errors.read().decode(errors="replace").strip().splitlines()
    return lines[-1][:300] if lines else "không rõ nguyên nhân"


def output_paths(out_dir: Path, renditions: list[Rendition]) -> dict[str, Path]:
    """Deterministic names: ``360p.mp4``, ``720p.mp4`` and ``poster.jpg``."""
    paths = {r.name: out_dir / f"{r.name}.mp4" for r in renditions}
    return paths | {"poster": out_dir / "poster.jpg"}


def transcode(src: str | os.PathLike, out_dir: str | os.PathLike,
              on_progress: Callable[[int], None] | None = None,
              limits: VideoLimits = DEFAULT_VIDEO_LIMITS,
              ffmpeg: str | None = None, ffprobe: str | None = None) -> TranscodeResult:
    """Inspect, then write every rendition and a poster; a rerun with all outputs present
    does nothing. Outputs appear only under their final names, and only on success."""
    ffmpeg = ffmpeg or find_ffmpeg()
    info = inspect_video(src, limits, ffprobe, ffmpeg)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    renditions = plan_renditions(info)
    final = output_paths(out, renditions)
    if not all(p.exists() for p in final.values()):
        _produce(ffmpeg, src, info, renditions, final, limits, on_progress)
    if on_progress:
        on_progress(100)
    poster = final.pop("poster")
    return TranscodeResult(info, final, poster)


def _produce(ffmpeg, src, info: MediaInfo, renditions: list[Rendition],
             final: dict[str, Path], limits: VideoLimits, on_progress) -> None:
    parts = {key: path.with_name(f".{path.stem}.part{path.suffix}")
             for key, path in final.items()}
    timeout = limits.time_allowance + info.duration * limits.time_factor
    smallest = renditions[0]
    try:
        outputs = [(r, parts[r.name]) for r in renditions]
        run_ffmpeg(transcode_args(ffmpeg, src, info, outputs, limits.threads),
                   info.duration, timeout, on_progress, limits.memory_bytes, limits.nice)
        run_ffmpeg(poster_args(ffmpeg, src, info, parts["poster"], smallest.width,
                               smallest.height, limits.threads),
                   0, limits.time_allowance, None, limits.memory_bytes, limits.nice)
        for key, part in parts.items():
            part.replace(final[key])
    finally:
        for part in parts.values():
            part.unlink(missing_ok=True)
