"""``python -m tests.load.run`` (``make bench``): throughput and latency of the main endpoints.

In one run, on loopback only:

1. a Flask hello world (tests/load/hello_app.py) under gunicorn — the baseline;
2. HocLieu under the same gunicorn settings, on a fresh instance with the demo data:
   ``GET /api/v1/me`` with a Bearer token, ``GET /login``, and ``GET /`` (the dashboard) for a
   logged-in teacher.

Each scenario is a bounded closed loop: ``--concurrency`` clients, each on one keep-alive
connection, send the next request when the previous answer has arrived, for ``--duration``
seconds after a short warm-up. Reported: requests/s, p50/p95/p99 latency and the ratio to the
baseline; the figures are written as JSON to bench-results/. ``--pg`` also runs the HocLieu
scenarios on a throw-away PostgreSQL database.
"""

import argparse
import http.client
import json
import os
import platform
import re
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from tests.live_server import (
    GUNICORN_THREADS,
    GUNICORN_WORKERS,
    ROOT,
    LiveServer,
    instance_env,
    prepare_instance,
)

PASSWORD = "hoclieu-demo"
#: The lightest authenticated JSON endpoint must keep at least this fraction of the
#: hello-world throughput (issue 2 §7): auth, session and middleware cost at most 2×.
ME_TARGET = 0.5
TARGETED = ("api_heartbeat", "api_me")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Scenario:
    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    name: str
    database: str
    requests: int
    errors: int
    seconds: float
    throughput: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    ratio_to_hello: float | None = None


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(fraction * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _client(port: int, scenario: Scenario, stop: threading.Event, record: threading.Event,
            latencies: list[float], errors: list[int]) -> None:
    """One closed-loop client on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        started = time.perf_counter()
        try:
            connection.request("GET", scenario.path, headers=scenario.headers)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
            if response.will_close:
                connection.close()
        except (OSError, http.client.HTTPException):
            ok = False
            connection.close()
        elapsed = time.perf_counter() - started
        if record.is_set():
            if ok:
                latencies.append(elapsed)
            else:
                errors.append(1)
    connection.close()


def measure(port: int, scenario: Scenario, database: str, duration: float,
            concurrency: int, warmup: float) -> Result:
    """Run ``concurrency`` clients for ``warmup`` + ``duration`` seconds; count the latter."""
    stop, record = threading.Event(), threading.Event()
    latencies: list[float] = []
    errors: list[int] = []
    clients = [threading.Thread(target=_client, daemon=True,
                                args=(port, scenario, stop, record, latencies, errors))
               for _ in range(concurrency)]
    for client in clients:
        client.start()
    time.sleep(warmup)
    record.set()
    started = time.perf_counter()
    time.sleep(duration)
    record.clear()
    seconds = time.perf_counter() - started
    stop.set()
    for client in clients:
        client.join(timeout=35)
    ordered = sorted(latencies)
    return Result(
        name=scenario.name, database=database, requests=len(ordered), errors=len(errors),
        seconds=round(seconds, 2), throughput=round(len(ordered) / seconds, 1),
        p50_ms=round(percentile(ordered, 0.50) * 1000, 2),
        p95_ms=round(percentile(ordered, 0.95) * 1000, 2),
        p99_ms=round(percentile(ordered, 0.99) * 1000, 2),
    )


def _request(port: int, method: str, path: str, body: str | None = None,
             headers: dict | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.body = response.read()
    connection.close()
    return response


def api_token(port: int, username: str) -> str:
    """A Bearer token from ``POST /api/v1/auth/token``."""
    response = _request(port, "POST", "/api/v1/auth/token",
                        json.dumps({"username": username, "password": PASSWORD}),
                        {"Content-Type": "application/json"})
    if response.status != 201:
        raise RuntimeError(f"token for {username}: HTTP {response.status} {response.body!r}")
    return json.loads(response.body)["token"]


def session_cookie(port: int, username: str) -> str:
    """The ``Cookie`` header of a browser session, logged in through the login form."""
    page = _request(port, "GET", "/login")
    cookie = page.getheader("Set-Cookie", "").split(";", 1)[0]
    token = CSRF_RE.search(page.body.decode())
    if not token:
        raise RuntimeError("no CSRF token on /login")
    form = urllib.parse.urlencode({"csrf_token": token.group(1), "username": username,
                                   "password": PASSWORD, "next": ""})
    response = _request(port, "POST", "/login", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    if response.status != 302:
        raise RuntimeError(f"login as {username}: HTTP {response.status}")
    return response.getheader("Set-Cookie", "").split(";", 1)[0]


def hoclieu_scenarios(port: int) -> list[Scenario]:
    token = api_token(port, "teacher")
    cookie = session_cookie(port, "teacher")
    return [
        Scenario("api_heartbeat", "/api/v1/heartbeat", {"Authorization": f"Bearer {token}"}),
        Scenario("api_me", "/api/v1/me", {"Authorization": f"Bearer {token}"}),
        Scenario("login_page", "/login"),
        Scenario("teacher_dashboard", "/", {"Cookie": cookie}),
    ]


class PostgresDatabase:
    """A throw-away database on the PostgreSQL server at ``server_url``."""

    def __init__(self, server_url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        self.name = f"hoclieu_bench_{uuid.uuid4().hex[:8]}"
        server = make_url(server_url)
        self.admin = create_engine(server, isolation_level="AUTOCOMMIT")
        self.url = server.set(database=self.name).render_as_string(hide_password=False)

    def __enter__(self) -> str:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self.url

    def __exit__(self, *exc) -> None:
        from sqlalchemy import text

        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def bench_hello(workdir: Path, options) -> Result:
    env = instance_env(workdir / "hello")
    with LiveServer(env, "tests.load.hello_app:app", health_path="/",
                    log_path=workdir / "hello.log") as server:
        return measure(server.port, Scenario("hello", "/"), "-", options.duration,
                       options.concurrency, options.warmup)


def bench_hoclieu(workdir: Path, options, database: str, url: str | None) -> list[Result]:
    env = instance_env(workdir / database, url)
    print(f"  preparing the {database} instance (migrations, demo data)…", flush=True)
    prepare_instance(env)
    with LiveServer(env, log_path=workdir / f"{database}.log") as server:
        return [measure(server.port, scenario, database, options.duration,
                        options.concurrency, options.warmup)
                for scenario in hoclieu_scenarios(server.port)]


def report(results: list[Result], options) -> dict:
    hello = next(r for r in results if r.name == "hello")
    for result in results:
        result.ratio_to_hello = round(result.throughput / hello.throughput, 3)
    print(f"\n{'scenario':<20}{'db':<12}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}{'errors':>8}{'× hello':>9}")
    for r in results:
        print(f"{r.name:<20}{r.database:<12}{r.throughput:>9.1f}{r.p50_ms:>9.2f}"
              f"{r.p95_ms:>9.2f}{r.p99_ms:>9.2f}{r.errors:>8}{r.ratio_to_hello:>9.2f}")
    checks = {f"{r.name}_{r.database}_at_least_half_of_hello": r.ratio_to_hello >= ME_TARGET
              for r in results if r.name in TARGETED}
    for name, passed in checks.items():
        print(f"{'OK  ' if passed else 'LOW '} {name}")
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count()},
        "settings": {"gunicorn_workers": GUNICORN_WORKERS, "gunicorn_threads": GUNICORN_THREADS,
                     "concurrency": options.concurrency, "duration_s": options.duration,
                     "warmup_s": options.warmup},
        "results": [asdict(r) for r in results],
        "checks": checks,
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.load.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=12, help="measured seconds per scenario")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds first")
    parser.add_argument("--concurrency", type=int, default=8, help="closed-loop clients")
    parser.add_argument("--pg", nargs="?", const=DEFAULT_PG, default=None, metavar="URL",
                        help=f"also run on PostgreSQL (server URL, default {DEFAULT_PG})")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(sys.argv[1:] if argv is None else argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="hoclieu-bench-") as tmp:
        workdir = Path(tmp)
        print("baseline: Flask hello world", flush=True)
        results.append(bench_hello(workdir, options))
        print("HocLieu on SQLite", flush=True)
        results += bench_hoclieu(workdir, options, "sqlite", None)
        if options.pg:
            print("HocLieu on PostgreSQL", flush=True)
            with PostgresDatabase(options.pg) as url:
                results += bench_hoclieu(workdir, options, "postgresql", url)
    summary = report(results, options)
    options.out.mkdir(parents=True, exist_ok=True)
    path = options.out / f"bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
