"""``make run``: the web server and one Celery worker side by side; Ctrl-C stops both."""

import contextlib
import os
import signal
import subprocess
import sys

from lms.config import INSTANCE
from lms.demo import NAMED_ACCOUNTS, PASSWORD


def _stop(signum, frame) -> None:
    """SIGTERM (a service manager's stop, ``kill``) ends the pair like Ctrl-C does."""
    raise KeyboardInterrupt


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    port = os.environ.get("PORT", "5000")
    bindir = os.path.dirname(sys.executable)
    celery = [os.path.join(bindir, "celery"), "-A", "wsgi.celery_app", "worker", "--beat",
              "-Q", "celery,search", "--concurrency", "1", "--loglevel", "INFO",
              "--schedule", str(INSTANCE / "celerybeat-schedule")]
    gunicorn = [os.path.join(bindir, "gunicorn"), "--bind", f"127.0.0.1:{port}",
                "--workers", "2", "--threads", "4", "--access-logfile", "-", "wsgi:app"]
    worker = subprocess.Popen(celery)  # noqa: S603 — fixed argv
    web = subprocess.Popen(gunicorn)  # noqa: S603 — fixed argv
    print(f"\nHocLieu đang chạy: http://127.0.0.1:{port}/", flush=True)
    print(f"Tài khoản demo (mật khẩu {PASSWORD}): {', '.join(NAMED_ACCOUNTS)}", flush=True)
    print("Nhấn Ctrl-C để dừng.\n", flush=True)
    try:
        while web.poll() is None and worker.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                web.wait(timeout=1)
    except KeyboardInterrupt:
        pass
    finally:
        for process in (web, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
