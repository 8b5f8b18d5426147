"""``python -m tests.load.media_bench`` (``make bench-media``): lessons and media (issue 5).

In one run, on loopback only:

1. **Transcode**: a generated 720p clip (``--seconds``, default 60) through the pipeline
   (``media.transcode``: probe, niced and confined ffmpeg with progress, poster) against the
   bare equivalent ffmpeg commands typed by hand on the same file; realtime factors for one
   720p rendition and for the 360p+720p set.
2. **Autosave during a transcode**: ``PUT /api/v1/attempts/<id>/answers/1`` from paced clients
   (one student each) against gunicorn with a published exam: p50/p95/p99 without a
   transcode, during the pipeline's (niced) transcode and during a bare (not niced) one.
3. **Web process memory during a large upload** (``--upload-mb``, default 1024): peak RSS of
   the gunicorn worker (one worker) while a file is sent in chunks (``/api/v1/uploads``) and
   made a lesson, and while the same size is sent as one streaming multipart ``POST
   /api/v1/lessons``.
4. **SCORM commit**: ``POST /api/v1/lessons/<id>/scorm/commit`` closed loop, one student per
   client: throughput and p50/p95/p99.

Figures go to bench-results/media-<UTC time>.json. The machine is shared: compare ratios
within one run.
"""

import argparse
import http.client
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.live_server import ROOT, LiveServer, instance_env, prepare_instance
from tests.load.run import api_token, percentile

STUDENTS = ["student", "student2"] + [f"hs070110a1{n:02d}" for n in range(3, 15)]
MB = 1024 * 1024


# ---------------------------------------------------------------- transcode

def make_clip(path: Path, seconds: int, ffmpeg: str) -> None:
    """A 720p30 H.264/AAC clip like a phone's, from ffmpeg's test sources."""
    subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size=1280x720:rate=30:duration={seconds}", "-f", "lavfi", "-i",
                    f"sine=frequency=440:duration={seconds}", "-c:v", "libx264", "-preset",
                    "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                    str(path)], check=True)


def bare_set_command(ffmpeg: str, src: Path, out: Path, threads: int) -> list[str]:
    """What an operator would type for the same 360p+720p renditions (no nice, no limits)."""
    encode = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-profile:v", "high",
              "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k", "-ac", "2",
              "-threads", str(threads), "-movflags", "+faststart"]
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-threads", str(threads),
            "-i", str(src), "-filter_complex",
            "[0:v:0]split=2[a][b];[a]scale=640:360,setsar=1[v0];[b]scale=1280:720,setsar=1[v1]",
            "-map", "[v0]", "-map", "0:a:0?", *encode, str(out / "360p.mp4"),
            "-map", "[v1]", "-map", "0:a:0?", *encode, str(out / "720p.mp4")]


def bare_720_command(ffmpeg: str, src: Path, out: Path, threads: int) -> list[str]:
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-threads", str(threads),
            "-i", str(src), "-vf", "scale=1280:720,setsar=1", "-c:v", "libx264", "-preset",
            "veryfast", "-crf", "23", "-profile:v", "high", "-pix_fmt", "yuv420p", "-c:a",
            "aac", "-b:a", "128k", "-ac", "2", "-threads", str(threads), "-movflags",
            "+faststart", str(out / "720p.mp4")]


def bare_poster_command(ffmpeg: str, src: Path, out: Path) -> list[str]:
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-ss", "5", "-i", str(src),
            "-frames:v", "1", "-vf", "scale=640:360", "-q:v", "3", str(out / "poster.jpg")]


def timed(function) -> tuple[float, float]:
    """Wall seconds, and CPU seconds (user + system) of the child processes it waited for:
    on a shared machine the wall time swings with other people's load, the CPU time of
    ffmpeg much less."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    function()
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench_transcode(work: Path, seconds: int, threads: int, ffmpeg: str,
                    repeat: int = 1) -> dict:
    from media import VideoLimits, transcode
    from media.transcode import run_ffmpeg
    from media.video import inspect_video, plan_renditions, transcode_args

    clip = work / "clip.mp4"
    print(f"transcode: generating a {seconds} s 720p clip…", flush=True)
    make_clip(clip, seconds, ffmpeg)
    limits = VideoLimits(threads=threads)

    def fresh(name: str) -> Path:
        folder = work / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        return folder

    def run(command):
        subprocess.run(command, check=True)

    def pipeline_720():
        info = inspect_video(clip, limits)
        r720 = [r for r in plan_renditions(info) if r.name == "720p"]
        out = fresh("p720")
        run_ffmpeg(transcode_args(ffmpeg, clip, info, [(r720[0], out / "720p.mp4")], threads),
                   info.duration, 600, lambda _p: None, limits.memory_bytes, limits.nice)

    steps = [
        ("bare_set", lambda: (run(bare_set_command(ffmpeg, clip, fresh("bare"), threads)),
                              run(bare_poster_command(ffmpeg, clip, work / "bare")))),
        ("bare_set_niced", lambda: (
            run(["nice", "-n", "10", *bare_set_command(ffmpeg, clip, fresh("nb"), threads)]),
            run(["nice", "-n", "10", *bare_poster_command(ffmpeg, clip, work / "nb")]))),
        ("pipeline_set", lambda: transcode(clip, fresh("pipe"), on_progress=lambda _p: None,
                                           limits=limits, ffmpeg=ffmpeg)),
        ("bare_720", lambda: run(bare_720_command(ffmpeg, clip, fresh("b720"), threads))),
        ("pipeline_720", pipeline_720),
    ]
    runs: dict[str, list[float]] = {name: [] for name, _ in steps}
    cpu: dict[str, list[float]] = {name: [] for name, _ in steps}
    for round_number in range(repeat):
        # Interleaved, and each round starts one step later: a burst of load from other
        # processes on a shared machine does not always hit the same side.
        order = steps[round_number % len(steps):] + steps[:round_number % len(steps)]
        for name, step in order:
            print(f"  round {round_number + 1}/{repeat}: {name}…", flush=True)
            wall, used = timed(step)
            runs[name].append(round(wall, 2))
            cpu[name].append(round(used, 2))
    best = {name: min(values) for name, values in runs.items()}
    least = {name: min(values) for name, values in cpu.items()}
    cores = min(threads, os.cpu_count() or 1)

    def ratio(a, b, table):
        return round(table[a] / table[b], 3)

    return {
        "clip_seconds": seconds, "threads": threads, "repeat": repeat,
        "wall_seconds": runs, "cpu_seconds": cpu,
        "ratio_pipeline_to_bare_wall": ratio("pipeline_set", "bare_set", best),
        "ratio_pipeline_to_bare_niced_wall": ratio("pipeline_set", "bare_set_niced", best),
        "ratio_720_pipeline_to_bare_wall": ratio("pipeline_720", "bare_720", best),
        "ratio_pipeline_to_bare_cpu": ratio("pipeline_set", "bare_set", least),
        "ratio_720_pipeline_to_bare_cpu": ratio("pipeline_720", "bare_720", least),
        "realtime_wall": {name: round(seconds / value, 2) for name, value in best.items()},
        # What the wall-clock factor would be with ``cores`` otherwise idle cores.
        "realtime_cpu_bound": {name: round(seconds * cores / value, 2)
                               for name, value in least.items()},
    }


# ---------------------------------------------------------------- HTTP helpers

def request(port: int, method: str, path: str, body=None, headers=None, timeout=600):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data[:1] in (b"{", b"[") else data)
    finally:
        connection.close()


def bearer(token: str, extra: dict | None = None) -> dict:
    return {"Authorization": f"Bearer {token}", **(extra or {})}


def tokens_for(port: int, usernames: list[str]) -> list[str]:
    return [api_token(port, name) for name in usernames]


def seed_exam(env: dict) -> int:
    """A published one-question exam of the demo teacher, assigned to 10A1; its id."""
    code = (
        "from sqlalchemy import select\n"
        "from lms.app import create_app\n"
        "from lms.auth.models import User\n"
        "from lms.exams import services\n"
        "from lms.kernel import db\n"
        "from lms.org.models import SchoolClass\n"
        "from tests.lms.exams_setup import bank_questions\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    teacher = db.session.scalar(select(User).where(User.username == 'teacher'))\n"
        "    klass = db.session.scalar(select(SchoolClass).where(SchoolClass.name == '10A1'))\n"
        "    bank = bank_questions(teacher, ('true_false',))\n"
        "    exam = services.create_exam(teacher, 'Kiểm tra', [q.id for q in bank])\n"
        "    services.publish(teacher, exam)\n"
        "    services.assign_to_class(teacher, exam, klass)\n"
        "    db.session.commit()\n"
        "    print(exam.id)\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True)
    return int(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- autosave under transcode

def paced_clients(port: int, targets: list[tuple[str, dict]], rate: float, body_for,
                  stop: threading.Event, record: threading.Event, method: str = "PUT"):
    """One client per target, each sending ``rate`` requests/s on a keep-alive connection."""
    latencies: list[float] = []
    errors: list[int] = []

    def client(path: str, headers: dict) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        seq, interval = 0, 1.0 / rate if rate else 0.0
        next_at = time.perf_counter()
        while not stop.is_set():
            seq += 1
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body_for(seq), headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
            elapsed = time.perf_counter() - started
            if record.is_set():
                (latencies.append(elapsed) if ok else errors.append(1))
            if interval:
                next_at += interval
                time.sleep(max(0.0, next_at - time.perf_counter()))
        connection.close()

    threads = [threading.Thread(target=client, args=target, daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    return threads, latencies, errors


def summary(latencies: list[float], errors: list[int], seconds: float) -> dict:
    ordered = sorted(latencies)
    return {"requests": len(ordered), "errors": len(errors),
            "throughput": round(len(ordered) / seconds, 1),
            "p50_ms": round(percentile(ordered, 0.50) * 1000, 1),
            "p95_ms": round(percentile(ordered, 0.95) * 1000, 1),
            "p99_ms": round(percentile(ordered, 0.99) * 1000, 1)}


def measure_while(port, targets, rate, body_for, during, min_seconds: float) -> dict:
    """Latencies while ``during()`` runs (or for ``min_seconds`` when it is None)."""
    stop, record = threading.Event(), threading.Event()
    threads, latencies, errors = paced_clients(port, targets, rate, body_for, stop, record)
    time.sleep(1.0)
    record.set()
    started = time.perf_counter()
    if during:
        during()
    else:
        time.sleep(min_seconds)
    seconds = time.perf_counter() - started
    record.clear()
    stop.set()
    for thread in threads:
        thread.join(timeout=35)
    return summary(latencies, errors, seconds) | {"seconds": round(seconds, 1)}


def bench_autosave(server: LiveServer, env: dict, work: Path, clients: int, rate: float,
                   seconds: int, threads: int, ffmpeg: str) -> dict:
    from media import VideoLimits, transcode

    exam_id = seed_exam(env)
    port = server.port
    targets = []
    for token in tokens_for(port, STUDENTS[:clients]):
        status, started = request(port, "POST", f"/api/v1/exams/{exam_id}/attempts", b"{}",
                                  bearer(token, {"Content-Type": "application/json"}))
        if status != 200:
            raise RuntimeError(f"start attempt: {status} {started}")
        targets.append((f"/api/v1/attempts/{started['attempt_id']}/answers/1",
                        bearer(token, {"Content-Type": "application/json"})))

    def body_for(seq: int) -> bytes:
        return json.dumps({"response": {"value": seq % 2 == 0}, "seq": seq}).encode()

    clip = work / "clip.mp4"
    if not clip.exists():
        make_clip(clip, seconds, ffmpeg)
    limits = VideoLimits(threads=threads)

    def pipeline():
        out = work / "autosave-pipe"
        shutil.rmtree(out, ignore_errors=True)
        transcode(clip, out, on_progress=lambda _p: None, limits=limits, ffmpeg=ffmpeg)

    def bare():
        out = work / "autosave-bare"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        subprocess.run(bare_set_command(ffmpeg, clip, out, threads), check=True)

    print(f"autosave: {clients} clients × {rate:g}/s…", flush=True)
    result = {"clients": clients, "rate_per_client": rate}
    result["idle"] = measure_while(port, targets, rate, body_for, None, 15)
    print("  during the pipeline's transcode (nice 10)…", flush=True)
    result["during_pipeline_transcode"] = measure_while(port, targets, rate, body_for,
                                                        pipeline, 0)
    print("  during a bare ffmpeg (not niced)…", flush=True)
    result["during_bare_ffmpeg"] = measure_while(port, targets, rate, body_for, bare, 0)
    return result


# ---------------------------------------------------------------- memory during uploads

class PeakRss:
    """Samples the resident memory of the gunicorn worker(s) every 20 ms."""

    def __init__(self, master_pid: int):
        import psutil

        self.master = psutil.Process(master_pid)
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def current(self) -> int:
        import psutil

        total = 0
        for child in self.master.children():
            try:
                total = max(total, child.memory_info().rss)
            except psutil.NoSuchProcess:
                continue
        return total

    def _run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, self.current())
            time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def _fake_video_chunk(size: int, first: bool) -> bytes:
    """Bytes that pass the container sniffing (an MP4 ``ftyp`` box first), zeros after."""
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" if first else b""
    return head + bytes(size - len(head))


def chunked_upload(port: int, token: str, total: int) -> dict:
    status, upload = request(port, "POST", "/api/v1/uploads", json.dumps(
        {"filename": "lon.mp4", "size": total, "kind": "video"}).encode(),
        bearer(token, {"Content-Type": "application/json"}))
    if status != 201:
        raise RuntimeError(f"open upload: {status} {upload}")
    chunk = upload["chunk_size"]
    zeros = _fake_video_chunk(chunk, False)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.perf_counter()
    for first in range(0, total, chunk):
        length = min(chunk, total - first)
        body = _fake_video_chunk(length, True) if first == 0 else zeros[:length]
        connection.request("PUT", f"/api/v1/uploads/{upload['upload_id']}", body=body,
                           headers=bearer(token, {
                               "Content-Type": "application/octet-stream",
                               "Content-Range": f"bytes {first}-{first + length - 1}/{total}"}))
        response = connection.getresponse()
        reply = response.read()
        if response.status != 200:
            raise RuntimeError(f"chunk at {first}: {response.status} {reply[:300]!r}")
    connection.close()
    uploaded = time.perf_counter() - started
    status, created = request(port, "POST", "/api/v1/lessons", json.dumps(
        {"upload_id": upload["upload_id"], "kind": "video",
         "metadata": {"title": "Video lớn"}}).encode(),
        bearer(token, {"Content-Type": "application/json"}))
    if status != 201:
        raise RuntimeError(f"lesson from upload: {status} {created}")
    return {"upload_s": round(uploaded, 1),
            "upload_mb_per_s": round(total / MB / uploaded, 1),
            "total_s": round(time.perf_counter() - started, 1)}


def streaming_post(port: int, token: str, total: int) -> dict:
    """One multipart POST /api/v1/lessons whose file part is generated while it is sent."""
    boundary = "hoclieubench"
    preamble = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n"
                f"video\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n"
                f"\r\nVideo lớn\r\n--{boundary}\r\nContent-Disposition: form-data; "
                f"name=\"file\"; filename=\"lon.mp4\"\r\nContent-Type: video/mp4\r\n\r\n"
                ).encode()
    epilogue = f"\r\n--{boundary}--\r\n".encode()
    block = MB

    def body():
        yield preamble
        sent = 0
        while sent < total:
            size = min(block, total - sent)
            yield _fake_video_chunk(size, sent == 0)
            sent += size
        yield epilogue

    length = len(preamble) + total + len(epilogue)
    started = time.perf_counter()
    status, created = request(port, "POST", "/api/v1/lessons", body(), bearer(token, {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(length)}))
    if status != 201:
        raise RuntimeError(f"streaming POST: {status} {created}")
    return {"total_s": round(time.perf_counter() - started, 1)}


def bench_upload_memory(work: Path, size_mb: int) -> dict:
    env = instance_env(work / "upload-instance")
    env["HOCLIEU_UPLOAD_QUOTA_MB"] = str(10 * size_mb)
    print("upload memory: preparing an instance…", flush=True)
    prepare_instance(env)
    total = size_mb * MB
    result = {"size_mb": size_mb}
    with LiveServer(env, workers=1, threads=4, log_path=work / "upload.log") as server:
        token = api_token(server.port, "teacher")
        request(server.port, "GET", "/api/v1/me", headers=bearer(token))  # warm the worker
        for name, send in (("chunked", chunked_upload), ("streaming_post", streaming_post)):
            print(f"  {name} ({size_mb} MiB)…", flush=True)
            with PeakRss(server.process.pid) as rss:
                before = rss.current()
                timing = send(server.port, token, total)
            result[name] = timing | {"rss_before_mb": round(before / MB, 1),
                                     "rss_peak_mb": round(rss.peak / MB, 1),
                                     "rss_growth_mb": round((rss.peak - before) / MB, 1)}
    return result


# ---------------------------------------------------------------- SCORM commit

def bench_scorm_commit(server: LiveServer, clients: int, seconds: float) -> dict:
    from tests.lms.lessons_helpers import scorm_12_zip

    port = server.port
    teacher = api_token(port, "teacher")
    boundary = "hoclieuscorm"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nscorm\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nSCORM\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"goi.zip\"\r\nContent-Type: application/zip\r\n\r\n").encode() + \
        scorm_12_zip() + f"\r\n--{boundary}--\r\n".encode()
    status, created = request(port, "POST", "/api/v1/lessons", body, bearer(teacher, {
        "Content-Type": f"multipart/form-data; boundary={boundary}"}))
    if status != 201:
        raise RuntimeError(f"SCORM upload: {status} {created}")
    path = f"/api/v1/lessons/{created['lesson']['id']}/scorm/commit"
    targets = [(path, bearer(token, {"Content-Type": "application/json"}))
               for token in tokens_for(port, STUDENTS[:clients])]
    suspend = "x" * 2000

    def body_for(seq: int) -> bytes:
        return json.dumps({"sco": "item1", "cmi": {
            "cmi.core.lesson_status": "incomplete", "cmi.core.lesson_location": f"p{seq}",
            "cmi.core.score.raw": str(seq % 100), "cmi.suspend_data": suspend,
            "cmi.core.session_time": "00:00:05"}}).encode()

    print(f"SCORM commit: {clients} closed-loop clients…", flush=True)
    stop, record = threading.Event(), threading.Event()
    threads, latencies, errors = paced_clients(port, targets, 0, body_for, stop, record,
                                               method="POST")
    time.sleep(2)
    record.set()
    started = time.perf_counter()
    time.sleep(seconds)
    record.clear()
    elapsed = time.perf_counter() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=35)
    return {"clients": clients} | summary(latencies, errors, elapsed)


# ---------------------------------------------------------------- main

def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m tests.load.media_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=60, help="length of the generated clip")
    parser.add_argument("--threads", type=int, default=2, help="ffmpeg threads (both sides)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="interleaved rounds of the transcode runs (the best is reported)")
    parser.add_argument("--upload-mb", type=int, default=1024, help="size of the large upload")
    parser.add_argument("--clients", type=int, default=8, help="autosave / commit clients")
    parser.add_argument("--rate", type=float, default=5, help="autosaves/s per client")
    parser.add_argument("--commit-seconds", type=float, default=15)
    parser.add_argument("--only", choices=["transcode", "autosave", "upload", "scorm"],
                        action="append", help="run only these parts (repeatable)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    parts = set(options.only or ["transcode", "autosave", "upload", "scorm"])
    from media import find_ffmpeg

    ffmpeg = find_ffmpeg()
    report = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
              "load_average_at_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(prefix="hoclieu-media-bench-") as tmp:
        work = Path(tmp)
        if "transcode" in parts:
            report["transcode"] = bench_transcode(work, options.seconds, options.threads, ffmpeg,
                                                  options.repeat)
        if parts & {"autosave", "scorm"}:
            env = instance_env(work / "instance")
            print("preparing an instance with the demo data…", flush=True)
            prepare_instance(env)
            with LiveServer(env, log_path=work / "gunicorn.log") as server:
                if "autosave" in parts:
                    report["autosave"] = bench_autosave(server, env, work, options.clients,
                                                        options.rate, options.seconds,
                                                        options.threads, ffmpeg)
                if "scorm" in parts:
                    report["scorm_commit"] = bench_scorm_commit(server, options.clients,
                                                                options.commit_seconds)
        if "upload" in parts:
            report["upload_memory"] = bench_upload_memory(work, options.upload_mb)
    report["load_average_at_end"] = os.getloadavg()
    print(json.dumps(report, indent=2, ensure_ascii=False))
    options.out.mkdir(parents=True, exist_ok=True)
    path = options.out / f"media-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
