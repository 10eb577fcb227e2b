"""What the benchmarks share: fresh databases, child processes, percentiles, the load average.

Each benchmark runs as a script (``.venv/bin/python bench/<name>.py``) and imports this module
from its own folder. Every figure is printed with the machine's load average: on a shared
machine absolute times move with the load; ratios and orders of magnitude do not.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432"
# Settings for the processes measured: production-like (DEBUG off, so Django keeps no query log).
CHILD_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-only-secret-key",
    "SWITCHYARD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1rZXktMzItYnl0ZXMtbG9uZyEhISE=",
    "LOG_LEVEL": "WARNING",
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_COOKIES": "false",
    "SECURE_SSL_REDIRECT": "false",  # served over plain HTTP on 127.0.0.1
    "SWITCHYARD_ALLOW_PRIVATE_REMOTES": "true",  # the fakes listen on 127.0.0.1
    "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
}
MANAGE = [sys.executable, str(ROOT / "manage.py")]


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user and system) used so far by process ``pid`` and its living descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The fields after the command name, which may itself hold spaces and parentheses.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, total = {pid}, 0
    for _ in range(8):  # processes a few levels deep at most
        tree |= {child for child, (parent, _) in stats.items() if parent in tree}
    for member in tree:
        total += stats.get(member, (0, 0))[1]
    return total / ticks


def percentile(values: Sequence[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def child_env(database_url: str, **extra: str) -> dict[str, str]:
    return {**os.environ, **CHILD_ENV, "DATABASE_URL": database_url, **extra}


def setup_django(database_url: str) -> None:
    """Set Django up in this process against ``database_url`` (for a measuring child)."""
    os.environ.update(child_env(database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


@contextlib.contextmanager
def sqlite_database() -> Iterator[str | None]:
    with tempfile.TemporaryDirectory(prefix="bench-sqlite-") as directory:
        yield f"sqlite:///{directory}/bench.sqlite3"


@contextlib.contextmanager
def postgres_database() -> Iterator[str | None]:
    """A fresh database on the local PostgreSQL, dropped afterwards; None if it does not answer."""
    import psycopg
    from psycopg import sql

    name = f"switchyard_bench_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(
            f"{POSTGRES_SERVER}/postgres", autocommit=True, connect_timeout=3
        ) as c:
            c.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        reason = str(error).splitlines()[0]
        print(f"postgres: skipped, {POSTGRES_SERVER} does not answer: {reason}")
        yield None
        return
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as c:
            c.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


DATABASES: dict[str, Callable[[], contextlib.AbstractContextManager[str | None]]] = {
    "sqlite": sqlite_database,
    "postgres": postgres_database,
}


def database_names(choice: str) -> list[str]:
    return ["sqlite", "postgres"] if choice == "both" else [choice]


def print_table(
    columns: list[tuple[str, Callable[[dict[str, Any]], str]]], rows: list[dict]
) -> None:
    lines = [[title for title, _ in columns]]
    lines += [[cell(row) for _, cell in columns] for row in rows]
    widths = [max(len(line[n]) for line in lines) for n in range(len(columns))]
    for line in lines:
        print("  ".join(text.rjust(width) for text, width in zip(line, widths, strict=True)))


def migrate(database_url: str) -> None:
    subprocess.run(
        [*MANAGE, "migrate", "--verbosity", "0"], cwd=ROOT, env=child_env(database_url), check=True
    )


class Processes:
    """Background processes of one run, stopped (by their own ids) when it ends."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.running: list[subprocess.Popen] = []
        self.logs = tempfile.TemporaryDirectory(prefix="bench-logs-")

    def start(self, name: str, *argv: str) -> subprocess.Popen:
        log = open(Path(self.logs.name) / f"{name}.log", "w")  # noqa: SIM115 - closed with the run
        process = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        process.name = name  # type: ignore[attr-defined]
        self.running.append(process)
        return process

    def log(self, name: str) -> str:
        return (Path(self.logs.name) / f"{name}.log").read_text()

    def wait_for_line(self, name: str, pattern: str, timeout: float = 60) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if match := re.search(pattern, self.log(name)):
                return match
            if any(p.poll() is not None for p in self.running if p.name == name):  # type: ignore[attr-defined]
                break
            time.sleep(0.1)
        raise RuntimeError(f"{name} did not print {pattern!r}:\n{self.log(name)[-3000:]}")

    def stop(self) -> None:
        for process in reversed(self.running):
            if process.poll() is None:
                process.terminate()
        for process in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.logs.cleanup()

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


# The last line of credentials each fake prints after its URL.
LAST_CREDENTIAL = {"sentry": "auth token", "jira": "API token", "linear": "API key"}


def serve_fake(processes: Processes, kind: str, *extra: str) -> tuple[str, dict[str, str]]:
    """A fake remote served on 127.0.0.1; its base URL and the credentials it printed."""
    processes.start(
        f"fake-{kind}",
        sys.executable,
        "-m",
        "switchyard.fakes",
        "serve",
        kind,
        "--port",
        "0",
        *extra,
    )
    url = processes.wait_for_line(f"fake-{kind}", r"serving on (http://\S+)").group(1)
    processes.wait_for_line(f"fake-{kind}", rf"(?m)^{LAST_CREDENTIAL[kind]}: \S+")
    output = processes.log(f"fake-{kind}")
    credentials = dict(re.findall(r"^(email|API token|API key): (\S+)", output, re.MULTILINE))
    return url, credentials


def serve_web(processes: Processes, workers: int = 2, threads: int = 1) -> str:
    """gunicorn with ``workers`` workers on an ephemeral port of 127.0.0.1 (sync workers, or
    gthread workers of ``threads`` threads each); its base URL."""
    processes.start(
        "web",
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi",
        "--workers",
        str(workers),
        *(["--worker-class", "gthread", "--threads", str(threads)] if threads > 1 else []),
        "--bind",
        "127.0.0.1:0",
        "--log-level",
        "info",
    )
    url = processes.wait_for_line("web", r"Listening at: (http://127\.0\.0\.1:\d+)").group(1)
    processes.wait_for_line(
        "web", r"(?s)Booting worker.*Booting worker" if workers > 1 else "Booting worker"
    )
    return url


def database_to_measure(name: str, url: str | None):
    """``url`` as given (filled once, kept for the next run), else a throw-away one of ``name``."""
    return contextlib.nullcontext(url) if url else DATABASES[name]()


def run_measuring_child(script: str, database_url: str, *argv: str) -> list[dict[str, Any]]:
    """Run ``script --measure *argv`` against ``database_url``; the JSON list it printed last."""
    done = subprocess.run(
        [sys.executable, script, "--measure", *argv],
        cwd=ROOT,
        env=child_env(database_url),
        stdout=subprocess.PIPE,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"the measurement failed (exit status {done.returncode})")
    return json.loads(done.stdout.splitlines()[-1])


def timed_gets(client, url: str, repeat: int) -> dict[str, Any]:
    """GET ``url`` twice to warm up, then ``repeat`` times: p50, p99 and the queries of one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - begin)
        assert response.status_code == 200, (url, response.content[:300])
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return {
        "endpoint": url,
        "p50_ms": median(times) * 1000,
        "p99_ms": percentile(times, 0.99) * 1000,
        "queries": len(captured),
        "sql": [query["sql"] for query in captured],
    }


def add_filled_database_arguments(parser) -> None:
    """The options of a benchmark that fills a database and measures it in a child process."""
    import argparse

    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="postgres")
    parser.add_argument(
        "--database-url", help="measure this database (filled on the first run, then kept)"
    )
    parser.add_argument("--tiny", action="store_true", help="a few hundred rows on SQLite")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
