"""Benchmark: a Jira ticket moved to Done until its Sentry issue is resolved in Sentry.

    .venv/bin/python bench/propagation.py [--changes 50] [--database sqlite]
    .venv/bin/python bench/propagation.py --tiny          # seconds: the suite runs this

A fresh database, ``gunicorn config.wsgi --workers 2``, one ``db_worker`` and the
``sync_scheduler`` with their default settings, a fake Sentry and a fake Jira served on 127.0.0.1
(the fake Jira posts its signed webhooks to Switchyard). Switchyard pulls both, and creates a
Jira ticket for each of ``--changes`` unresolved Sentry issues. Then, one change every
``--spacing`` seconds, a person moves a ticket to Done in Jira (its REST API); the script polls
the fake Sentry until the issue is resolved there. Printed: p50 / p95 / max of that time over the
changes. What bounds it: two task hops (the webhook, then the outbox delivery to Sentry), each
waiting up to the worker's polling interval when its queue was empty (``db_worker --interval``,
1 s by default); the scheduler tick (10 s) is not on the path, it only repairs lost work.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
from benchlib import (
    DATABASES,
    MANAGE,
    ROOT,
    Processes,
    child_env,
    load_average,
    median,
    percentile,
    serve_fake,
    serve_web,
    setup_django,
)

SECRET = "jira-bench-secret"
SENTRY_TOKEN = "fake-sentry-token"  # switchyard.fakes.sentry.DEFAULT_TOKEN


def setup(database_url: str, facts: dict) -> list[dict]:
    """Connections, a pull of both remotes, a ticket requested for each of the first issues."""
    setup_django(database_url)
    from django.core.management import call_command

    from switchyard.accounts.models import Organization
    from switchyard.monitoring.models import SentryIssue
    from switchyard.sync.services import connection_create
    from switchyard.trackers.models import TrackerProject
    from switchyard.trackers.services import ticket_create_for_source

    organization = Organization.objects.create(name="Bench", slug="bench")
    connection_create(
        organization=organization,
        kind="sentry",
        name="Sentry",
        base_url=facts["sentry_url"],
        remote_organization="acme",
        api_token=SENTRY_TOKEN,
    )
    jira = connection_create(
        organization=organization,
        kind="jira",
        name="Jira",
        base_url=facts["jira_url"],
        account_email=facts["jira_email"],
        api_token=facts["jira_token"],
        webhook_secret=SECRET,
    )
    jira.uuid = facts["jira_uuid"]
    jira.save(update_fields=["uuid"])
    call_command("sync", stdout=open("/dev/null", "w"))  # noqa: SIM115
    project = TrackerProject.objects.filter(connection=jira).order_by("key").first()
    issues = SentryIssue.objects.filter(status="unresolved").order_by("pk")[: facts["changes"]]
    return [
        {
            "link": ticket_create_for_source(source=issue, tracker_project=project).pk,
            "sentry_id": issue.external_id,
        }
        for issue in issues
    ]


def ticket_keys(database_url: str, links: list[dict], timeout: float) -> dict[int, str]:
    """Wait until the worker has created every ticket; link id -> ticket key."""
    from webhooks import query  # the same read-only peek into the database

    wanted = ",".join(str(link["link"]) for link in links)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = query(
            database_url,
            "SELECT l.id, t.key FROM trackers_ticketlink l JOIN trackers_ticket t"
            f" ON t.id = l.ticket_id WHERE l.id IN ({wanted})",
        )
        if len(rows) == len(links):
            return dict(rows)
        time.sleep(0.2)
    raise SystemExit("the tickets were not created in time")


def close_in_jira(jira: httpx.Client, key: str) -> None:
    transitions = jira.get(f"/rest/api/3/issue/{key}/transitions").json()["transitions"]
    done = next(t for t in transitions if t["to"]["statusCategory"]["key"] == "done")
    jira.post(
        f"/rest/api/3/issue/{key}/transitions", json={"transition": {"id": done["id"]}}
    ).raise_for_status()


def start_fakes(processes: Processes, web: str, changes: int) -> dict[str, Any]:
    """Fake Sentry, and fake Jira sending its webhooks to ``web``; what the setup child needs."""
    jira_uuid = str(uuid.uuid4())
    sentry_url, _ = serve_fake(
        processes, "sentry", "--issues", str(max(60, 2 * changes)), "--projects", "2"
    )
    jira_url, jira_login = serve_fake(
        processes,
        "jira",
        "--issues",
        "3",
        "--projects",
        "1",
        "--webhook-url",
        f"{web}/api/webhooks/jira/{jira_uuid}/",
        "--webhook-secret",
        SECRET,
    )
    return {
        "sentry_url": sentry_url,
        "jira_url": jira_url,
        "jira_uuid": jira_uuid,
        "jira_email": jira_login["email"],
        "jira_token": jira_login["API token"],
        "changes": changes,
    }


def links_made_by_child(database_url: str, facts: dict[str, Any]) -> list[dict[str, Any]]:
    """``setup`` run in a child process set up against the database."""
    made = subprocess.run(
        [sys.executable, __file__, "--setup", json.dumps(facts)],
        cwd=ROOT,
        env=child_env(database_url),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(made.stdout.splitlines()[-1])


def time_changes(facts: dict[str, Any], pending: list[tuple[str, str]], spacing: float) -> list:
    """Close each (Jira key, Sentry id) in Jira, one every ``spacing`` s; the seconds until each
    Sentry issue read resolved."""
    auth = (facts["jira_email"], facts["jira_token"])
    sentry_auth = {"Authorization": f"Bearer {SENTRY_TOKEN}"}
    waiting: dict[str, float] = {}
    took: list[float] = []
    with (
        httpx.Client(base_url=facts["jira_url"], auth=auth, timeout=10) as jira,
        httpx.Client(base_url=facts["sentry_url"], headers=sentry_auth, timeout=10) as sentry,
    ):
        next_change = time.monotonic()
        deadline = time.monotonic() + 120 + facts["changes"] * spacing
        while (pending or waiting) and time.monotonic() < deadline:
            if pending and time.monotonic() >= next_change:
                key, sentry_id = pending.pop(0)
                close_in_jira(jira, key)
                waiting[sentry_id] = time.monotonic()
                next_change += spacing
            for sentry_id in list(waiting):
                issue = sentry.get(f"/api/0/organizations/acme/issues/{sentry_id}/").json()
                if issue["status"] == "resolved":
                    took.append(time.monotonic() - waiting.pop(sentry_id))
            time.sleep(0.05)
    if waiting or pending:
        raise SystemExit(f"{len(waiting) + len(pending)} changes did not reach Sentry in time")
    return took


def measure(database_url: str, changes: int, spacing: float) -> list[float]:
    from benchlib import migrate

    migrate(database_url)
    with Processes(child_env(database_url)) as processes:
        web = serve_web(processes, workers=2)
        facts = start_fakes(processes, web, changes)
        processes.start("worker", *MANAGE, "db_worker")
        links = links_made_by_child(database_url, facts)
        processes.start("scheduler", *MANAGE, "sync_scheduler")  # after the pulls it would start
        keys = ticket_keys(database_url, links, timeout=60 + 2 * changes)
        pending = [(keys[link["link"]], link["sentry_id"]) for link in links]
        return time_changes(facts, pending, spacing)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--spacing", type=float, default=1.0, help="seconds between changes")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--tiny", action="store_true", help="three changes")
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup:
        import os

        print(json.dumps(setup(os.environ["DATABASE_URL"], json.loads(args.setup))))
        return
    if args.tiny:
        args.changes, args.spacing = 3, 0.5
    with DATABASES[args.database]() as database_url:
        if database_url is None:
            return
        print(
            f"{args.database}: {args.changes} tickets moved to Done in Jira, one every {args.spacing} s ...",
            flush=True,
        )
        took = measure(database_url, args.changes, args.spacing)
    print(
        f"{args.database}: Jira done -> Sentry resolved over {len(took)} changes:"
        f" p50 {median(took):.2f} s, p95 {percentile(took, 0.95):.2f} s, max {max(took):.2f} s"
        f"  ({load_average()})"
    )
    print(
        "bounded by two task hops, each up to the worker's polling interval (db_worker --interval, 1 s)"
    )


if __name__ == "__main__":
    main()
