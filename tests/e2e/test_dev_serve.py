"""`python3 dev.py serve` shows a living hub: the demo against fake Sentry, Jira and Linear.

One run of the entry point in a temporary directory, on free ports: the web server, the worker,
the scheduler and the three fakes start; the demo data settles (Sentry issues, tickets, customer
issues); an error the fake Sentry raises on its own becomes a Sentry issue here and, through the
demo rule, a ticket in a fake tracker; and stopping it leaves no process and no port behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from switchyard.fakes.sentry import DEFAULT_TOKEN
from switchyard.monitoring.connectors.sentry.client import SentryClient
from tests.e2e.ports import free_ports
from tests.e2e.test_sync_end_to_end import database_url, expect, results  # noqa: F401

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads processes from /proc"),
]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START = 150.0  # migrate, the demo data and the first sync of three fakes come first
WAIT = 30.0
ADMIN = {"username": "admin", "password": "demo-admin-pass"}
T = TypeVar("T")


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = {int(c) for c in (task / "children").read_text().split()}
            except FileNotFoundError:
                continue
            todo.extend(children - found)
            found |= children
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def port_free(port: int) -> bool:
    """Nothing listens on the port (connections closed moments ago may linger in TIME_WAIT)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Serve:
    """dev.py serve in its own process group, its output in a file."""

    def __init__(self, tmp_path: Path, env: dict[str, str], address: str) -> None:
        self.log = tmp_path / "serve.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import sys, dev; sys.exit(dev.serve(sys.argv[1]))",
                    address,
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop_after_failure(self) -> None:
        """Stop it if a failed test left it running: politely, so that it stops its children
        (each in its own process group), then forcibly, with whatever is left below it."""
        if self.process.poll() is not None:
            return
        left = descendants(self.process.pid)
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        for pid in left:
            if alive(pid) and "dev.py" not in (command := _command(pid)):
                if "manage.py" in command or "switchyard.fakes" in command:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, what: str, probe: Callable[[], T | None], timeout: float = WAIT) -> T:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, f"dev.py serve stopped:\n{self.output()}"
            value = probe()
            if value:
                return value
            assert time.monotonic() < deadline, f"gave up waiting for {what}"
            time.sleep(0.3)


@pytest.fixture
def serve(tmp_path: Path, database_url: str) -> Iterator[tuple[Serve, dict[str, int]]]:  # noqa: F811
    kinds = ("web", "sentry", "jira", "linear")
    ports = dict(zip(kinds, free_ports(len(kinds)), strict=True))
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": database_url,
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DEBUG": "true",
        "DEMO_SENTRY_PORT": str(ports["sentry"]),
        "DEMO_JIRA_PORT": str(ports["jira"]),
        "DEMO_LINEAR_PORT": str(ports["linear"]),
        # A new error every few seconds, and a worker not swamped by them on a busy CI machine.
        "DEMO_ACTIVITY_SECONDS": "2",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DEMO", None)  # the default: the demo
    running = Serve(tmp_path, env, f"127.0.0.1:{ports['web']}")
    try:
        yield running, ports
    finally:
        running.stop_after_failure()
        print(running.output())  # shown when the test fails


def _logged_in(base_url: str) -> httpx.Client | None:
    client = httpx.Client(base_url=base_url, timeout=10)
    try:
        response = client.post("/api/auth/login/", json=ADMIN)
    except httpx.TransportError:
        client.close()
        return None
    client.headers["Authorization"] = f"Token {expect(response, 200)['token']}"
    return client


def count(api: httpx.Client, path: str, **params: Any) -> int:
    return expect(api.get(path, params=params), 200)["count"]


def settled(api: httpx.Client) -> bool:
    """No change waits to go out to a remote, and every webhook received has been handled."""
    return (
        count(api, "/api/outbox/", status="pending") == 0
        and count(api, "/api/webhook-deliveries/", status="received") == 0
        and count(api, "/api/webhook-deliveries/", status="processing") == 0
    )


def test_serve_shows_a_living_hub_and_stops_cleanly(serve) -> None:
    running, ports = serve
    api = running.wait_for(
        "the web server", lambda: _logged_in(f"http://127.0.0.1:{ports['web']}"), timeout=START
    )
    fake_sentry = f"http://127.0.0.1:{ports['sentry']}"
    running.wait_for("the demo to settle", lambda: settled(api), timeout=START)
    with SentryClient(fake_sentry, token=DEFAULT_TOKEN, organization="acme") as sentry:
        # Every kind of row is there, synced from the fakes.
        assert count(api, "/api/sentry/issues/") >= 40
        assert count(api, "/api/tickets/") >= 50
        assert count(api, "/api/issues/") >= 4
        assert count(api, "/api/automation-rules/") == 1
        kinds = {row["kind"] for row in expect(api.get("/api/connections/"), 200)["results"]}
        assert kinds == {"sentry", "jira", "linear"}

        # The fake Sentry raises new errors on its own; the next one travels all the way.
        known = {issue.id for issue in sentry.iter_issues(status=None)}

        def new_error() -> str | None:
            fresh = {issue.id for issue in sentry.iter_issues(status=None)} - known
            return min(fresh) if fresh else None

        external_id = running.wait_for("a new error in the fake Sentry", new_error)
        raised_at = time.monotonic()

        def stored() -> dict | None:
            rows = results(api, "/api/sentry/issues/")
            return next((row for row in rows if row["external_id"] == external_id), None)

        def ticket() -> dict | None:
            for link in results(api, "/api/ticket-links/"):
                if link["source_type"] == "sentryissue" and link["source_id"] == issue["id"]:
                    return link["ticket"]
            return None

        issue = running.wait_for("the new error to become a Sentry issue here", stored)
        left = WAIT - (time.monotonic() - raised_at)
        created = running.wait_for("the demo rule's ticket in a fake tracker", ticket, timeout=left)
        assert created["key"], created
    api.close()

    workers = descendants(running.process.pid)
    assert len(workers) >= 6, running.output()  # 3 fakes, web (and its reloader), worker, scheduler
    os.killpg(running.process.pid, signal.SIGINT)
    assert running.process.wait(timeout=30) == 0, running.output()
    assert not [_command(pid) for pid in workers if alive(pid)]
    assert [name for name, port in ports.items() if not port_free(port)] == []
