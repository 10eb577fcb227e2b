"""FakeSentry's own behaviour: seeding, pagination, search, errors, mutators, webhooks, serving."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from switchyard.fakes.sentry import FakeSentry
from switchyard.monitoring.connectors.sentry.client import SentryClient
from switchyard.monitoring.connectors.sentry.webhooks import parse_issue_webhook, verify_signature

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ISSUES = "/api/0/organizations/acme/issues/"
PROJECT_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def fake() -> FakeSentry:
    return FakeSentry.seeded(issues=30, projects=3, seed=5, clock=lambda: NOW)


def http(fake: FakeSentry, token: str | None = "fake-sentry-token") -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url="https://sentry.io", transport=fake.transport(), headers=headers)


def link_parts(response: httpx.Response) -> list[tuple[str, str, str]]:
    return re.findall(
        r'<[^>]+>; rel="(previous|next)"; results="(true|false)"; cursor="([^"]+)"',
        response.headers["Link"],
    )


# -- seeding --------------------------------------------------------------------------------


def test_seeding_is_deterministic() -> None:
    def snapshot(seed: int) -> list[tuple[str, str, str]]:
        fake = FakeSentry.seeded(issues=40, projects=4, seed=seed, clock=lambda: NOW)
        return [(i.title, i.status, i.culprit) for i in fake.issues.values()]

    assert snapshot(1) == snapshot(1)
    assert snapshot(1) != snapshot(2)


def test_seeded_data_is_realistic(fake: FakeSentry) -> None:
    assert [p.platform for p in fake.projects.values()] == [
        "python-django",
        "javascript-react",
        "apple-ios",
    ]
    assert {i.status for i in fake.issues.values()} == {"resolved", "unresolved", "ignored"}
    assert all(NOW - timedelta(days=60) <= _dt(i.first_seen) <= NOW for i in fake.issues.values())
    assert all(i.first_seen <= i.last_seen for i in fake.issues.values())


def test_seeding_many_issues_and_paging_through_them() -> None:
    fake = FakeSentry.seeded(issues=20_000, projects=10, seed=1)

    with http(fake) as client:
        first = client.get(ISSUES, params={"query": "is:resolved", "limit": 100})
        cursor = link_parts(first)[1][2]
        second = client.get(ISSUES, params={"query": "is:resolved", "limit": 100, "cursor": cursor})

    assert len(fake.issues) == 20_000
    assert len(first.json()) == len(second.json()) == 100
    assert not {i["id"] for i in first.json()} & {i["id"] for i in second.json()}


# -- pagination and search ------------------------------------------------------------------


def test_link_header_is_shaped_like_sentrys(fake: FakeSentry) -> None:
    with http(fake) as client:
        first = client.get(ISSUES, params={"query": "", "limit": 10})
        (prev, prev_results, _), (nxt, next_results, cursor) = link_parts(first)
        assert (prev, prev_results, nxt, next_results) == ("previous", "false", "next", "true")
        assert re.fullmatch(r"\d+:\d+:0", cursor)
        assert f"cursor={cursor.replace(':', '%3A')}" in first.headers["Link"]

        seen = [i["id"] for i in first.json()]
        while link_parts(first)[1][1] == "true":
            first = client.get(
                ISSUES, params={"query": "", "limit": 10, "cursor": link_parts(first)[1][2]}
            )
            assert link_parts(first)[0][1] == "true"
            seen += [i["id"] for i in first.json()]

    expected = sorted(fake.issues.values(), key=lambda i: (-i.last_seen, -i.id))
    assert seen == [str(i.id) for i in expected]


def test_previous_cursor_returns_the_page_before(fake: FakeSentry) -> None:
    with http(fake) as client:
        first = client.get(ISSUES, params={"query": "", "limit": 5})
        second = client.get(
            ISSUES, params={"query": "", "limit": 5, "cursor": link_parts(first)[1][2]}
        )
        back = client.get(
            ISSUES, params={"query": "", "limit": 5, "cursor": link_parts(second)[0][2]}
        )

    assert [i["id"] for i in back.json()] == [i["id"] for i in first.json()]


def test_cursor_offsets_handle_equal_timestamps() -> None:
    fake = FakeSentry(clock=lambda: NOW)
    fake.add_project("api")
    same = NOW - timedelta(hours=1)
    ids = {fake.add_issue("api", title="E: x", first_seen=same, last_seen=same) for _ in range(7)}

    client = SentryClient(
        "https://sentry.io", token=fake.token, organization="acme", transport=fake.transport()
    )
    client.page_size = 3
    listed = [i.id for i in client.iter_issues()]

    assert sorted(listed) == sorted(ids)
    cursors = [r.param("cursor") for r in fake.requests_to("GET", ISSUES)]
    assert cursors[1:] == [
        f"{int(same.timestamp() * 1000)}:3:0",
        f"{int(same.timestamp() * 1000)}:6:0",
    ]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("is:unresolved", "unresolved"),
        ("is:resolved", "resolved"),
        ("is:ignored", "ignored"),
        ("is:archived", "ignored"),
    ],
)
def test_status_search(fake: FakeSentry, query: str, status: str) -> None:
    with http(fake) as client:
        body = client.get(ISSUES, params={"query": query}).json()

    assert {i["status"] for i in body} == {status}
    assert len(body) == sum(1 for i in fake.issues.values() if i.status == status)


def test_missing_query_defaults_to_unresolved(fake: FakeSentry) -> None:
    with http(fake) as client:
        body = client.get(ISSUES).json()

    assert {i["status"] for i in body} == {"unresolved"}


def test_last_seen_search_and_project_filter(fake: FakeSentry) -> None:
    project = next(iter(fake.projects.values()))
    since = NOW - timedelta(days=15)
    params = [("query", f"lastSeen:>={since:%Y-%m-%dT%H:%M:%S}"), ("project", str(project.id))]

    with http(fake) as client:
        body = client.get(ISSUES, params=params).json()

    expected = {
        str(i.id)
        for i in fake.issues.values()
        if i.project_id == project.id and _dt(i.last_seen) >= since
    }
    assert expected and {i["id"] for i in body} == expected


def test_project_filter_by_slug_and_all(fake: FakeSentry) -> None:
    with http(fake) as client:
        by_slug = client.get(ISSUES, params={"query": "", "project": "ios-app"}).json()
        everything = client.get(ISSUES, params={"query": "", "project": "-1"}).json()

    assert {i["project"]["slug"] for i in by_slug} == {"ios-app"}
    assert len(everything) == 30


def test_unknown_project_is_forbidden(fake: FakeSentry) -> None:
    with http(fake) as client:
        response = client.get(ISSUES, params={"project": "999"})

    assert response.status_code == 403
    assert response.json() == {"detail": "You do not have permission to perform this action."}


@pytest.mark.parametrize(
    "params",
    [
        {"query": "is:sleeping"},
        {"query": "lastSeen:>=yesterday"},
        {"cursor": "abc"},
        {"limit": "lots"},
        {"sort": "oldest"},
    ],
)
def test_bad_listing_parameters_are_400(fake: FakeSentry, params: dict[str, str]) -> None:
    with http(fake) as client:
        response = client.get(ISSUES, params=params)

    assert response.status_code == 400
    assert "detail" in response.json()


def test_unknown_search_key_is_a_tag_search_matching_nothing(fake: FakeSentry) -> None:
    with http(fake) as client:
        assert client.get(ISSUES, params={"query": "browser:Chrome"}).json() == []


def test_organization_index_missing_on_old_servers(fake: FakeSentry) -> None:
    fake.org_issue_index = False

    with http(fake) as client:
        assert client.get(ISSUES).status_code == 404
        legacy = client.get("/api/0/projects/acme/web-app/issues/", params={"query": ""})

    assert legacy.status_code == 200
    assert {i["project"]["slug"] for i in legacy.json()} == {"web-app"}


# -- auth and errors ------------------------------------------------------------------------


def test_missing_and_wrong_tokens_are_401(fake: FakeSentry) -> None:
    with http(fake, token=None) as client:
        missing = client.get(ISSUES)
        anonymous_index = client.get("/api/0/")
    with http(fake, token="wrong") as client:
        wrong = client.get(ISSUES)

    assert missing.status_code == wrong.status_code == 401
    assert missing.json() == {"detail": "Authentication credentials were not provided."}
    assert wrong.json() == {"detail": "Invalid token"}
    assert anonymous_index.json() == {"version": "0", "auth": None, "user": None}


def test_unknown_organization_and_issue_are_404(fake: FakeSentry) -> None:
    with http(fake) as client:
        assert client.get("/api/0/organizations/nope/projects/").status_code == 404
        missing = client.get(f"{ISSUES}12345/")

    assert missing.status_code == 404
    assert missing.json() == {"detail": "The requested resource does not exist"}


def test_update_validation(fake: FakeSentry) -> None:
    issue_id = next(iter(fake.issues))
    with http(fake) as client:
        bogus = client.put(f"{ISSUES}{issue_id}/", json={"status": "bogus"})
        team = client.put(f"{ISSUES}{issue_id}/", json={"assignedTo": "team:1"})
        by_user_id = client.put(f"{ISSUES}{issue_id}/", json={"assignedTo": "user:2"})

    assert bogus.status_code == 400
    assert bogus.json() == {"status": ['"bogus" is not a valid choice.']}
    assert team.status_code == 400
    assert by_user_id.json()["assignedTo"]["email"] == "ada@example.com"


def test_notes_shape_and_validation(fake: FakeSentry) -> None:
    issue_id = next(iter(fake.issues))
    path = f"{ISSUES}{issue_id}/comments/"
    with http(fake) as client:
        created = client.post(path, json={"text": "hello"})
        missing = client.post(path, json={})
        blank = client.post(path, json={"text": "  "})
        duplicate = client.post(path, json={"text": "hello"})
        via_notes = client.get(f"{ISSUES}{issue_id}/notes/")

    assert created.status_code == 201
    note = created.json()
    assert set(note) == {"id", "user", "sentry_app", "type", "data", "dateCreated"}
    assert (note["type"], note["data"], note["user"]["email"]) == (
        "note",
        {"text": "hello"},
        "owner@example.com",
    )
    assert missing.json() == {"text": ["This field is required."]}
    assert blank.json() == {"text": ["This field may not be blank."]}
    assert duplicate.status_code == 400
    assert via_notes.json()[0]["id"] == note["id"]
    assert fake.issues[issue_id].notes[-1].text == "hello"


def test_rate_limit_headers(fake: FakeSentry) -> None:
    fake.rate_limit_next(retry_after=3)

    with http(fake) as client:
        limited = client.get(ISSUES)
        after = client.get(ISSUES)

    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3"
    assert int(limited.headers["X-Sentry-Rate-Limit-Reset"]) >= int(time.time()) + 2
    assert after.status_code == 200


# -- mutators and webhooks ------------------------------------------------------------------


def test_mutators_change_state_and_emit_webhooks(fake: FakeSentry) -> None:
    fake.subscribe_webhooks(None, "secret")
    issue_id = str(min(fake.issues))
    before = fake.issues[int(issue_id)].last_seen

    fake.resolve_issue(issue_id, by="ada@example.com")
    fake.regress_issue(issue_id)
    fake.ignore_issue(issue_id)
    fake.assign_issue(issue_id, "grace@example.com", by="alan@example.com")
    new_id = fake.add_issue("web-app", title="TypeError: x is undefined")

    actions = [(h["Sentry-Hook-Resource"], json.loads(b)["action"]) for h, b in fake.sent_webhooks]
    assert actions == [
        ("issue", "resolved"),
        ("issue", "unresolved"),
        ("issue", "ignored"),
        ("issue", "assigned"),
        ("issue", "created"),
    ]
    issue = fake.issues[int(issue_id)]
    assert issue.status == "ignored" and issue.last_seen > before
    assert parse_issue_webhook(fake.sent_webhooks[1][1]).issue.substatus == "regressed"
    assert json.loads(fake.sent_webhooks[3][1])["actor"]["name"] == "Alan Turing"
    with http(fake) as client:
        newest = client.get(ISSUES, params={"query": ""}).json()
    assert [i["id"] for i in newest[:2]] == [new_id, issue_id]  # regress moved lastSeen


def test_status_change_does_not_move_last_seen(fake: FakeSentry) -> None:
    issue_id = str(min(fake.issues))
    before = fake.issues[int(issue_id)].last_seen

    fake.resolve_issue(issue_id)

    assert fake.issues[int(issue_id)].last_seen == before


def test_api_changes_emit_webhooks_as_the_integration(fake: FakeSentry) -> None:
    fake.subscribe_webhooks(None, "secret")
    issue_id = next(i.id for i in fake.issues.values() if i.status == "unresolved")

    with http(fake) as client:
        client.put(f"{ISSUES}{issue_id}/", json={"status": "resolved"})
        client.post(f"{ISSUES}{issue_id}/comments/", json={"text": "done"})

    bodies = [json.loads(body) for _, body in fake.sent_webhooks]
    assert [b["action"] for b in bodies] == ["resolved", "created"]
    application = {"type": "application", "id": fake.app_uuid, "name": "Switchyard"}
    assert [b["actor"] for b in bodies] == [application, application]
    assert bodies[1]["data"]["comment"] == "done"


def test_api_changes_with_a_personal_token_name_the_user(fake: FakeSentry) -> None:
    fake.integration_name = None
    fake.subscribe_webhooks(None, "secret")
    issue_id = next(i.id for i in fake.issues.values() if i.status == "unresolved")

    with http(fake) as client:
        client.put(f"{ISSUES}{issue_id}/", json={"assignedTo": "grace@example.com"})

    actor = json.loads(fake.sent_webhooks[0][1])["actor"]
    assert actor == {"type": "user", "id": fake.token_user_id, "name": "Integration Owner"}


def test_no_webhooks_without_a_subscription(fake: FakeSentry) -> None:
    fake.resolve_issue(str(min(fake.issues)))

    assert fake.sent_webhooks == []


def test_webhooks_are_posted_to_the_subscribed_url(fake: FakeSentry) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fake.subscribe_webhooks(f"http://127.0.0.1:{server.server_address[1]}/hook", "secret")
        fake.resolve_issue(str(min(fake.issues)))
        fake.flush_webhooks()
    finally:
        server.shutdown()
        server.server_close()

    assert len(received) == 1
    headers, body = received[0]
    assert body == fake.sent_webhooks[0][1]
    assert verify_signature(body, headers["Sentry-Hook-Signature"], "secret")
    assert headers["Sentry-Hook-Resource"] == "issue" and headers["Request-ID"]


def test_failed_webhook_deliveries_are_recorded(fake: FakeSentry) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    fake.subscribe_webhooks(f"http://127.0.0.1:{closed_port}/hook", "secret")

    fake.resolve_issue(str(min(fake.issues)))
    fake.flush_webhooks()

    assert len(fake.sent_webhooks) == 1
    assert len(fake.webhook_errors) == 1 and str(closed_port) in fake.webhook_errors[0]


def test_credentials_help_names_token_and_organization(fake: FakeSentry) -> None:
    text = "\n".join(fake.credentials_help())

    assert "fake-sentry-token" in text and "acme" in text


# -- served by the command line -------------------------------------------------------------


@pytest.mark.e2e
def test_serve_command_runs_a_fake_the_client_can_use() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "switchyard.fakes",
            "serve",
            "sentry",
            "--port",
            "0",
            "--issues",
            "20",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first_line = process.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", first_line)
        assert match, first_line + process.stderr.read()
        token_line = process.stdout.readline()
        assert "fake-sentry-token" in token_line

        with SentryClient(
            match.group(1), token="fake-sentry-token", organization="acme", timeout=5
        ) as client:
            assert client.get_identity().email == "owner@example.com"
            issues = list(client.iter_issues(status=None))
    finally:
        process.terminate()
        process.wait(timeout=10)

    assert len(issues) == 20


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)
