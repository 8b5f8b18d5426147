"""``python -m tests.load.exam_bench`` (``make bench-exams``): online-test load, issue 4 §6.

One run per database (``--database sqlite`` by default, ``postgresql`` on a throw-away database
created on 127.0.0.1:5432 and dropped afterwards; both may be given):

1. a fresh instance is seeded (tests/load/exam_seed.py): students in classes of 40, each with an
   API token, and a published 40-question exam of every objective type, assigned to them all;
2. the **baseline** (tests/load/exam_min_app.py, not part of HocLieu: one raw upsert / one
   attempt insert / one attempt-and-answers read per request, no auth, no ORM) and HocLieu
   (and ``--compare-rev``'s code) are served side by side by gunicorn with the production
   settings (``lms/serve.py``: 2 workers × 4 threads); each comparison runs back to back so
   both sides see the same machine load;
3. **HocLieu**, full production path (Bearer token, strict schemas, permissions, ORM, commit
   before 200):

   - S2 synchronised start: ``--start-students`` POST start at one instant (tokens prepared, each
     on its own new connection, released together); errors, p99, max (= drain time), exactly
     one attempt per student in the database; drain ratio to the baseline's one-insert start.
   - S1 steady autosave, open loop: ``--students`` each PUT one answer every ``--interval`` s
     (×0.8–1.2 jitter, random slot, valid response, rising seq); latency from the scheduled send
     time (no coordinated omission); then closed-loop capacity with ``--concurrency`` clients,
     saves/s as a fraction of the baseline's upsert endpoint.
   - S3 page navigation, closed loop: ``GET /api/v1/attempts/{id}`` (the API the test page
     reads; there is no server-rendered student page yet) vs the baseline's read.
   - S5 durability: S1 at ``--s5-students`` / ``--s5-interval`` (10× S1's rate by default);
     p99, max, "database is locked" lines in the server log, lost answers.
   - S4 submit rush: every slot of the attempts answered first; ``--submits`` submits spread
     over ``--submit-seconds`` with a burst of ``--burst`` in ``--burst-seconds`` in the middle;
     p99, exactly one finished and graded attempt each; plus grading one 40-question attempt
     in-process ``--grade-rounds`` times (p95).

After every scenario that writes answers the database is compared with what the server
acknowledged: for each acknowledged (attempt, slot) the row must exist (none lost), be unique
(none duplicated) and hold the highest acknowledged seq with the response sent with it (none
reordered). ``--compare-rev REV`` serves REV's code (``git archive``) on the same database for
the S2 (a second crowd of ``--start-students`` students, right after HocLieu's), S1 capacity and
S3 scenarios, so before/after figures come from one run. ``--only s2`` seeds only the S2
crowd(s) and stops after S2 (a start-only run).

The load generator is asyncio with a raw HTTP/1.1 keep-alive client (one process by default,
``--client-procs`` for more), so it is not limited by Python threads; its scheduling lag is
reported. Figures go to bench-results/exam-bench-<UTC time>.json. Targets print OK/MISS and
never fail the build.
"""

import argparse
import asyncio
import contextlib
import io
import json
import os
import platform
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

from tests.live_server import GUNICORN_THREADS, GUNICORN_WORKERS, ROOT, LiveServer, instance_env
from tests.load.run import DEFAULT_PG, PostgresDatabase, percentile

QUICK = {"students": 500, "interval": 10.0, "s1_seconds": 30.0, "capacity_seconds": 10.0,
         "start_students": 1000, "page_seconds": 10.0, "s5_students": 1000, "s5_interval": 2.0,
         "s5_seconds": 20.0, "submits": 300, "submit_seconds": 15.0, "burst": 150,
         "burst_seconds": 5.0, "grade_rounds": 200}
#: The sizes of issue 4 §6.
FULL = {**QUICK, "s1_seconds": 60.0, "capacity_seconds": 20.0, "page_seconds": 20.0,
        "s5_students": 5000, "s5_interval": 10.0, "s5_seconds": 60.0, "submits": 1000,
        "submit_seconds": 60.0, "burst": 500, "grade_rounds": 500}
TIMEOUT = 30.0
#: Extra students whose requests warm both gunicorn workers up before anything is measured.
WARM_STUDENTS = 16
JSON_HEADERS = b"Content-Type: application/json\r\n"


# ---------------------------------------------------------------- HTTP client (asyncio)


class Pool:
    """Keep-alive HTTP/1.1 connections to 127.0.0.1:port, like a proxy's upstream pool.

    A connection idle for more than ``idle_max`` s is not reused (gunicorn closes idle
    keep-alive connections after 2 s). ``fresh=True`` opens a new connection for the request.
    """

    def __init__(self, port: int, idle_max: float = 1.0):
        self.port, self.idle_max, self.idle = port, idle_max, []

    async def _connection(self, fresh: bool):
        while self.idle and not fresh:
            reader, writer, last = self.idle.pop()
            if time.monotonic() - last < self.idle_max and not reader.at_eof():
                return reader, writer, True
            writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        return reader, writer, False

    async def request(self, method: bytes, path: str, headers: bytes = b"", body: bytes = b"",
                      fresh: bool = False) -> tuple[int, bytes]:
        for retry in (False, True):
            reader, writer, reused = await self._connection(fresh or retry)
            writer.write(b"%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n%s\r\n%s" % (
                method, path.encode(), len(body), headers, body))
            done = False
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                lower = head.lower()
                found = re.search(rb"content-length: *(\d+)", lower)
                data = await reader.readexactly(int(found.group(1))) if found else b""
                done = True
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                # A reused connection the server had already closed: the request never ran.
                if reused and not retry and isinstance(exc, asyncio.IncompleteReadError) \
                        and not exc.partial:
                    continue
                raise
            finally:
                if not done:
                    writer.close()
            if b"connection: close" in lower:
                writer.close()
            else:
                self.idle.append((reader, writer, time.monotonic()))
            return status, data
        raise ConnectionError("unreachable")


async def timed(pool: Pool, *args, **kwargs) -> tuple[int, bytes]:
    """(status, body); (-1, …) when no answer came within TIMEOUT seconds, (-2, reason) on a
    network error (refused, reset, closed early)."""
    try:
        return await asyncio.wait_for(pool.request(*args, **kwargs), TIMEOUT)
    except TimeoutError:
        return -1, b"timeout"
    except (OSError, asyncio.IncompleteReadError) as exc:
        return -2, type(exc).__name__.encode()


def bearer(token: str | None) -> bytes:
    return JSON_HEADERS + (b"Authorization: Bearer %s\r\n" % token.encode() if token else b"")


def save_body(response: bytes, seq: int) -> bytes:
    return b'{"response": %s, "seq": %d}' % (response, seq)


def response_variants(question: dict, rng: random.Random) -> list[bytes]:
    """Two valid responses (JSON) to a shown question, in the attempt's ids."""
    kind, out = question["type"], []
    for _ in range(2):
        if kind == "single_choice":
            value = {"choice": rng.choice(question["options"])["id"]}
        elif kind == "multiple_response":
            ids = [o["id"] for o in question["options"]]
            value = {"choices": rng.sample(ids, rng.randint(1, len(ids)))}
        elif kind == "true_false":
            value = {"value": rng.random() < 0.5}
        elif kind == "true_false_4":
            value = {"statements": {s["id"]: rng.random() < 0.5 for s in question["statements"]}}
        elif kind == "short_text":
            value = {"text": rng.choice(["Hà Nội", "Huế", "Thành phố Hà Nội"])}
        elif kind == "short_numeric":
            value = {"text": rng.choice(["27,5", "27", "28"])}
        elif kind == "matching":
            right = [r["id"] for r in question["right"]]
            value = {"pairs": {left["id"]: rng.choice(right) for left in question["left"]}}
        elif kind == "ordering":
            ids = [i["id"] for i in question["items"]]
            value = {"order": rng.sample(ids, len(ids))}
        elif kind == "cloze":
            value = {"gaps": {g["id"]: (rng.choice(g["options"])["id"] if g["kind"] == "dropdown"
                                        else rng.choice(["3,14", "3"]) if g["kind"] == "numeric"
                                        else rng.choice(["Hà Nội", "Huế"]))
                              for g in question["gaps"]}}
        else:
            raise ValueError(kind)
        out.append(json.dumps(value, ensure_ascii=False).encode())
    return out


# ---------------------------------------------------------------- client jobs (child processes)


class Recorder:
    def __init__(self):
        self.latencies: list[float] = []
        self.status: Counter = Counter()
        self.acks: list[tuple] = []
        self.lags: list[float] = []

    def result(self, **extra) -> dict:
        return {"latencies": self.latencies, "status": dict(self.status), "acks": self.acks,
                "lags": self.lags, **extra}


def _clock(start_at: float) -> float:
    """The event loop time that corresponds to wall-clock ``start_at`` (shared by processes)."""
    return asyncio.get_running_loop().time() + (start_at - time.time())


async def job_starts(job: dict) -> dict:
    """Every student POSTs start on a new connection at the same instant."""
    rec, pool, bodies = Recorder(), Pool(job["port"]), {}
    t0 = _clock(job["start_at"])
    loop = asyncio.get_running_loop()

    async def one(user_id: int, token: str | None):
        path = job["path"].format(user=user_id)
        await asyncio.sleep(max(0.0, t0 - loop.time()))
        status, body = await timed(pool, b"POST", path, bearer(token), b"{}", fresh=True)
        rec.latencies.append(loop.time() - t0)
        rec.status[status] += 1
        if status == 200:
            bodies[user_id] = body

    await asyncio.gather(*(one(uid, token) for uid, token in job["items"]))
    for _reader, writer, _t in pool.idle:
        writer.close()
    return rec.result(attempts=_parse_starts(bodies, job.get("parse", False), job["seed"]))


def _parse_starts(bodies: dict, parse: bool, seed: int) -> dict:
    """user id -> [attempt id, {slot: [response JSON, …]}] (variants only when ``parse``)."""
    rng, out = random.Random(seed), {}
    for user_id, body in bodies.items():
        data = json.loads(body)
        variants = ({q["slot"]: response_variants(q, rng) for q in data["questions"]}
                    if parse else {})
        out[user_id] = [data["attempt_id"], variants]
    return out


async def job_prepare(job: dict) -> dict:
    """Start the remaining attempts (not measured): a few closed-loop clients."""
    rec, bodies, queue = Recorder(), {}, list(job["items"])

    async def client():
        pool = Pool(job["port"])
        while queue:
            user_id, token = queue.pop()
            status, body = await timed(pool, b"POST", job["path"].format(user=user_id),
                                       bearer(token), b"{}")
            rec.status[status] += 1
            if status == 200:
                bodies[user_id] = body

    await asyncio.gather(*(client() for _ in range(job["concurrency"])))
    return rec.result(attempts=_parse_starts(bodies, job.get("parse", True), job["seed"]))


def _save_path(job: dict, attempt_id: int, slot: int) -> str:
    return job["path"].format(attempt=attempt_id, slot=slot)


async def job_open_saves(job: dict) -> dict:
    """Each student saves one answer every interval (jittered) for ``duration`` seconds."""
    rec, pool, loop = Recorder(), Pool(job["port"]), asyncio.get_running_loop()
    t0, rng = _clock(job["start_at"]), random.Random(job["seed"])
    end, interval = t0 + job["duration"], job["interval"]

    async def student(attempt_id: int, token: str | None, variants: dict):
        seq, slots = job["seq_base"], list(variants)
        due = t0 + rng.uniform(0, interval)
        while due < end:
            await asyncio.sleep(max(0.0, due - loop.time()))
            sent = loop.time()
            rec.lags.append(sent - due)
            seq += 1
            slot = rng.choice(slots)
            response = rng.choice(variants[slot])
            status, body = await timed(pool, b"PUT", _save_path(job, attempt_id, slot),
                                       bearer(token), save_body(response, seq))
            rec.latencies.append(loop.time() - due)
            rec.status[status] += 1
            if status == 200:
                rec.acks.append((attempt_id, slot, seq, json.loads(body)["saved_seq"], response))
            due += interval * rng.uniform(0.8, 1.2)

    await asyncio.gather(*(student(*s) for s in job["items"]))
    return rec.result()


async def job_closed(job: dict) -> dict:
    """``concurrency`` clients, each on one keep-alive connection and its own attempts, send
    the next request when the previous answer has arrived; only the measured window counts."""
    rec, loop, rng = Recorder(), asyncio.get_running_loop(), random.Random(job["seed"])
    t0 = _clock(job["start_at"])
    begin, end = t0 + job["warmup"], t0 + job["warmup"] + job["duration"]
    items = job["items"]
    shares = [items[i::job["concurrency"]] for i in range(job["concurrency"])]
    seqs = defaultdict(lambda: job["seq_base"])

    async def client(share):
        pool = Pool(job["port"], idle_max=30.0)
        await asyncio.sleep(max(0.0, t0 - loop.time()))
        index = 0
        while share and loop.time() < end:
            attempt_id, token, variants = share[index % len(share)]
            index += 1
            if job["kind_of"] == "save":
                seqs[attempt_id] += 1
                slot = rng.choice(list(variants))
                response = rng.choice(variants[slot])
                request = (b"PUT", _save_path(job, attempt_id, slot), bearer(token),
                           save_body(response, seqs[attempt_id]))
            else:
                request = (b"GET", job["path"].format(attempt=attempt_id), bearer(token), b"")
            started = loop.time()
            status, body = await timed(pool, *request)
            finished = loop.time()
            if job["kind_of"] == "save" and status == 200:
                # acknowledged answers count for verification even outside the window
                rec.acks.append((attempt_id, slot, seqs[attempt_id], json.loads(body)["saved_seq"],
                                 response))
            if begin <= started and finished <= end:
                rec.latencies.append(finished - started)
                rec.status[status] += 1

    await asyncio.gather(*(client(share) for share in shares))
    return rec.result(seconds=job["duration"])


async def job_submits(job: dict) -> dict:
    """Submit each attempt at its scheduled offset (open loop)."""
    rec, pool, loop = Recorder(), Pool(job["port"]), asyncio.get_running_loop()
    t0 = _clock(job["start_at"])
    finished = {}

    async def one(offset: float, attempt_id: int, token: str):
        due = t0 + offset
        await asyncio.sleep(max(0.0, due - loop.time()))
        rec.lags.append(loop.time() - due)
        status, body = await timed(pool, b"POST", job["path"].format(attempt=attempt_id),
                                   bearer(token), b"{}")
        rec.latencies.append(loop.time() - due)
        rec.status[status] += 1
        if status == 200:
            finished[attempt_id] = json.loads(body)["state"]

    await asyncio.gather(*(one(*item) for item in job["items"]))
    return rec.result(finished=finished)


JOBS = {"starts": job_starts, "prepare": job_prepare, "open_saves": job_open_saves,
        "closed": job_closed, "submits": job_submits}


def run_job(job: dict) -> dict:
    return asyncio.run(JOBS[job["name"]](job))


def run_clients(options, name: str, items: list, **job) -> dict:
    """Split ``items`` over ``--client-procs`` processes that start together; merge results."""
    procs = max(1, min(options.client_procs, len(items) or 1))
    start_at = time.time() + 1.0 + 0.5 * procs
    jobs = [{"name": name, "items": items[i::procs], "start_at": start_at,
             "seed": options.seed + i, **job} for i in range(procs)]
    if procs == 1:
        parts = [run_job(jobs[0])]
    else:
        with ProcessPoolExecutor(procs, mp_context=get_context("spawn")) as pool:
            parts = list(pool.map(run_job, jobs))
    merged = {"latencies": [], "status": Counter(), "acks": [], "lags": []}
    for part in parts:
        merged["latencies"] += part.pop("latencies")
        merged["status"].update(part.pop("status"))
        merged["acks"] += part.pop("acks")
        merged["lags"] += part.pop("lags")
        for key, value in part.items():
            if isinstance(value, dict):
                merged.setdefault(key, {}).update(value)
            else:
                merged[key] = value
    return merged


# ---------------------------------------------------------------- checks against the database


def _engine(url: str):
    from sqlalchemy import create_engine

    return create_engine(url)


def verify_answers(url: str, acks: list[tuple]) -> dict:
    """Every acknowledged answer is in the database: none lost, duplicated or reordered."""
    from sqlalchemy import JSON, Integer, text

    expected: dict[tuple[int, int], tuple[int, bytes | None]] = {}
    for attempt_id, slot, sent, saved, response in acks:
        key = (attempt_id, slot)
        seq = expected.get(key, (-1, None))[0]
        # the response is known when the acknowledged seq is the one this request sent
        if saved > seq:
            expected[key] = (saved, response if saved == sent else None)
        elif saved == seq and saved == sent:
            expected[key] = (saved, response)
    attempts = sorted({a for a, _s in expected})
    rows: dict[tuple[int, int], list] = defaultdict(list)
    engine = _engine(url)
    query = text("SELECT attempt_id, slot, saved_seq, response FROM attempt_answer "
                 "WHERE attempt_id >= :lo AND attempt_id <= :hi").columns(
        attempt_id=Integer, slot=Integer, saved_seq=Integer, response=JSON)
    with engine.connect() as conn:
        if attempts:
            for row in conn.execute(query, {"lo": attempts[0], "hi": attempts[-1]}):
                rows[(row.attempt_id, row.slot)].append((row.saved_seq, row.response))
    engine.dispose()
    lost = duplicated = reordered = newer = 0
    for key, (seq, response) in expected.items():
        stored = rows.get(key, [])
        if len(stored) > 1:
            duplicated += 1
        if not stored or stored[0][0] < seq:
            lost += 1
        elif stored[0][0] > seq:
            newer += 1  # an unacknowledged later save (e.g. a client timeout) landed
        elif response is not None and stored[0][1] != json.loads(response):
            reordered += 1
    return {"acknowledged": len(acks), "answers_checked": len(expected), "lost": lost,
            "duplicated": duplicated, "reordered": reordered,
            "stored_newer_than_acknowledged": newer}


def verify_starts(url: str, exam_id: int, attempts: dict) -> dict:
    """Exactly one attempt per student who started, and it is the one they were given."""
    from sqlalchemy import text

    engine = _engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT user_id, id FROM attempt WHERE exam_id = :e"),
                            {"e": exam_id}).all()
    engine.dispose()
    by_user = defaultdict(list)
    for user_id, attempt_id in rows:
        by_user[user_id].append(attempt_id)
    wrong = sum(1 for uid, (aid, *_r) in attempts.items() if by_user.get(int(uid)) != [aid])
    return {"students_served": len(attempts), "attempt_rows": len(rows),
            "not_exactly_one": wrong + sum(1 for ids in by_user.values() if len(ids) != 1)}


def verify_submits(url: str, attempt_ids: list[int]) -> dict:
    from sqlalchemy import bindparam, text

    engine = _engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, state, grade FROM attempt WHERE id IN :ids")
                            .bindparams(bindparam("ids", expanding=True)),
                            {"ids": attempt_ids}).all()
    engine.dispose()
    return {"attempts": len(attempt_ids),
            "finished_and_graded": sum(1 for r in rows if r.state == "finished"
                                       and r.grade is not None)}


def fill_answers(url: str, attempts: list) -> int:
    """Answer every slot not answered yet (seq 1), straight into the table, before S4."""
    from sqlalchemy import JSON, Column, Integer, MetaData, Table
    from sqlalchemy.dialects import postgresql, sqlite

    table = Table("attempt_answer", MetaData(), Column("id", Integer, primary_key=True),
                  Column("attempt_id", Integer), Column("slot", Integer),
                  Column("response", JSON), Column("saved_seq", Integer),
                  Column("saved_at", sqlite.DATETIME if url.startswith("sqlite")
                         else postgresql.TIMESTAMP))
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [{"attempt_id": aid, "slot": slot, "response": json.loads(variants[slot][0]),
             "saved_seq": 1, "saved_at": now}
            for aid, _token, variants in attempts for slot in variants]
    insert = (sqlite.insert if url.startswith("sqlite") else postgresql.insert)(table)
    engine = _engine(url)
    with engine.begin() as conn:
        conn.execute(insert.on_conflict_do_nothing(index_elements=["attempt_id", "slot"]), rows)
    engine.dispose()
    return len(rows)


def locked_lines(log: Path) -> int:
    return log.read_text(errors="replace").count("database is locked") if log.exists() else 0


# ---------------------------------------------------------------- reporting


def summary(name: str, result: dict, seconds: float | None = None, **extra) -> dict:
    ordered = sorted(result["latencies"])
    ok = result["status"].get(200, 0)
    errors = {str(k): v for k, v in result["status"].items() if k != 200}
    row = {"scenario": name, "ok": ok, "errors": sum(errors.values()), "error_codes": errors,
           "p50_ms": round(percentile(ordered, 0.50) * 1000, 1),
           "p95_ms": round(percentile(ordered, 0.95) * 1000, 1),
           "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
           "max_ms": round(ordered[-1] * 1000, 1) if ordered else None}
    if seconds:
        row["per_s"] = round(ok / seconds, 1)
    if result["lags"]:
        lags = sorted(result["lags"])
        row["client_lag_p99_ms"] = round(percentile(lags, 0.99) * 1000, 1)
    row.update(extra)
    parts = [f"{k}={v}" for k, v in row.items() if k not in ("scenario", "error_codes")]
    print(f"  {name:<28} " + " ".join(parts), flush=True)
    return row


def check(checks: dict, name: str, passed: bool) -> None:
    checks[name] = bool(passed)
    print(f"  {'OK  ' if passed else 'MISS'} {name}", flush=True)


# ---------------------------------------------------------------- one database


def seed_instance(env: dict, workdir: Path, students: int) -> dict:
    out = workdir / "seed.json"
    command = [sys.executable, "-m", "tests.load.exam_seed", "seed", "--students", str(students),
               "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"seeding failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(out.read_text())


def grade_micro(env: dict, attempt_id: int, rounds: int) -> dict:
    command = [sys.executable, "-m", "tests.load.exam_seed", "grade", "--attempt",
               str(attempt_id), "--rounds", str(rounds)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"grading benchmark failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def old_tree(rev: str, workdir: Path) -> Path:
    """REV's files in a folder (``git archive``) with this tree's vendored front-end files and
    compiled translations."""
    target = workdir / f"rev-{rev}"
    target.mkdir()
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")
    vendor = ROOT / "lms" / "static" / "vendor"
    if vendor.exists() and not (target / "lms/static/vendor").exists():
        (target / "lms/static/vendor").symlink_to(vendor.resolve())
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "compile", "--use-fuzzy", "-d",
                    str(target / "lms/translations")], capture_output=True, check=False)
    return target


def warm_up(o, port: int, students: list, start: str, save: str, page: str,
            minimal: bool = False) -> None:
    """A few unmeasured starts, saves and page reads, so no scenario pays first requests."""
    begun = run_clients(o, "prepare", students, port=port, path=start, concurrency=8,
                        parse=not minimal)
    sitting = [(aid, None if minimal else token_of, variants or {1: [b'{"choice": "x"}']})
               for (aid, variants), token_of in (
                   (begun["attempts"][uid], token) for uid, token in students)]
    for kind, path in (("save", save), ("page", page)):
        run_clients(o, "closed", sitting, port=port, kind_of=kind, path=path, seq_base=0,
                    duration=1.0, concurrency=8, warmup=0.0)


def bench_database(database: str, url: str | None, workdir: Path, o) -> dict:
    """Seed, then serve the baseline, HocLieu (and ``--compare-rev``) side by side, so each
    comparison is measured back to back under the same machine load."""
    env = instance_env(workdir / database, url)
    url = env["HOCLIEU_DATABASE_URL"]
    only_start = o.only == "s2"
    needed = (o.start_students if only_start
              else max(o.students, o.start_students, o.s5_students, o.submits + o.burst))
    # --compare-rev in S2 needs a crowd of its own (one attempt per student)
    extra = o.start_students if o.compare_rev else 0
    print(f"[{database}] seeding {needed} students and a 40-question exam…", flush=True)
    started = time.perf_counter()
    seed = seed_instance(env, workdir / database, needed + extra + WARM_STUDENTS)
    print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
    students, warm = seed["students"][:needed], seed["students"][needed + extra:]
    old_crowd = seed["students"][needed:needed + extra]
    tokens = {uid: token for uid, token in students}
    rows, checks = [], {}
    closed = {"concurrency": o.concurrency, "warmup": o.warmup}
    log = workdir / database / "gunicorn.log"
    start_path = f"/api/v1/exams/{seed['exam_id']}/attempts"
    save_path = "/api/v1/attempts/{attempt}/answers/{slot}"
    page_path = "/api/v1/attempts/{attempt}"
    min_start_path = f"/min/exams/{seed['min_exam_id']}/attempts/{{user}}"
    min_save_path = "/min/attempts/{attempt}/answers/{slot}"
    min_page_path = "/min/attempts/{attempt}"

    with contextlib.ExitStack() as stack:
        minimal = stack.enter_context(LiveServer(env, "tests.load.exam_min_app:app",
                                                 log_path=workdir / database / "min.log"))
        app = stack.enter_context(LiveServer(env, log_path=log))
        old = None
        if o.compare_rev:
            tree = old_tree(o.compare_rev, workdir / database)
            old = stack.enter_context(LiveServer({**env, "PYTHONPATH": str(tree)}, root=tree,
                                                 log_path=workdir / database / "old.log"))
        print(f"[{database}] servers up: baseline :{minimal.port}, HocLieu :{app.port}"
              + (f", {o.compare_rev} :{old.port}" if old else ""), flush=True)
        warm_up(o, minimal.port, [(uid, None) for uid, _t in warm], min_start_path,
                min_save_path, min_page_path, minimal=True)
        warm_up(o, app.port, warm, start_path, save_path, page_path)
        if old:
            warm_up(o, old.port, warm, start_path, save_path, page_path)

        # S2: baseline then HocLieu
        crowd = [(uid, None) for uid, _token in students[:o.start_students]]
        res = run_clients(o, "starts", crowd, port=minimal.port, path=min_start_path)
        min_start = summary("S2 start (baseline)", res)
        rows.append(min_start)
        min_attempts = [(aid, None, {s: [b'{"choice": "%08x"}' % (aid * 100 + s)]
                                     for s in range(1, 41)})
                        for aid, _v in res["attempts"].values()]
        res = run_clients(o, "starts", students[:o.start_students], port=app.port,
                          path=start_path, parse=True)
        attempts = res["attempts"]
        s2 = summary("S2 start", res, **verify_starts(url, seed["exam_id"], attempts),
                     drain_ratio_to_baseline=round(
                         max(res["latencies"]) / max(min_start["max_ms"] / 1000, 1e-9), 2)
                     if res["latencies"] else None)
        rows.append(s2)
        check(checks, f"{database}: S2 {o.start_students} starts, 0 errors", s2["errors"] == 0)
        check(checks, f"{database}: S2 all served within 3 s", (s2["max_ms"] or 1e9) <= 3000)
        check(checks, f"{database}: S2 p99 <= 2.5 s", s2["p99_ms"] <= 2500)
        check(checks, f"{database}: S2 exactly one attempt each",
              s2["not_exactly_one"] == 0 and s2["students_served"] == o.start_students)
        check(checks, f"{database}: S2 drain <= 4x baseline",
              (s2["drain_ratio_to_baseline"] or 1e9) <= 4)
        if old:
            res = run_clients(o, "starts", old_crowd, port=old.port, path=start_path)
            rows.append(summary(f"S2 start @{o.compare_rev}", res,
                                **verify_starts(url, seed["exam_id"], res["attempts"]),
                                drain_ratio_to_baseline=round(
                                    max(res["latencies"]) / max(min_start["max_ms"] / 1000,
                                                                1e-9), 2)
                                if res["latencies"] else None))
        if only_start:
            for row in rows:
                row["database"] = database
            return {"rows": rows, "checks": checks}
        rest = [(uid, token) for uid, token in students[o.start_students:needed]]
        if rest:
            print(f"  starting {len(rest)} more attempts (not measured)…", flush=True)
            more = run_clients(o, "prepare", rest, port=app.port, path=start_path,
                               concurrency=8)
            attempts.update(more["attempts"])
        order = sorted(attempts.items(), key=lambda kv: kv[1][0])
        sitting = [(aid, tokens[int(uid)], variants) for uid, (aid, variants) in order]

        # S1 steady autosave (open loop)
        res = run_clients(o, "open_saves", sitting[:o.students], port=app.port, path=save_path,
                          interval=o.interval, duration=o.s1_seconds, seq_base=0)
        s1 = summary("S1 steady autosave", res, o.s1_seconds, **verify_answers(url, res["acks"]))
        rows.append(s1)
        check(checks, f"{database}: S1 p95 < 50 ms", s1["p95_ms"] < 50)
        check(checks, f"{database}: S1 p99 < 100 ms", s1["p99_ms"] < 100)
        check(checks, f"{database}: S1 0 errors, lost, duplicated, reordered",
              s1["errors"] == s1["lost"] == s1["duplicated"] == s1["reordered"] == 0)

        # S1 capacity and S3 pages: baseline, HocLieu, older revision, back to back
        def closed_loop(name, port, items, kind, path, seq_base, seconds, baseline=None):
            res = run_clients(o, "closed", items, port=port, kind_of=kind, path=path,
                              seq_base=seq_base, duration=seconds, **closed)
            extra = verify_answers(url, res["acks"]) if kind == "save" else {}
            row = summary(name, res, seconds, **extra)
            if baseline:
                row["ratio_to_baseline"] = round(row["per_s"] / max(baseline["per_s"], 1e-9), 3)
                print(f"    {row['per_s']}/s = {row['ratio_to_baseline']} x baseline", flush=True)
            rows.append(row)
            return row

        min_cap = closed_loop("S1 capacity (baseline)", minimal.port, min_attempts, "save",
                              min_save_path, 0, o.capacity_seconds)
        cap = closed_loop("S1 capacity", app.port, sitting, "save", save_path, 1_000_000,
                          o.capacity_seconds, min_cap)
        check(checks, f"{database}: S1 capacity >= 1000 saves/s", cap["per_s"] >= 1000)
        check(checks, f"{database}: S1 capacity >= 0.3 x baseline", cap["ratio_to_baseline"] >= 0.3)
        check(checks, f"{database}: S1 capacity 0 lost, reordered",
              cap["lost"] == cap["reordered"] == 0)
        if old:
            before = closed_loop(f"S1 capacity @{o.compare_rev}", old.port, sitting, "save",
                                 save_path, 2_000_000, o.capacity_seconds, min_cap)
            print(f"    now/before: {cap['per_s'] / max(before['per_s'], 1e-9):.2f}x", flush=True)
        min_pages = closed_loop("S3 pages (baseline)", minimal.port, min_attempts, "page",
                                min_page_path, 0, o.page_seconds)
        pages = closed_loop("S3 pages", app.port, sitting, "page", page_path, 0, o.page_seconds,
                            min_pages)
        check(checks, f"{database}: S3 >= 1150 pages/s", pages["per_s"] >= 1150)
        if old:
            before = closed_loop(f"S3 pages @{o.compare_rev}", old.port, sitting, "page",
                                 page_path, 0, o.page_seconds, min_pages)
            print(f"    now/before: {pages['per_s'] / max(before['per_s'], 1e-9):.2f}x",
                  flush=True)

        # S5: S1 at 10x
        locked_before = locked_lines(log)
        res = run_clients(o, "open_saves", sitting[:o.s5_students], port=app.port,
                          path=save_path, interval=o.s5_interval, duration=o.s5_seconds,
                          seq_base=3_000_000)
        s5 = summary("S5 autosave x10", res, o.s5_seconds, **verify_answers(url, res["acks"]),
                     database_is_locked=locked_lines(log) - locked_before)
        rows.append(s5)
        check(checks, f"{database}: S5 p99 < 100 ms", s5["p99_ms"] < 100)
        check(checks, f"{database}: S5 max < 1 s", (s5["max_ms"] or 1e9) < 1000)
        check(checks, f"{database}: S5 0 'database is locked', 0 errors",
              s5["database_is_locked"] == 0 and s5["errors"] == 0)
        check(checks, f"{database}: S5 0 lost, duplicated, reordered",
              s5["lost"] == s5["duplicated"] == s5["reordered"] == 0)

        # S4: grading micro-benchmark, then the submit rush
        rush = sitting[:o.submits + o.burst]
        filled = fill_answers(url, rush)
        grading = grade_micro(env, rush[0][0], o.grade_rounds)
        print(f"  grading one attempt in-process: {grading}", flush=True)
        rows.append({"scenario": "S4 grade one attempt (in-process)", **grading})
        check(checks, f"{database}: S4 grading p95 <= 20 ms", grading["p95_ms"] <= 20)
        rng = random.Random(o.seed)
        middle = max(0.0, o.submit_seconds / 2 - o.burst_seconds / 2)
        schedule = ([(rng.uniform(0, o.submit_seconds), aid, token)
                     for aid, token, _v in rush[:o.submits]]
                    + [(middle + rng.uniform(0, o.burst_seconds), aid, token)
                       for aid, token, _v in rush[o.submits:]])
        res = run_clients(o, "submits", schedule, port=app.port,
                          path="/api/v1/attempts/{attempt}/submit")
        s4 = summary("S4 submit rush", res, o.submit_seconds, answers_filled=filled,
                     **verify_submits(url, [aid for aid, _t, _v in rush]))
        rows.append(s4)
        check(checks, f"{database}: S4 p99 < 1 s", s4["p99_ms"] < 1000)
        check(checks, f"{database}: S4 every attempt finished once and graded",
              s4["errors"] == 0 and s4["finished_and_graded"] == len(rush))
    for row in rows:
        row["database"] = database
    return {"rows": rows, "checks": checks}


# ---------------------------------------------------------------- main


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.load.exam_bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", nargs="+", choices=["sqlite", "postgresql"],
                        default=["sqlite"])
    parser.add_argument("--pg-server", default=DEFAULT_PG, help="server URL for postgresql")
    parser.add_argument("--full", action="store_true", help="the sizes of issue 4 §6")
    for key, value in QUICK.items():
        parser.add_argument("--" + key.replace("_", "-"), type=type(value), default=None,
                            help=f"default {value} (--full: {FULL[key]})")
    parser.add_argument("--concurrency", type=int, default=16, help="closed-loop clients")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--client-procs", type=int, default=1, help="load generator processes")
    parser.add_argument("--compare-rev", default=None,
                        help="also serve this git revision (S2, S1 capacity, S3) on the same "
                             "data")
    parser.add_argument("--only", choices=["s2"], default=None,
                        help="run only this scenario (s2: the synchronised start) and stop")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    options = parser.parse_args(argv)
    sizes = FULL if options.full else QUICK
    for key, value in sizes.items():
        if getattr(options, key) is None:
            setattr(options, key, value)
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    started = time.perf_counter()
    rows, checks = [], {}
    with tempfile.TemporaryDirectory(prefix="hoclieu-exam-bench-") as tmp:
        workdir = Path(tmp)
        for database in options.database:
            if database == "postgresql":
                with PostgresDatabase(options.pg_server) as url:
                    part = bench_database(database, url, workdir, options)
            else:
                part = bench_database(database, None, workdir, options)
            rows += part["rows"]
            checks.update(part["checks"])
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; "
          f"{time.perf_counter() - started:.0f} s in all", flush=True)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_before": load, "load_after": load_after},
        "settings": {"gunicorn_workers": GUNICORN_WORKERS, "gunicorn_threads": GUNICORN_THREADS,
                     **{k: v for k, v in vars(options).items() if k != "out"}},
        "results": rows, "checks": checks,
    }
    options.out.mkdir(parents=True, exist_ok=True)
    path = options.out / f"exam-bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"written: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
