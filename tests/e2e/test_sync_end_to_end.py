"""End to end: a change travels both ways between Switchyard and a fake Sentry, over real HTTP.

Four separate processes share one fresh database (a temporary SQLite file, or a database created
for the test on the PostgreSQL server that DATABASE_URL points at): the web server, a task worker
(``db_worker``), the scheduler (``sync_scheduler``) and the fake Sentry (``python -m
switchyard.fakes serve sentry``), which sends signed webhooks to the web server. The test only
speaks HTTP: to Switchyard's REST API as the demo organization admin, and to the fake's API with
our own Sentry client, acting as a person working in Sentry.

Each process writes its output to a file; the files are printed at teardown, which pytest shows
only when the test fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import pytest
from psycopg import sql

from switchyard.fakes.sentry import DEFAULT_TOKEN
from switchyard.monitoring.connectors.sentry.client import SentryClient
from tests.e2e.ports import free_ports

pytestmark = pytest.mark.e2e

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MANAGE = (sys.executable, str(PROJECT_ROOT / "manage.py"))
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "psql"}
WAIT = 30.0  # the longest any single step may take, in seconds
ADMIN = {"username": "admin", "password": "demo-admin-pass"}  # seed_demo's organization admin
SENTRY_ORGANIZATION = "acme"
SEEDED_ISSUES = 12
WEBHOOK_SECRET = "e2e-webhook-secret"
JIRA_EMAIL, JIRA_TOKEN = "bot@example.com", "fake-jira-token"  # the fake Jira's defaults

T = TypeVar("T")


# -- small helpers ---------------------------------------------------------------------------


def expect(response: httpx.Response, status: int) -> Any:
    """The JSON body of a response that must have this status."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url} answered {response.status_code}, "
        f"expected {status}: {response.text[:2000]}"
    )
    return response.json()


def results(api: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every row of a paginated list endpoint."""
    rows: list[dict[str, Any]] = []
    page = expect(api.get(path, params=params), 200)
    rows.extend(page["results"])
    while page["next"]:
        page = expect(api.get(page["next"]), 200)
        rows.extend(page["results"])
    return rows


class Processes:
    """Child processes, each in its own process group, with output captured to a file."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir = log_dir
        self.env = env
        self.running: dict[str, subprocess.Popen] = {}

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def run(self, name: str, *argv: str, timeout: float = 120) -> None:
        """Run a command to completion; its output goes to its log, which a failure shows."""
        with self.log_path(name).open("wb") as log:
            completed = subprocess.run(
                argv,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=timeout,
            )
        assert completed.returncode == 0, (
            f"{name} exited with {completed.returncode}:\n{self.log_path(name).read_text()}"
        )

    def start(self, name: str, *argv: str) -> None:
        with self.log_path(name).open("wb") as log:
            self.running[name] = subprocess.Popen(
                argv,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as a whole
            )

    def check_alive(self) -> None:
        for name, process in self.running.items():
            code = process.poll()
            assert code is None, f"{name} exited with {code}:\n{self.log_path(name).read_text()}"

    def wait_for(
        self, what: str, probe: Callable[[], T | None], timeout: float = WAIT, every: float = 0.2
    ) -> T:
        """Poll ``probe`` until it returns something truthy; fail fast if a process died."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up after {timeout:g} s waiting for {what}")
            time.sleep(every)

    def stop_all(self) -> None:
        for process in self.running.values():
            self._signal(process, signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._signal(process, signal.SIGKILL)
                process.wait(timeout=5)

    @staticmethod
    def _signal(process: subprocess.Popen, signum: int) -> None:
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            pass

    def print_logs(self) -> None:
        for path in sorted(self.log_dir.glob("*.log")):
            print(f"\n----- {path.stem} -----\n{path.read_text(errors='replace')}")


def http_ready(url: str) -> bool:
    """Whether anything answers HTTP at this URL (any status will do)."""
    try:
        httpx.get(url, timeout=1)
    except httpx.TransportError:
        return False
    return True


def start_fake(processes: Processes, kind: str, *options: str) -> str:
    """Serve a seeded fake remote of ``kind`` in its own process; its base URL."""
    name = f"fake-{kind}"
    processes.start(
        name, sys.executable, "-m", "switchyard.fakes", "serve", kind, "--port", "0", *options
    )

    def announced_url() -> str | None:
        for line in processes.log_path(name).read_text().splitlines():
            if " serving on " in line:
                return line.rsplit(" ", 1)[-1]
        return None

    base_url = processes.wait_for(f"the fake {kind} to announce its URL", announced_url)
    processes.wait_for(f"the fake {kind} to answer", lambda: http_ready(base_url))
    return base_url


def start_fake_sentry(
    processes: Processes, *, webhook_url: str, webhook_secret: str, activity: float | None = None
) -> str:
    """Serve a seeded fake Sentry that sends signed webhooks to ``webhook_url``; its base URL.
    With ``activity``, it raises new errors (and regressions, resolutions) on its own every so
    many seconds."""
    options = ["--activity", str(activity)] if activity else []
    return start_fake(
        processes,
        "sentry",
        "--issues",
        str(SEEDED_ISSUES),
        "--projects",
        "2",
        "--webhook-url",
        webhook_url,
        "--webhook-secret",
        webhook_secret,
        *options,
    )


# -- the database ----------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: on the PostgreSQL server of DATABASE_URL if it is one, else SQLite."""
    configured = os.environ.get("DATABASE_URL", "")
    if urlsplit(configured).scheme not in POSTGRES_SCHEMES:
        yield f"sqlite:///{tmp_path / 'switchyard.sqlite3'}"
        return
    name = f"switchyard_e2e_{uuid.uuid4().hex[:12]}"
    # libpq knows only the postgres(ql) schemes; django-environ also takes pgsql and psql.
    maintenance = urlunsplit(
        urlsplit(_with_database(configured, "postgres"))._replace(scheme="postgresql")
    )
    with psycopg.connect(maintenance, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(configured, name)
    finally:
        with psycopg.connect(maintenance, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# -- the processes, one fixture each ---------------------------------------------------------


@pytest.fixture
def processes(tmp_path: Path, database_url: str) -> Iterator[Processes]:
    """Runs commands against the fresh database (migrated, with the demo data); stops them all."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        # pytest's own default is the immediate backend: the worker needs the real queue.
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SWITCHYARD_ALLOW_PRIVATE_REMOTES": "true",  # the fake Sentry listens on 127.0.0.1
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    children = Processes(log_dir, env)
    try:
        children.run("migrate", *MANAGE, "migrate", "--no-input")
        children.run("seed_demo", *MANAGE, "seed_demo")
        yield children
    finally:
        children.stop_all()
        children.print_logs()  # captured by pytest: shown only when the test fails


@pytest.fixture
def web_server(processes: Processes) -> str:
    """Switchyard's web server; its base URL.

    Django's development server: no production WSGI server is among the dependencies. It cannot
    report a port the system chose, so the test picks a free one first.
    """
    (port,) = free_ports(1)
    processes.start("web", *MANAGE, "runserver", f"127.0.0.1:{port}", "--noreload")
    base_url = f"http://127.0.0.1:{port}"
    processes.wait_for("the web server to answer", lambda: http_ready(f"{base_url}/api/auth/me/"))
    return base_url


@pytest.fixture
def worker(processes: Processes) -> None:
    processes.start(
        "worker", *MANAGE, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"
    )


@pytest.fixture
def scheduler(processes: Processes) -> None:
    processes.start("scheduler", *MANAGE, "sync_scheduler", "--interval", "1")


@pytest.fixture
def api(web_server: str) -> Iterator[httpx.Client]:
    """The REST API as the organization admin, with a token from the login endpoint."""
    with httpx.Client(base_url=web_server, timeout=10) as client:
        token = expect(client.post("/api/auth/login/", json=ADMIN), 200)["token"]
        client.headers["Authorization"] = f"Token {token}"
        yield client


# -- the steps -------------------------------------------------------------------------------


def connect_sentry(
    api: httpx.Client, processes: Processes, activity: float | None = None
) -> tuple[dict[str, Any], str]:
    # The admin adds the connection first, to learn the webhook URL to configure in Sentry,
    # and turns its sync on once Sentry is set up.
    connection = expect(
        api.post(
            "/api/connections/",
            json={
                "kind": "sentry",
                "name": "Acme Sentry",
                "remote_organization": SENTRY_ORGANIZATION,
                "api_token": DEFAULT_TOKEN,
                "webhook_secret": WEBHOOK_SECRET,
                "sync_enabled": False,
            },
        ),
        201,
    )
    fake_url = start_fake_sentry(
        processes,
        webhook_url=connection["webhook_url"],
        webhook_secret=WEBHOOK_SECRET,
        activity=activity,
    )
    # A new host needs the token again: a stored token never follows the URL elsewhere.
    expect(
        api.patch(
            f"/api/connections/{connection['id']}/",
            json={"base_url": fake_url, "api_token": DEFAULT_TOKEN, "sync_enabled": True},
        ),
        200,
    )
    return connection, fake_url


def pull_issues(
    api: httpx.Client, processes: Processes, sentry: SentryClient, mine: dict
) -> list[dict[str, Any]]:
    """Remote -> local: a pull brings Sentry's issues in; the unresolved ones."""
    remote_ids = {remote.id for remote in sentry.iter_issues(status=None)}
    assert len(remote_ids) == SEEDED_ISSUES
    expect(api.post(f"/api/connections/{mine['connection']}/sync/"), 202)

    def pulled_issues() -> list[dict[str, Any]] | None:
        rows = results(api, "/api/sentry/issues/")
        return rows if {row["external_id"] for row in rows} == remote_ids else None

    issues = processes.wait_for("the issues to be pulled", pulled_issues)
    runs = results(api, "/api/sync-runs/", **mine)
    assert runs and {run["status"] for run in runs} == {"succeeded"}, runs
    return [row for row in issues if row["status"] == "unresolved"]


def resolve_here_and_see_it_in_sentry(
    api: httpx.Client, processes: Processes, sentry: SentryClient, mine: dict, issue: dict
) -> None:
    """Local -> remote: resolving here reaches Sentry through the outbox."""
    answer = expect(api.post(f"/api/sentry/issues/{issue['id']}/resolve/"), 200)
    assert answer["status"] == "resolved"
    processes.wait_for(
        "Sentry to show the issue resolved here as resolved",
        lambda: sentry.get_issue(issue["external_id"]).status == "resolved",
    )

    def delivered_entries() -> list[dict[str, Any]] | None:
        rows = results(api, "/api/outbox/", **mine)
        return rows if all(row["status"] == "delivered" for row in rows) else None

    [entry] = processes.wait_for("the outbox entry to be delivered", delivered_entries)
    assert entry["operation"] == "sentry.set_status"
    assert entry["payload"] == {"issue": issue["id"], "status": "resolved"}


def webhooks_bring_sentrys_change(
    api: httpx.Client, processes: Processes, mine: dict, resolved_here: dict, in_sentry: dict
) -> None:
    def issue(pk: int) -> dict[str, Any]:
        return expect(api.get(f"/api/sentry/issues/{pk}/"), 200)

    processes.wait_for(
        "the issue resolved in Sentry to be resolved here",
        lambda: issue(in_sentry["id"])["status"] == "resolved",
    )

    def processed_deliveries() -> list[dict[str, Any]] | None:
        rows = results(api, "/api/webhook-deliveries/", event_type="issue", **mine)
        return rows if [row["status"] for row in rows] == ["processed", "processed"] else None

    # Two issue webhooks, both applied: the echo of our own change and the change made in Sentry.
    deliveries = processes.wait_for("both webhooks to be processed", processed_deliveries)
    assert [delivery["error"] for delivery in deliveries] == ["", ""]
    # The change that came from Sentry is not sent back to it, and ours stays as it was.
    assert len(results(api, "/api/outbox/", **mine)) == 1
    assert issue(resolved_here["id"])["status"] == "resolved"


def a_jira_project_where_a_rule_makes_tickets(
    api: httpx.Client, processes: Processes
) -> tuple[str, dict[str, Any]]:
    """A Jira connection, its pulled project open to rules, and a rule making tickets there for
    new errors; the fake Jira's URL and the project."""
    jira_url = start_fake(processes, "jira", "--issues", "3", "--projects", "1")
    jira = expect(
        api.post(
            "/api/connections/",
            json={
                "kind": "jira",
                "name": "Acme Jira",
                "base_url": jira_url,
                "account_email": JIRA_EMAIL,
                "api_token": JIRA_TOKEN,
            },
        ),
        201,
    )
    expect(api.post(f"/api/connections/{jira['id']}/sync/"), 202)

    def jira_projects() -> list[dict[str, Any]] | None:
        rows = results(api, "/api/tracker-projects/")
        return [row for row in rows if row["connection"] == jira["id"]] or None

    [project] = processes.wait_for("the Jira project to be pulled", jira_projects)
    expect(
        api.patch(f"/api/tracker-projects/{project['id']}/", json={"rules_may_create": True}), 200
    )
    expect(
        api.post(
            "/api/automation-rules/",
            json={
                "name": "New errors become tickets",
                "active": True,
                "conditions": {"new_issues_only": True, "min_level": "error"},
                "action": {"tracker_project": project["id"], "labels": ["from-sentry"]},
            },
        ),
        201,
    )
    return jira_url, project


# -- the tests -------------------------------------------------------------------------------


def test_changes_travel_both_ways(
    api: httpx.Client, processes: Processes, worker: None, scheduler: None
) -> None:
    connection, fake_url = connect_sentry(api, processes)
    mine = {"connection": connection["id"]}
    with SentryClient(
        fake_url, token=DEFAULT_TOKEN, organization=SENTRY_ORGANIZATION, timeout=5
    ) as sentry:
        resolved_here, resolved_in_sentry = pull_issues(api, processes, sentry, mine)[:2]
        resolve_here_and_see_it_in_sentry(api, processes, sentry, mine, resolved_here)

        # Webhook: someone resolves another issue in Sentry; its webhook brings the change here.
        sentry.update_issue_status(resolved_in_sentry["external_id"], "resolved")

    webhooks_bring_sentrys_change(api, processes, mine, resolved_here, resolved_in_sentry)


def test_a_rule_turns_an_issue_arriving_by_webhook_into_a_ticket(
    api: httpx.Client, processes: Processes, worker: None
) -> None:
    # No scheduler runs: after the first pull, which brings Sentry's projects, issues come here
    # by webhook only.
    jira_url, project = a_jira_project_where_a_rule_makes_tickets(api, processes)
    # The fake Sentry raises a new error every second or so, each announced by a webhook.
    connection, _ = connect_sentry(api, processes, activity=1)
    sentry_runs = {"connection": connection["id"]}
    expect(api.post(f"/api/connections/{connection['id']}/sync/"), 202)

    def first_pull() -> list[dict[str, Any]] | None:
        runs = results(api, "/api/sync-runs/", **sentry_runs)
        return runs if runs and runs[0]["status"] != "running" else None

    [run] = processes.wait_for("the first pull", first_pull)
    assert run["status"] == "succeeded", run
    pulled = {row["id"] for row in results(api, "/api/sentry/issues/")}

    def rule_ticket() -> dict[str, Any] | None:
        for link in results(api, "/api/ticket-links/"):
            if link["source_type"] == "sentryissue" and link["source_id"] not in pulled:
                return link if link["ticket"] else None
        return None

    link = processes.wait_for("a ticket made by the rule", rule_ticket, timeout=3 * WAIT)
    assert link["created_via"] == "rule"
    issue = expect(api.get(f"/api/sentry/issues/{link['source_id']}/"), 200)
    assert issue["level"] in {"error", "fatal"}
    # The issue came after the pull, by webhook (no other pull ran), and the ticket is in Jira.
    assert len(results(api, "/api/sync-runs/", **sentry_runs)) == 1
    with httpx.Client(base_url=jira_url, auth=(JIRA_EMAIL, JIRA_TOKEN), timeout=5) as remote:
        ticket = expect(remote.get(f"/rest/api/3/issue/{link['ticket']['key']}"), 200)
    assert "from-sentry" in ticket["fields"]["labels"]
