"""Linear webhook verification and parsing, on deliveries the fake Linear signs as Linear does."""

from __future__ import annotations

import json
import time

import pytest

from switchyard.fakes.linear import FakeLinear
from switchyard.trackers.connectors.linear import webhooks
from switchyard.trackers.connectors.linear.mapping import LinearComment, LinearIssue

SECRET = "lin_wh_s3cret"


def body_at(stamp_ms: float, **extra) -> bytes:
    payload = {"action": "update", "type": "Issue", "data": {}, "webhookTimestamp": stamp_ms}
    return json.dumps({**payload, **extra}).encode()


# -- verification (no schema needed) ------------------------------------------------------------


def test_a_signed_fresh_body_verifies():
    now = 1_700_000_000.0
    body = body_at(now * 1000 - 59_000)
    assert (
        webhooks.verify(SECRET, body, webhooks.signature(SECRET, body), now=now)["type"] == "Issue"
    )


@pytest.mark.parametrize(
    ("verify_with", "header"),
    [
        (SECRET, lambda body: webhooks.signature("another secret", body)),
        (SECRET, lambda body: "0" * 64),
        (SECRET, lambda body: ""),
        (SECRET, lambda body: None),
        (SECRET, lambda body: "é"),
        ("", lambda body: webhooks.signature("", body)),
    ],
)
def test_a_wrong_or_missing_signature_is_refused(verify_with, header):
    body = body_at(time.time() * 1000)
    with pytest.raises(webhooks.InvalidWebhook, match="Signature"):
        webhooks.verify(verify_with, body, header(body))


def test_a_body_changed_after_signing_is_refused():
    body = body_at(time.time() * 1000)
    header = webhooks.signature(SECRET, body)
    with pytest.raises(webhooks.InvalidWebhook):
        webhooks.verify(SECRET, body.replace(b"update", b"remove"), header)


@pytest.mark.parametrize("offset_s", [-61, 61, -3600])
def test_a_timestamp_more_than_a_minute_away_is_refused(offset_s):
    now = 1_700_000_000.0
    body = body_at((now + offset_s) * 1000)
    with pytest.raises(webhooks.InvalidWebhook, match="minute"):
        webhooks.verify(SECRET, body, webhooks.signature(SECRET, body), now=now)


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", json.dumps({"webhookTimestamp": True}).encode(), b"{}"]
)
def test_bodies_without_json_or_a_timestamp_are_refused(body):
    with pytest.raises(webhooks.InvalidWebhook):
        webhooks.verify(SECRET, body, webhooks.signature(SECRET, body))


# -- parsing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Issue", "data": {}},
        {"action": "moved", "type": "Issue", "data": {}},
        {"action": "update", "type": "Issue", "data": []},
        {"action": "update", "type": "Issue", "data": {"id": "x"}},  # not an IssueWebhookPayload
        {"action": "create", "type": "Comment", "data": {"issueId": "i", "body": 3}},
    ],
)
def test_bodies_not_shaped_as_linear_documents_are_invalid(data):
    with pytest.raises(webhooks.InvalidWebhook):
        webhooks.parse(data)


def test_other_entities_parse_without_a_record():
    event = webhooks.parse({"action": "create", "type": "Project", "data": {"id": "p"}})
    assert (event.type, event.issue, event.comment) == ("Project", None, None)
    # A comment on a project update belongs to no issue.
    comment = {
        "id": "c",
        "body": "hi",
        "createdAt": "2024-01-01T00:00:00.000Z",
        "projectUpdateId": "u",
    }
    assert webhooks.parse({"action": "create", "type": "Comment", "data": comment}).comment is None


# -- the fake's deliveries ----------------------------------------------------------------------


@pytest.fixture
def fake() -> FakeLinear:
    fake = FakeLinear.seeded(issues=6, projects=1, seed=9)
    fake.subscribe_webhooks(None, SECRET)
    return fake


def deliveries(fake: FakeLinear) -> list[webhooks.LinearWebhook]:
    return [
        webhooks.verify_and_parse(SECRET, headers, body) for headers, body in fake.sent_webhooks
    ]


def test_a_move_to_done_arrives_as_an_issue_update(fake):
    done = fake.state_named(fake.team_by_key("ENG")["id"], "Done")["id"]
    issue_id = next(i.id for i in fake.issues.values() if i.state_id != done)
    before = fake.issues[issue_id].state_id
    fake.move_issue_to_state(issue_id, "Done", by="dana@acme.example")

    (event,) = deliveries(fake)

    assert (event.type, event.action) == ("Issue", "update")
    assert isinstance(event.issue, LinearIssue) and event.issue.id == issue_id
    assert (event.issue.state.name, event.issue.state.type) == ("Done", "completed")
    assert event.issue.completed_at is not None and event.issue.updated_at.tzinfo is not None
    assert event.issue.team_id == fake.team_by_key("ENG")["id"]
    assert event.updated_from["stateId"] == before and "updatedAt" in event.updated_from


def test_an_issue_filed_in_linear_arrives_as_an_issue_create(fake):
    issue_id = fake.create_issue_as_user(
        "ENG", "Coupon applied twice", creator="kim@acme.example", priority=2
    )
    fake.assign(issue_id, "sam@acme.example", by="kim@acme.example")

    created, assigned = deliveries(fake)

    assert created.action == "create" and created.issue.title == "Coupon applied twice"
    assert created.issue.creator.email == "kim@acme.example" and created.issue.priority == 2
    assert created.issue.identifier == fake._identifier(fake.issues[issue_id])
    assert assigned.issue.assignee.email == "sam@acme.example"
    assert assigned.updated_from["assigneeId"] is None


def test_a_comment_by_someone_else_arrives_as_a_comment(fake):
    issue_id = next(iter(fake.issues))
    comment_id = fake.add_comment(issue_id, "Still broken on iOS", author="lee@acme.example")

    (event,) = deliveries(fake)

    assert (event.type, event.action) == ("Comment", "create")
    assert isinstance(event.comment, LinearComment)
    assert (event.comment.id, event.comment.issue_id) == (comment_id, issue_id)
    assert event.comment.body == "Still broken on iOS"
    assert event.comment.user.email == "lee@acme.example"


def test_deliveries_carry_linears_headers(fake):
    fake.move_issue_to_state(next(iter(fake.issues)), "In Progress")
    headers, body = fake.sent_webhooks[0]
    assert headers["Linear-Event"] == "Issue"
    assert len(headers["Linear-Delivery"]) == 36
    assert headers["Linear-Signature"] == webhooks.signature(SECRET, body)
    payload = json.loads(body)
    assert abs(payload["webhookTimestamp"] / 1000 - time.time()) < 5
    assert payload["webhookId"] and payload["organizationId"] and payload["url"]


def test_built_deliveries_verify_with_their_own_secret(fake):
    issue_id = next(iter(fake.issues))
    headers, body = fake.issue_webhook(issue_id, secret="another")
    assert webhooks.verify_and_parse("another", headers, body).issue.id == issue_id
    with pytest.raises(webhooks.InvalidWebhook):
        webhooks.verify_and_parse(SECRET, headers, body)
    lowered = {name.lower(): value for name, value in headers.items()}
    assert webhooks.verify_and_parse("another", lowered, body).issue.id == issue_id
