"""``make run``'s launcher: a SIGTERM stops the web server and the worker with it."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(line) for line in found.stdout.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text(
    ).split()[2]


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc to follow the children")
def test_sigterm_stops_the_web_server_and_the_worker(tmp_path):
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "HOCLIEU_INSTANCE_PATH": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "setup"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    launcher = subprocess.Popen([sys.executable, "-m", "lms.serve"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        else:
            pytest.fail("the web server did not start")
        children = _children(launcher.pid)
        assert len(children) == 2, children             # gunicorn and the celery worker
        launcher.send_signal(signal.SIGTERM)
        assert launcher.wait(timeout=40) == 0
        time.sleep(0.5)
        assert [pid for pid in children if _alive(pid)] == []
    finally:
        if launcher.poll() is None:
            launcher.kill()
