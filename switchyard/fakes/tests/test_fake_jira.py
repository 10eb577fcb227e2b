"""The fake Jira itself: seeding, JQL, paging, errors, mutators, webhooks and `serve`."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchyard.fakes.jira import FakeJira
from switchyard.fakes.jira.jql import JqlError, parse_jql
from switchyard.trackers.connectors.jira.client import JiraClient
from switchyard.trackers.connectors.jira.webhooks import verify_signature

SITE = "https://acme.atlassian.net"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def fake() -> FakeJira:
    return FakeJira.seeded(issues=30, projects=3, seed=4)


@pytest.fixture
def http(fake: FakeJira) -> httpx.Client:
    auth = httpx.BasicAuth(fake.email, fake.api_token)
    return httpx.Client(base_url=SITE, transport=fake.transport(), auth=auth)


def search(http: httpx.Client, jql: str, **extra: Any) -> httpx.Response:
    return http.post(
        "/rest/api/3/search/jql", json={"jql": jql, "fields": ["summary", "updated"], **extra}
    )


def keys_of(response: httpx.Response) -> list[str]:
    return [issue["key"] for issue in response.json()["issues"]]


# -- seeding --------------------------------------------------------------------------------


def test_seeding_is_deterministic() -> None:
    def snapshot(fake: FakeJira) -> list[tuple[str, str, datetime, str]]:
        return [(i.key, i.summary, i.updated, i.status.name) for i in fake.issues.values()]

    assert snapshot(FakeJira.seeded(issues=40, seed=9)) == snapshot(
        FakeJira.seeded(issues=40, seed=9)
    )
    assert snapshot(FakeJira.seeded(issues=40, seed=9)) != snapshot(
        FakeJira.seeded(issues=40, seed=10)
    )


def test_seeded_data_is_consistent(fake: FakeJira) -> None:
    assert len(fake.issues) == 30 and list(fake.projects) == ["PAY", "WEB", "API"]
    for issue in fake.issues.values():
        assert issue.updated >= issue.created
        assert (issue.resolved is not None) == (issue.status.category == "done")
    numbers = sorted((i.project.key, i.number) for i in fake.issues.values())
    assert len(set(numbers)) == 30


def test_seeding_many_issues_and_paging_through_them() -> None:
    fake = FakeJira.seeded(issues=20_000, projects=5, seed=1)
    auth = httpx.BasicAuth(fake.email, fake.api_token)
    with httpx.Client(base_url=SITE, transport=fake.transport(), auth=auth) as http:
        page = search(
            http,
            'project in (PAY, WEB) AND updated >= "2025-05-01 00:00" ORDER BY updated ASC',
            maxResults=100,
        )
    assert len(page.json()["issues"]) == 100 and page.json()["nextPageToken"]


# -- JQL ------------------------------------------------------------------------------------


def test_jql_parser() -> None:
    query = parse_jql(
        'project in (pay, "WEB") AND updated >= "2025-01-02 03:04" AND labels = x '
        "AND key in (PAY-1, PAY-2) order by updated asc"
    )
    assert (
        query.projects == {"PAY", "WEB"}
        and query.labels == {"x"}
        and query.keys == {"PAY-1", "PAY-2"}
    )
    assert query.ranges["updated"] == [
        (">=", int(datetime(2025, 1, 2, 3, 4, tzinfo=UTC).timestamp() * 1000))
    ]
    assert (query.order_field, query.ascending) == ("updated", True)
    paris = parse_jql('created > "2025/01/02" ORDER BY created', time_zone="Europe/Paris")
    assert paris.ranges["created"][0][1] == int(
        datetime(2025, 1, 1, 23, tzinfo=UTC).timestamp() * 1000
    )
    assert paris.ascending is False
    assert not parse_jql("ORDER BY key").bounded


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("status = Done", "Field 'status' does not exist"),
        ("project = PAY OR project = WEB", "does not support 'OR'"),
        ('updated >= "yesterday"', "Date value 'yesterday'"),
        ("project in (PAY", "Expecting more input"),
        ("project = PAY ORDER BY priority", "cannot order by"),
        ("project ~ PAY", "only = and IN"),
        ("project = PAY extra", "Expecting either 'OR' or 'AND'"),
    ],
)
def test_unsupported_jql(jql: str, message: str) -> None:
    with pytest.raises(JqlError, match=message):
        parse_jql(jql)


def test_search_filters_and_orders(fake: FakeJira, http: httpx.Client) -> None:
    pay = sorted(
        (i for i in fake.issues.values() if i.project.key == "PAY"), key=lambda i: (i.updated, i.id)
    )
    assert keys_of(search(http, "project = PAY ORDER BY updated ASC")) == [i.key for i in pay]
    assert keys_of(search(http, "project = PAY ORDER BY updated DESC")) == [
        i.key for i in reversed(pay)
    ]
    middle = pay[len(pay) // 2].updated.replace(second=0, microsecond=0)
    # A JQL date is a point in time (the minute's start); date fields sort newest first by default.
    after = search(http, f'project = PAY AND updated > "{middle:%Y-%m-%d %H:%M}" ORDER BY updated')
    assert keys_of(after) == [i.key for i in reversed(pay) if i.updated > middle]
    assert 0 < len(keys_of(after)) < len(pay)
    assert keys_of(search(http, "key in (PAY-2, pay-1, NOPE-1) ORDER BY key")) == ["PAY-1", "PAY-2"]
    labelled = sorted(i.key for i in fake.issues.values() if "backend" in i.labels)
    assert sorted(keys_of(search(http, "labels = backend"))) == labelled
    created = search(http, "project = WEB ORDER BY created ASC")
    web = sorted(
        (i for i in fake.issues.values() if i.project.key == "WEB"), key=lambda i: (i.created, i.id)
    )
    assert keys_of(created) == [i.key for i in web]


def test_search_pages_with_tokens_and_a_cap(fake: FakeJira, http: httpx.Client) -> None:
    seen: list[str] = []
    token = None
    while True:
        body = {"nextPageToken": token} if token else {}
        page = search(
            http, "project in (PAY, WEB, API) ORDER BY updated ASC", maxResults=7, **body
        ).json()
        seen += [issue["key"] for issue in page["issues"]]
        token = page.get("nextPageToken")
        assert page["isLast"] is (token is None)
        if token is None:
            break
    assert len(seen) == 30 == len(set(seen))
    capped = search(http, "project in (PAY, WEB, API)", maxResults=1000)
    assert len(capped.json()["issues"]) == 30  # under the 100 cap
    assert search(http, "project = PAY", nextPageToken="garbage").status_code == 400


def test_a_changed_issue_moves_to_the_end_of_the_update_order(
    fake: FakeJira, http: httpx.Client
) -> None:
    first = keys_of(search(http, "project = PAY ORDER BY updated ASC"))[0]
    fake.add_comment(first, "bump")
    assert keys_of(search(http, "project = PAY ORDER BY updated ASC"))[-1] == first


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("ORDER BY updated", "Unbounded JQL queries are not allowed here."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        (
            "assignee = x",
            "Field 'assignee' does not exist or you do not have permission to view it.",
        ),
    ],
)
def test_search_errors_in_jira_shape(http: httpx.Client, jql: str, message: str) -> None:
    response = search(http, jql)
    assert response.status_code == 400
    assert response.json()["errors"] == {}
    assert response.json()["errorMessages"][0].startswith(message)


def test_get_search_returns_ids_by_default(http: httpx.Client) -> None:
    response = http.get("/rest/api/3/search/jql", params={"jql": "key = PAY-1"})
    assert response.json()["issues"] == [{"id": response.json()["issues"][0]["id"]}]


# -- REST errors ----------------------------------------------------------------------------


def test_auth_failures(fake: FakeJira) -> None:
    bare = httpx.Client(base_url=SITE, transport=fake.transport())
    for auth in (
        None,
        httpx.BasicAuth(fake.email, "nope"),
        httpx.BasicAuth("x@example.com", fake.api_token),
    ):
        response = bare.get("/rest/api/3/myself", auth=auth)
        assert response.status_code == 401
        assert response.json()["errorMessages"] and response.json()["errors"] == {}
    assert (
        bare.get(
            "/rest/api/3/myself", headers={"Authorization": "Bearer fake-jira-token"}
        ).status_code
        == 401
    )


def test_unknown_issue_route_and_method(http: httpx.Client) -> None:
    missing = http.get("/rest/api/3/issue/PAY-999")
    assert missing.status_code == 404
    assert missing.json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }
    assert http.get("/rest/api/3/nothing").status_code == 404
    assert http.delete("/rest/api/3/myself").status_code == 405


def test_create_and_edit_validation(fake: FakeJira, http: httpx.Client) -> None:
    bad = http.post(
        "/rest/api/3/issue",
        json={
            "fields": {
                "project": {"key": "PAY"},
                "summary": "",
                "issuetype": {"name": "Epic"},
                "description": "plain text",
                "labels": ["has space"],
                "assignee": {"accountId": "ghost"},
                "customfield_1": 1,
            }
        },
    )
    assert bad.status_code == 400 and bad.json()["errorMessages"] == []
    assert set(bad.json()["errors"]) == {
        "summary",
        "issuetype",
        "description",
        "labels",
        "assignee",
        "customfield_1",
    }
    edit = http.put("/rest/api/3/issue/PAY-1", json={"fields": {"status": {"name": "Done"}}})
    assert edit.status_code == 400 and "status" in edit.json()["errors"]
    assert http.put("/rest/api/3/issue/PAY-1", content=b"{oops").status_code == 400
    assert len(fake.issues) == 30


# -- people acting in the UI ----------------------------------------------------------------


def test_mutators_change_state_and_emit_webhooks(fake: FakeJira) -> None:
    fake.subscribe_webhooks(None, "s3")
    key = fake.create_issue_as_user(
        "WEB", "From UI", reporter="grace.hopper@example.com", labels=["ui"]
    )
    issue = fake.issue(key)
    assert issue.reporter_id == fake.user_by_email("grace.hopper@example.com").account_id
    before = issue.updated
    fake.transition_by_name(key, "Done")
    assert issue.status.name == "Done" and issue.resolved == issue.updated > before
    with pytest.raises(ValueError):
        fake.transition_by_name(key, "In Progress")  # only Reopen leads out of Done
    fake.transition_by_name(key, "To Do")
    assert issue.resolved is None
    fake.assign(key, "ada.lovelace@example.com")
    assert issue.assignee_id == fake.user_by_email("ada.lovelace@example.com").account_id
    fake.add_comment(key, "Hi", author="grace.hopper@example.com")
    events = [__import__("json").loads(body)["webhookEvent"] for _, body in fake.sent_webhooks]
    assert events == [
        "jira:issue_created",
        "jira:issue_updated",
        "jira:issue_updated",
        "jira:issue_updated",
        "comment_created",
    ]
    assert all(
        verify_signature("s3", body, headers["X-Hub-Signature"])
        for headers, body in fake.sent_webhooks
    )


def test_webhooks_are_posted_to_the_subscribed_url(fake: FakeJira) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers.items()), body))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fake.subscribe_webhooks(f"http://127.0.0.1:{server.server_address[1]}/hook", "secret")
        fake.add_comment("PAY-1", "over the wire")
        fake.webhooks.wait()
    finally:
        server.shutdown()
        server.server_close()
    assert len(received) == 1 and fake.webhooks.responses == [202]
    headers, body = received[0]
    assert body == fake.sent_webhooks[0][1]
    assert verify_signature("secret", body, headers["X-Hub-Signature"])
    assert headers["X-Atlassian-Webhook-Identifier"]


def test_unreachable_webhook_url_is_recorded_not_raised(fake: FakeJira) -> None:
    fake.subscribe_webhooks("http://127.0.0.1:9/unreachable", "secret")
    fake.assign("PAY-1", None)
    fake.assign("PAY-1", "ada.lovelace@example.com")
    fake.webhooks.wait()
    assert len(fake.sent_webhooks) >= 1 and fake.webhooks.errors


# -- the serve command ----------------------------------------------------------------------


@pytest.mark.e2e
def test_serve_command_runs_a_usable_fake() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "switchyard.fakes",
            "serve",
            "jira",
            "--port",
            "0",
            "--issues",
            "20",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:"), first
        help_lines = [process.stdout.readline() for _ in range(4)]
        assert any("fake-jira-token" in line for line in help_lines)
        with JiraClient(
            url, email="bot@example.com", api_token="fake-jira-token", timeout=5
        ) as client:
            assert client.myself().email == "bot@example.com"
            projects = [p.key for p in client.iter_projects()]
            issues = list(
                client.iter_issues_updated_since(projects, datetime(2020, 1, 1, tzinfo=UTC))
            )
            assert len(issues) == 20
    finally:
        process.terminate()
        process.wait(timeout=10)
