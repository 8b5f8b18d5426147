"""``python -m tests.api_fuzz``: schemathesis against the JSON API, as a teacher and a student.

A throw-away instance with the demo data (the operator's ``flask setup --demo``) is served by
gunicorn on a free loopback port (tests/live_server.py). The demo teacher and student get a
Bearer token each, and schemathesis generates requests from ``/api/v1/openapi.json`` for a
bounded time per account. Ids that exist in the demo data are offered for about half of the
id parameters and body fields (the rest are generated: 0, 2**63 − 1, strings …), so requests
reach the services and not only the 404s. The only check is ``not_a_server_error``: any 5xx
fails the run (security.md 41). ``.ci/run`` runs it on SQLite.

Environment: ``HOCLIEU_FUZZ_SECONDS`` — the time budget of the whole run, split between the
two accounts (default 180); ``HOCLIEU_FUZZ_SEED`` — schemathesis' seed (default: a new one,
printed, so a failure can be replayed); ``HOCLIEU_FUZZ_WORKERS`` (default 1: with threads,
Python 3.11's ``ast`` sometimes fails inside schemathesis — "AST constructor recursion depth
mismatch" — which would fail the run for nothing). Reports (JUnit,
and a pytest file reproducing each failure) go to ``fuzz-report/<account>/``.
"""

import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

from tests.live_server import ROOT, LiveServer, instance_env, prepare_instance

PASSWORD = "hoclieu-demo"
ACCOUNTS = ("teacher", "student")
#: Operations that would end the run's own session rather than test anything.
EXCLUDED = ("DELETE /api/v1/auth/token",)
REPORTS = ROOT / "fuzz-report"
#: Where each dictionary of real ids is offered: path parameters and body fields.
ID_TABLES = {"exam": "exam", "attempt": "attempt", "question": "question", "lesson": "lesson",
             "page": "lesson_page", "assignment": "exam_assignment", "user": "user",
             "class": "school_class", "unit": "unit", "topic": "topic"}
BINDINGS = {
    "path.exam_id": "exam", "path.attempt_id": "attempt", "path.question_id": "question",
    "path.lesson_id": "lesson", "path.page_id": "page", "path.assignment_id": "assignment",
    "path.user_id": "user", "body.question_ids[*]": "question", "body.ids[*]": "question",
    "body.class_id": "class", "body.assign.class_ids[*]": "class", "body.class_ids[*]": "class",
    "body.unit_ids[*]": "unit", "body.student_ids[*]": "user", "body.page_ids[*]": "page",
}
PROBABILITY = 0.5


def _ids(database: Path) -> dict[str, list[int]]:
    """A few real ids of each table (SQLite: the instance the server uses)."""
    with sqlite3.connect(database) as conn:
        return {name: [row[0] for row in conn.execute(
            f'SELECT id FROM "{table}" ORDER BY id LIMIT 50')] or [1]  # noqa: S608 — constants
            for name, table in ID_TABLES.items()}


def write_config(path: Path, ids: dict[str, list[int]]) -> None:
    """A schemathesis.toml offering the real ids (and small slots) with PROBABILITY."""
    lines = []
    for name, values in {**ids, "slot": list(range(1, 11))}.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for key, name in {**BINDINGS, "path.slot": "slot", "body.slot": "slot"}.items():
        lines.append(f'"{key}" = {{ dictionary = "{name}", probability = {PROBABILITY} }}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _token(base_url: str, username: str) -> str:
    body = json.dumps({"username": username, "password": PASSWORD}).encode()
    request = urllib.request.Request(f"{base_url}/api/v1/auth/token", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 — loopback
        return json.load(response)["token"]


def _schemathesis(base_url: str, config: Path, token: str, seconds: int, seed: int,
                  workers: int, account: str) -> int:
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
        f"{base_url}/api/v1/openapi.json", "--url", base_url,
        "--checks", "not_a_server_error", "--max-time", str(seconds), "--seed", str(seed),
        "--workers", str(workers), "--header", f"Authorization: Bearer {token}",
        "--request-timeout", "60", "--suppress-health-check", "all", "--no-color",
        "--report", "junit,pytest", "--report-dir", str(REPORTS / account),
    ]
    for operation in EXCLUDED:
        method, path = operation.split(" ", 1)
        command += ["--exclude-by", f'method == "{method}" and path == "{path}"']
    print(f"\n--- schemathesis as {account} for {seconds} s (seed {seed})", flush=True)
    return subprocess.run(command, cwd=ROOT, check=False).returncode


def main() -> int:
    seconds = int(os.environ.get("HOCLIEU_FUZZ_SECONDS", "180"))
    seed = int(os.environ.get("HOCLIEU_FUZZ_SEED") or random.SystemRandom().randrange(2**31))
    workers = int(os.environ.get("HOCLIEU_FUZZ_WORKERS", "1"))
    with tempfile.TemporaryDirectory(prefix="hoclieu-fuzz-") as folder:
        instance = Path(folder) / "instance"
        env = instance_env(instance)
        prepare_instance(env)
        config = Path(folder) / "schemathesis.toml"
        write_config(config, _ids(instance / "hoclieu.sqlite"))
        log = Path(folder) / "gunicorn.log"
        failed = []
        with LiveServer(env, log_path=log) as server:
            tokens = {name: _token(server.url, name) for name in ACCOUNTS}
            for name in ACCOUNTS:
                code = _schemathesis(server.url, config, tokens[name],
                                     max(1, seconds // len(ACCOUNTS)), seed, workers, name)
                if code != 0:
                    failed.append(name)
        if failed:
            print(f"\nschemathesis failed as {', '.join(failed)}; the server's log ends:\n")
            print("\n".join(log.read_text(errors="replace").splitlines()[-300:]), flush=True)
            return 1
    print("\nschemathesis: no server error", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
