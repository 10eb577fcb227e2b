"""The Linear client against the fake Linear, in-process, over real HTTP, and checked against the schema."""

import json
import subprocess
import sys
import time

import pytest
from graphql import parse, validate
from graphql.execution.values import get_variable_values

from switchyard.core.exceptions import (
    RemoteBadResponse,
    RemoteNotFound,
    RemoteRejected,
    RemoteTimeout,
    RemoteUnauthorized,
    RemoteUnavailable,
)
from switchyard.fakes.conformance import spec_path
from switchyard.fakes.linear import FakeLinear, linear_schema
from switchyard.trackers.connectors.linear import queries, webhooks
from switchyard.trackers.connectors.linear.client import LinearClient

pytestmark = pytest.mark.skipif(
    not spec_path("linear").exists(), reason="Linear's schema is not in ../shared/specs"
)
URL = "https://linear.test/graphql"


@pytest.fixture
def fake():
    return FakeLinear.seeded(issues=230, projects=2, seed=5)


@pytest.fixture
def waits():
    return []


@pytest.fixture
def client(fake, waits):
    return LinearClient(URL, api_key=fake.api_key, transport=fake.transport(), sleep=waits.append)


def team(fake, key="ENG"):
    return fake.team_by_key(key)["id"]


def test_issues_walk_every_page_oldest_change_first(client, fake):
    issues = list(client.iter_issues(team(fake)))
    assert len(issues) == 115
    assert [i.updated_at for i in issues] == sorted(i.updated_at for i in issues)
    assert len(fake.requests) == 2  # two pages of 100
    since = issues[100].updated_at
    assert [i.id for i in client.iter_issues(team(fake), updated_since=since)] == [
        i.id for i in issues[100:]
    ]
    sent = json.loads(fake.requests[-1].body)
    assert sent["variables"]["filter"]["updatedAt"] == {"gte": since.isoformat()}
    assert fake.requests[-1].headers["Authorization"] == fake.api_key  # the raw key, no "Bearer"


def test_viewer_teams_states_and_users(client, fake):
    assert client.viewer().email == "bot@switchyard.example"
    assert [t.key for t in client.iter_teams()] == ["ENG", "SUP"]
    states = client.workflow_states(team(fake))
    assert {s.type for s in states} == {
        "triage",
        "backlog",
        "unstarted",
        "started",
        "completed",
        "canceled",
    }
    assert client.find_user_by_email("dana@acme.example").name == "Dana Developer"
    assert client.find_user_by_email("nobody@acme.example") is None


def test_create_with_a_client_id_never_makes_two_issues(client, fake):
    issue_id = "2d4c3a7e-0000-4000-8000-000000000001"
    first = client.create_issue(
        issue_id=issue_id, team_id=team(fake), title="Refund flow broken", priority=2
    )
    again = client.create_issue(
        issue_id=issue_id, team_id=team(fake), title="Refund flow broken", priority=2
    )
    assert first.id == again.id == issue_id and first.priority == 2
    assert sum(1 for i in fake.issues.values() if i.title == "Refund flow broken") == 1


def test_update_and_comments(client, fake):
    issue = next(iter(client.iter_issues(team(fake))))
    done = fake.state_named(team(fake), "Done")["id"]
    updated = client.update_issue(issue.id, stateId=done, priority=1, title="Renamed")
    assert (updated.state.type, updated.priority, updated.title) == ("completed", 1, "Renamed")
    assert updated.completed_at is not None
    comment = client.create_comment(issue_id=issue.id, body="Fixed in 4.2", comment_id="c-1")
    assert [c.body for c in client.iter_comments(issue.id)] == ["Fixed in 4.2"]
    assert comment.user.email == "bot@switchyard.example"


def test_wrong_key_unknown_issue_and_bad_input(fake):
    with pytest.raises(RemoteUnauthorized):
        LinearClient(URL, api_key="lin_api_wrong", transport=fake.transport()).viewer()
    client = LinearClient(URL, api_key=fake.api_key, transport=fake.transport())
    with pytest.raises(RemoteNotFound):
        client.get_issue("ENG-99999")
    issue_id = next(iter(fake.issues))
    client.create_comment(issue_id=issue_id, body="once", comment_id="c-dup")
    with pytest.raises(RemoteRejected, match="already exists"):
        client.create_comment(issue_id=issue_id, body="twice", comment_id="c-dup")


def test_rate_limit_then_success_honours_the_reset(client, fake, waits):
    fake.rate_limit_next(retry_after=2)
    assert client.viewer().email
    assert len(waits) == 1 and 0 < waits[0] <= 2


def test_server_errors_retried_then_exhausted(client, fake, waits):
    fake.fail_next(502)
    assert client.viewer()
    fake.fail_next(503, times=3)
    with pytest.raises(RemoteUnavailable):
        client.viewer()
    assert len(waits) == 3  # one retry for the first call, two for the second


@pytest.mark.parametrize(
    "fault, error",
    [
        ("timeout_next", RemoteTimeout),
        ("drop_next", RemoteUnavailable),
    ],
)
def test_transport_failures_exhaust_as_remote_errors(client, fake, fault, error):
    getattr(fake, fault)(times=3)
    with pytest.raises(error):
        client.viewer()


def test_truncated_json_is_a_bad_response(client, fake):
    fake.truncate_next()
    with pytest.raises(RemoteBadResponse):
        client.viewer()


def test_every_document_validates_against_linear_schema():
    schema = linear_schema()
    for name, document in queries.ALL.items():
        assert validate(schema, parse(document)) == [], name


def test_every_request_sent_fits_the_schema_with_its_variables(client, fake):
    issue = next(iter(client.iter_issues(team(fake))))
    client.update_issue(issue.id, priority=2)
    client.create_comment(issue_id=issue.id, body="x")
    client.create_issue(
        issue_id="2d4c3a7e-0000-4000-8000-000000000002", team_id=team(fake), title="t"
    )
    client.workflow_states(team(fake))
    schema = linear_schema()
    for request in fake.requests:
        body = json.loads(request.body)
        document = parse(body["query"])
        assert validate(schema, document) == []
        operation = document.definitions[0]
        coerced = get_variable_values(schema, operation.variable_definitions, body["variables"])
        assert not isinstance(coerced, list), (
            coerced
        )  # a list of GraphQL errors when they don't fit


def test_webhook_signature_and_freshness():
    body = json.dumps(
        {
            "action": "update",
            "type": "Issue",
            "data": {"id": "1"},
            "webhookTimestamp": int(time.time() * 1000),
        }
    ).encode()
    good = webhooks.signature("s3cret", body)
    assert webhooks.verify("s3cret", body, good)["type"] == "Issue"
    for secret, header in [("s3cret", "0" * 64), ("other", good), ("s3cret", None)]:
        with pytest.raises(webhooks.InvalidWebhook):
            webhooks.verify(secret, body, header)
    stale = json.dumps(
        {
            "action": "update",
            "type": "Issue",
            "data": {},
            "webhookTimestamp": int((time.time() - 120) * 1000),
        }
    ).encode()
    with pytest.raises(webhooks.InvalidWebhook, match="a minute"):
        webhooks.verify("s3cret", stale, webhooks.signature("s3cret", stale))


def test_the_fake_builds_deliveries_the_receiver_verifies(fake):
    headers, body = fake.issue_webhook(next(iter(fake.issues)), secret="s3cret")
    assert webhooks.verify("s3cret", body, headers["Linear-Signature"])["data"][
        "identifier"
    ].startswith(("ENG", "SUP"))
    assert headers["Linear-Event"] == "Issue" and headers["Linear-Delivery"]


def test_served_over_http_by_the_command():
    command = [
        sys.executable,
        "-m",
        "switchyard.fakes",
        "serve",
        "linear",
        "--port",
        "0",
        "--issues",
        "20",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        first_line = process.stdout.readline()
        base = first_line.rsplit(" ", 1)[-1].strip()
        client = LinearClient(f"{base}/graphql", api_key="lin_api_fake")
        assert sum(1 for team_ in client.iter_teams() for _ in client.iter_issues(team_.id)) == 20
    finally:
        process.terminate()
        process.wait(timeout=10)
