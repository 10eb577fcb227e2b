"""The fake Linear itself: seeding, GraphQL answers and errors, paging, mutators, webhooks, `serve`."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchyard.fakes.linear import FakeLinear
from switchyard.fakes.linear.state import PRIORITY_LABELS
from switchyard.trackers.connectors.linear import webhooks
from switchyard.trackers.connectors.linear.client import LinearClient

URL = "https://linear.test/graphql"
ROOT = Path(__file__).resolve().parents[3]
ISSUES_PAGE = """
query Page($team: ID!, $after: String) {
  issues(filter: { team: { id: { eq: $team } } }, first: 10, after: $after,
         sort: [{ updatedAt: { order: Ascending } }]) {
    nodes { id updatedAt }
    pageInfo { hasNextPage endCursor }
  }
}
"""


@pytest.fixture
def fake() -> FakeLinear:
    return FakeLinear.seeded(issues=30, projects=2, seed=4)


@pytest.fixture
def http(fake: FakeLinear) -> httpx.Client:
    return httpx.Client(transport=fake.transport(), headers={"Authorization": fake.api_key})


def post(http: httpx.Client, query: str, variables: dict | None = None) -> httpx.Response:
    return http.post(URL, json={"query": query, "variables": variables or {}})


def error_of(response: httpx.Response) -> dict[str, Any]:
    (error,) = response.json()["errors"]
    return error


# -- seeding ------------------------------------------------------------------------------------


def test_seeding_is_deterministic() -> None:
    def summary(fake: FakeLinear) -> list[tuple]:
        return [
            (i.id, fake._identifier(i), i.title, i.priority, i.state_id, i.assignee_id, i.label_ids)
            for i in fake.issues.values()
        ]

    assert summary(FakeLinear.seeded(issues=40, seed=7)) == summary(
        FakeLinear.seeded(issues=40, seed=7)
    )
    assert summary(FakeLinear.seeded(issues=40, seed=7)) != summary(
        FakeLinear.seeded(issues=40, seed=8)
    )


def test_seeded_data_is_consistent(fake: FakeLinear) -> None:
    assert len(fake.issues) == 30 and [t["key"] for t in fake.teams.values()] == ["ENG", "SUP"]
    for issue in fake.issues.values():
        assert fake.states[issue.state_id]["team"]["id"] == issue.team_id
        assert issue.created_at <= issue.updated_at
        assert (issue.completed_at is not None) == (
            fake.states[issue.state_id]["type"] == "completed"
        )
    numbers = sorted(
        i.number for i in fake.issues.values() if i.team_id == fake.team_by_key("ENG")["id"]
    )
    assert numbers == list(range(1, 16))


def test_seeding_many_issues_and_a_page_renders_only_that_page(monkeypatch) -> None:
    fake = FakeLinear.seeded(issues=20_000, projects=4, seed=1)
    rendered: list[str] = []
    render = fake._issue_json
    monkeypatch.setattr(
        fake, "_issue_json", lambda issue: rendered.append(issue.id) or render(issue)
    )
    http = httpx.Client(transport=fake.transport(), headers={"Authorization": fake.api_key})
    team = fake.team_by_key("OPS")["id"]
    after = None
    for _ in range(5):
        page = post(http, ISSUES_PAGE, {"team": team, "after": after}).json()["data"]["issues"]
        after = page["pageInfo"]["endCursor"]
    assert len(rendered) == 50 and page["pageInfo"]["hasNextPage"]


# -- GraphQL as Linear answers it ----------------------------------------------------------------


def test_cursor_pages_are_contiguous_and_ordered(fake: FakeLinear, http: httpx.Client) -> None:
    team, after, seen = fake.team_by_key("ENG")["id"], None, []
    while True:
        page = post(http, ISSUES_PAGE, {"team": team, "after": after}).json()["data"]["issues"]
        seen += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == 15 == len({n["id"] for n in seen})
    assert [n["updatedAt"] for n in seen] == sorted(n["updatedAt"] for n in seen)


def test_a_refused_key_gets_linears_authentication_error(fake: FakeLinear) -> None:
    for headers in (
        {"Authorization": "lin_api_other"},
        {},
        {"Authorization": f"Bearer {fake.api_key}"},
    ):
        response = httpx.Client(transport=fake.transport(), headers=headers).post(
            URL, json={"query": "{ viewer { id } }"}
        )
        assert response.status_code == 401
        extensions = error_of(response)["extensions"]
        assert (extensions["type"], extensions["code"]) == (
            "authentication error",
            "AUTHENTICATION_ERROR",
        )


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ viewer { id nickname } }", {}, "GRAPHQL_VALIDATION_FAILED"),  # unknown field
        ("{ viewer { id }", {}, "GRAPHQL_PARSE_FAILED"),
        ("query($id: String!) { issue(id: $id) { id } }", {}, "BAD_USER_INPUT"),
        ("query($id: String!) { issue(id: $id) { id } }", {"id": 5}, "BAD_USER_INPUT"),
        ("{ issue { id } }", {}, "GRAPHQL_VALIDATION_FAILED"),  # a required argument left out
    ],
)
def test_bad_documents_are_refused_with_400(http, query, variables, code) -> None:
    response = post(http, query, variables)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == code


def test_an_unknown_id_is_entity_not_found_under_200(http: httpx.Client) -> None:
    response = post(http, 'query { issue(id: "ENG-999") { id } }')
    assert response.status_code == 200 and response.json()["data"] is None
    error = error_of(response)
    assert error["message"] == "Entity not found: Issue" and error["path"] == ["issue"]
    assert error["extensions"]["code"] == "INPUT_ERROR"


def test_unimplemented_filters_fail_loudly(http: httpx.Client) -> None:
    response = post(http, '{ issues(filter: { title: { eq: "x" } }) { nodes { id } } }')
    assert "does not support" in error_of(response)["message"]


def test_fields_without_resolvers_answer_null_or_plain_values(fake, http) -> None:
    issue = next(iter(fake.issues.values()))
    data = post(http, f'{{ issue(id: "{issue.id}") {{ number priorityLabel dueDate }} }}').json()
    assert data["data"]["issue"] == {
        "number": issue.number,
        "priorityLabel": PRIORITY_LABELS[issue.priority],
        "dueDate": None,
    }


def test_creates_keep_the_client_id_and_refuse_a_second_time(fake, http) -> None:
    create = "mutation($input: IssueCreateInput!) { issueCreate(input: $input) { success issue { id identifier } } }"
    issue_input = {
        "id": "0f7b2c1e-3d4a-4b5c-8d6e-7f8091a2b3c4",
        "teamId": fake.team_by_key("SUP")["id"],
        "title": "New",
    }
    first = post(http, create, {"input": issue_input}).json()["data"]["issueCreate"]
    assert first["success"] and first["issue"]["id"] == issue_input["id"]
    assert first["issue"]["identifier"] == "SUP-16"
    again = post(http, create, {"input": issue_input})
    assert again.status_code == 200 and again.json()["data"] is None
    assert error_of(again)["extensions"]["type"] == "invalid input"
    assert len(fake.issues) == 31


# -- labels -------------------------------------------------------------------------------------

LABELS = """
query($filter: IssueLabelFilter) {
  issueLabels(filter: $filter) { nodes { id name team { key } } }
}
"""
LABEL_CREATE = """
mutation($input: IssueLabelCreateInput!) {
  issueLabelCreate(input: $input) { success issueLabel { id name team { key } } }
}
"""
ISSUE_CREATE = """
mutation($input: IssueCreateInput!) {
  issueCreate(input: $input) { issue { id labels { nodes { id name } } } }
}
"""


def label_names(http: httpx.Client, label_filter: dict) -> list[tuple[str, str | None]]:
    nodes = post(http, LABELS, {"filter": label_filter}).json()["data"]["issueLabels"]["nodes"]
    return [(n["name"], n["team"] and n["team"]["key"]) for n in nodes]


def test_seeded_issues_carry_their_teams_labels(fake: FakeLinear) -> None:
    labelled = [i for i in fake.issues.values() if i.label_ids]
    assert labelled
    for issue in labelled:
        assert {fake.labels[label_id].team_id for label_id in issue.label_ids} == {issue.team_id}
    assert len(fake.labels) == 2 * 5 and len({label.name for label in fake.labels.values()}) == 5


def test_labels_filter_on_name_and_team(fake: FakeLinear, http: httpx.Client) -> None:
    fake.add_label("Sentry")
    eng = fake.team_by_key("ENG")["id"]
    engs_or_workspace = {"or": [{"id": {"eq": eng}}, {"null": True}]}

    assert label_names(http, {"name": {"eq": "Bug"}}) == [("Bug", "ENG"), ("Bug", "SUP")]
    assert label_names(http, {"name": {"eq": "bug"}}) == []
    assert label_names(http, {"name": {"in": ["Bug", "Feature"]}, "team": {"id": {"eq": eng}}}) == [
        ("Bug", "ENG"),
        ("Feature", "ENG"),
    ]
    assert label_names(http, {"team": {"null": True}}) == [("Sentry", None)]
    assert label_names(
        http,
        {
            "team": engs_or_workspace,
            "or": [{"name": {"eqIgnoreCase": "BUG"}}, {"name": {"eqIgnoreCase": "sentry"}}],
        },
    ) == [("Bug", "ENG"), ("Sentry", None)]
    assert (
        label_names(
            http, {"and": [{"team": engs_or_workspace}, {"name": {"eqIgnoreCase": "nope"}}]}
        )
        == []
    )


def test_unimplemented_label_filters_fail_loudly(http: httpx.Client) -> None:
    for label_filter in ({"isGroup": {"eq": False}}, {"name": {"startsWith": "B"}}):
        response = post(http, LABELS, {"filter": label_filter})
        assert "does not support" in error_of(response)["message"]


def test_a_label_is_created_once_per_name_in_any_case(fake: FakeLinear, http: httpx.Client) -> None:
    eng, sup = fake.team_by_key("ENG")["id"], fake.team_by_key("SUP")["id"]
    label_id = "6d0f1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"

    created = post(http, LABEL_CREATE, {"input": {"id": label_id, "name": "sentry", "teamId": eng}})
    payload = created.json()["data"]["issueLabelCreate"]
    assert payload["success"] and payload["issueLabel"] == {
        "id": label_id,
        "name": "sentry",
        "team": {"key": "ENG"},
    }
    for repeat in (
        {"name": "SENTRY", "teamId": eng},
        {"name": "Bug", "teamId": eng},
        {"name": "Bug"},  # a workspace label would clash with every team's "Bug"
    ):
        refused = post(http, LABEL_CREATE, {"input": repeat})
        assert refused.json()["data"] is None
        error = error_of(refused)
        assert (error["message"], error["extensions"]["code"]) == (
            "Duplicate label name",
            "INPUT_ERROR",
        )
    again = post(http, LABEL_CREATE, {"input": {"id": label_id, "name": "other", "teamId": eng}})
    assert error_of(again)["message"].startswith("Entity already exists")
    assert post(http, LABEL_CREATE, {"input": {"name": "sentry", "teamId": sup}}).json()["data"]
    assert [label.name for label in fake.labels.values()].count("sentry") == 2


def test_issues_take_label_ids_of_their_team_or_the_workspace(fake, http) -> None:
    fake.subscribe_webhooks(None, "secret")
    eng = fake.team_by_key("ENG")["id"]
    labels = [fake.add_label("Sentry"), fake.add_label("Checkout", team_key="ENG")]

    created = post(http, ISSUE_CREATE, {"input": {"teamId": eng, "title": "x", "labelIds": labels}})

    issue = created.json()["data"]["issueCreate"]["issue"]
    assert issue["labels"]["nodes"] == [
        {"id": labels[0], "name": "Sentry"},
        {"id": labels[1], "name": "Checkout"},
    ]
    assert fake.label_names(fake.issues[issue["id"]]) == ["Sentry", "Checkout"]
    ((_, body),) = fake.sent_webhooks
    data = json.loads(body)["data"]
    assert data["labelIds"] == labels
    assert [label["name"] for label in data["labels"]] == ["Sentry", "Checkout"]


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (lambda fake: ["0f7b2c1e-3d4a-4b5c-8d6e-000000000000"], "Entity not found: IssueLabel"),
        (
            lambda fake: [fake.add_label("Billing", team_key="SUP")],
            "Label does not belong to the issue's team.",
        ),
    ],
)
def test_issues_refuse_unknown_or_foreign_labels(fake, http, labels, message) -> None:
    before = len(fake.issues)
    issue_input = {"teamId": fake.team_by_key("ENG")["id"], "title": "x", "labelIds": labels(fake)}

    refused = post(http, ISSUE_CREATE, {"input": issue_input})

    assert refused.status_code == 200 and refused.json()["data"] is None
    error = error_of(refused)
    assert error["message"] == message and error["path"] == ["issueCreate"]
    assert (error["extensions"]["type"], error["extensions"]["code"]) == (
        "invalid input",
        "INPUT_ERROR",
    )
    assert len(fake.issues) == before


def test_issue_inputs_the_fake_does_not_implement_fail_loudly(fake, http) -> None:
    issue_input = {"teamId": fake.team_by_key("ENG")["id"], "title": "x", "dueDate": "2030-01-01"}
    assert (
        "does not support" in error_of(post(http, ISSUE_CREATE, {"input": issue_input}))["message"]
    )


def test_rate_limits_answer_as_linear_does(fake, http) -> None:
    fake.rate_limit_next(retry_after=5)
    limited = post(http, "{ viewer { id } }")
    assert limited.status_code == 400 and error_of(limited)["extensions"]["code"] == "RATELIMITED"
    reset_ms = int(limited.headers["X-RateLimit-Requests-Reset"])
    assert 4 < reset_ms / 1000 - time.time() <= 5 and "Retry-After" not in limited.headers
    fake.rate_limit_next(retry_after=5, status=429)
    assert post(http, "{ viewer { id } }").headers["Retry-After"] == "5"
    assert post(http, "{ viewer { id } }").status_code == 200


def test_the_fake_records_what_it_received(fake, http) -> None:
    post(http, "{ viewer { id } }")
    (request,) = fake.requests
    assert request.method == "POST" and request.headers["Authorization"] == fake.api_key
    assert request.json()["query"] == "{ viewer { id } }"


# -- people acting in Linear ---------------------------------------------------------------------


def test_mutators_change_state_and_emit_webhooks(fake: FakeLinear) -> None:
    fake.subscribe_webhooks(None, "secret")
    issue_id = fake.create_issue_as_user("ENG", "Broken", creator="kim@acme.example")
    issue = fake.issues[issue_id]
    created_at = issue.updated_at

    fake.move_issue_to_state(issue_id, "Done", by="dana@acme.example")
    assert issue.updated_at > created_at and issue.completed_at == issue.updated_at
    fake.move_issue_to_state(issue_id, "In Progress")
    assert issue.completed_at is None
    fake.assign(issue_id, "sam@acme.example")
    fake.edit_issue(issue_id, title="Broken checkout", priority=1)
    comment_id = fake.add_comment(issue_id, "On it", author="sam@acme.example")

    assert fake.comments[comment_id].user_id == fake.user_by_email("sam@acme.example")["id"]
    assert fake.issues[issue_id].updated_at == fake.comments[comment_id].created_at
    bodies = [json.loads(body) for _, body in fake.sent_webhooks]
    assert [(b["type"], b["action"]) for b in bodies] == [
        ("Issue", "create"),
        ("Issue", "update"),
        ("Issue", "update"),
        ("Issue", "update"),
        ("Issue", "update"),
        ("Comment", "create"),
    ]
    assert bodies[1]["actor"]["email"] == "dana@acme.example"
    assert set(bodies[1]["updatedFrom"]) == {"stateId", "completedAt", "updatedAt"}
    assert bodies[4]["updatedFrom"]["title"] == "Broken" and bodies[4]["data"]["priority"] == 1
    for headers, body in fake.sent_webhooks:
        assert webhooks.verify("secret", body, headers["Linear-Signature"])


def test_nothing_is_emitted_before_a_subscription(fake: FakeLinear) -> None:
    fake.move_issue_to_state(next(iter(fake.issues)), "Done")
    assert fake.sent_webhooks == []


def test_api_changes_emit_webhooks_too(fake: FakeLinear) -> None:
    fake.subscribe_webhooks(None, "secret")
    client = LinearClient(URL, api_key=fake.api_key, transport=fake.transport())
    issue = next(i for i in fake.issues.values() if i.priority != 4)
    before = issue.priority
    client.update_issue(issue.id, priority=4)
    ((headers, body),) = fake.sent_webhooks
    assert json.loads(body)["updatedFrom"]["priority"] == before
    assert json.loads(body)["actor"]["email"] == "bot@switchyard.example"


def test_webhooks_are_posted_to_the_subscribed_url(fake: FakeLinear) -> None:
    received: list[tuple[dict[str, str], bytes]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        fake.subscribe_webhooks(f"http://127.0.0.1:{server.server_address[1]}/hook", "secret")
        fake.add_comment(next(iter(fake.issues)), "over the wire", author="lee@acme.example")
        fake.flush_webhooks()
    finally:
        server.shutdown()
        server.server_close()
    assert len(received) == 1 and fake.webhook_errors == []
    headers, body = received[0]
    assert body == fake.sent_webhooks[0][1]
    assert headers["Linear-Event"] == "Comment" and headers["Linear-Delivery"]
    assert webhooks.verify("secret", body, headers["Linear-Signature"])


def test_an_unreachable_webhook_url_is_recorded_not_raised(fake: FakeLinear) -> None:
    fake.subscribe_webhooks("http://127.0.0.1:9/unreachable", "secret")
    fake.assign(next(iter(fake.issues)), "dana@acme.example")
    fake.flush_webhooks()
    assert len(fake.sent_webhooks) == 1 and len(fake.webhook_errors) == 1


# -- the serve command ----------------------------------------------------------------------------


@pytest.mark.e2e
def test_serve_command_runs_a_usable_fake() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "switchyard.fakes",
            "serve",
            "linear",
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
        base = first.strip().rsplit(" ", 1)[-1]
        assert base.startswith("http://127.0.0.1:"), first
        help_lines = [process.stdout.readline() for _ in range(3)]
        assert any("lin_api_fake" in line for line in help_lines)
        with LinearClient(f"{base}/graphql", api_key="lin_api_fake", timeout=5) as client:
            assert client.viewer().email == "bot@switchyard.example"
            teams = list(client.iter_teams())
            assert sum(1 for team in teams for _ in client.iter_issues(team.id)) == 20
    finally:
        process.terminate()
        process.wait(timeout=10)
