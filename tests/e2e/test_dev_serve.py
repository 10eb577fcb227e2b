"""`python3 dev.py serve` runs the web server, a task worker and the sync scheduler, and stops them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WAIT = 90.0  # migrate and seed_demo run first


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_commands(pid: int) -> list[str]:
    """Command lines of a process's children (Linux /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    commands = []
    for child in children:
        try:
            commands.append(
                Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            )
        except FileNotFoundError:
            continue
    return commands


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads children from /proc")
def test_serve_starts_the_web_server_the_worker_and_the_scheduler(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DEBUG": "true",
    }
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-c", "import sys, dev; dev.serve(sys.argv[1])", address],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + WAIT
        commands: list[str] = []
        answered = False
        while time.monotonic() < deadline and not answered:
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                answered = httpx.get(f"http://{address}/", timeout=1).status_code < 500
            except httpx.HTTPError:
                time.sleep(0.5)
        commands = child_commands(serve.pid)
        assert answered, (tmp_path / "serve.log").read_text()
        for service in ("runserver", "db_worker", "sync_scheduler"):
            assert any(f"manage.py {service}" in command for command in commands), commands
        time.sleep(2)  # still running a moment later: none of them died on start-up
        assert len(child_commands(serve.pid)) == 3, (tmp_path / "serve.log").read_text()

        os.killpg(serve.pid, signal.SIGINT)
        assert serve.wait(timeout=30) == 0
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait()
        log.close()
