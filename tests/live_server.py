"""Run the real application under gunicorn for the browser suite and the benchmarks.

``prepare_instance`` migrates a fresh database and loads the demo data with the same command an
operator uses (``flask --app wsgi setup --demo``); ``LiveServer`` starts gunicorn on a free
loopback port and waits for ``/healthz``. Both run from the repository root with the current
interpreter, so the checked-out code is what is served.
"""

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "lms" / "static" / "vendor" / "bootstrap"
#: Cheap password hashing for throw-away instances; never used in production.
FAST_ARGON2 = {"HOCLIEU_ARGON2_MEMORY_KIB": "1024", "HOCLIEU_ARGON2_TIME_COST": "1",
               "HOCLIEU_ARGON2_PARALLELISM": "1"}
#: The gunicorn settings ``make run`` (lms/serve.py) uses: two processes, four threads each.
GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4


def require_vendor_files() -> None:
    """Pages need Bootstrap and scorm-again from lms/static/vendor; say how to get them when
    they are missing."""
    wanted = (VENDOR / "bootstrap.min.css",
              VENDOR.parent / "scorm-again" / "cross-frame-api.min.js")
    if not all(path.exists() for path in wanted):
        raise RuntimeError(
            f"{VENDOR.relative_to(ROOT)} is missing: the front-end files are not installed. "
            "Run `make install` (or `npm ci && sh scripts/vendor.sh "
            "lms/static/vendor`) first."
        )


def instance_env(instance: Path, database_url: str | None = None) -> dict[str, str]:
    """Environment for a throw-away instance: its own folder, database and secret key."""
    instance.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update(FAST_ARGON2)
    env.update({
        "HOCLIEU_INSTANCE_PATH": str(instance),
        "HOCLIEU_DATABASE_URL": database_url or f"sqlite:///{instance / 'hoclieu.sqlite'}",
        "HOCLIEU_SECRET_KEY": secrets.token_hex(16),
        "HOCLIEU_CELERY_EAGER": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


def prepare_instance(env: dict[str, str]) -> None:
    """Migrations, curriculum seed and demo data, through the operator command."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "setup", "--demo"]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"`flask setup --demo` failed:\n{result.stdout}\n{result.stderr}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """gunicorn serving ``app_spec`` on 127.0.0.1; use as a context manager."""

    def __init__(self, env: dict[str, str], app_spec: str = "wsgi:app",
                 workers: int = GUNICORN_WORKERS, threads: int = GUNICORN_THREADS,
                 health_path: str = "/healthz", log_path: Path | None = None,
                 root: Path = ROOT):
        self.env, self.app_spec, self.health_path = env, app_spec, health_path
        #: The checkout served (another revision's tree for before/after benchmarks).
        self.root = root
        self.workers, self.threads = workers, threads
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "LiveServer":
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(self.workers), "--threads", str(self.threads),
                   "--graceful-timeout", "5", self.app_spec]
        log = open(self.log_path, "wb") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(command, cwd=self.root, env=self.env,
                                            stdout=log, stderr=log)
        finally:
            if self.log_path:
                log.close()
        self._wait_healthy(self.health_path, timeout)
        return self

    def _wait_healthy(self, path: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; "
                                   f"see {self.log_path or 'its output'}")
            with (contextlib.suppress(OSError, urllib.error.URLError),
                  urllib.request.urlopen(self.url + path, timeout=2) as response):
                if response.status == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.url}{path} did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
