"""Sentry webhook signature checks and payload parsing."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from switchyard.fakes.sentry import FakeSentry
from switchyard.monitoring.connectors.sentry.webhooks import (
    InvalidWebhook,
    parse_comment_webhook,
    parse_issue_webhook,
    sign,
    timestamp_is_fresh,
    verify_signature,
)

SECRET = "whsec-client-secret"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# The issue example of https://docs.sentry.io/integrations/integration-platform/webhooks/issues/
DOCS_ISSUE = {
    "action": "created",
    "actor": {"id": "sentry", "name": "Sentry", "type": "application"},
    "data": {
        "issue": {
            "annotations": [],
            "assignedTo": None,
            "count": "1",
            "culprit": "?(runner)",
            "firstSeen": "2019-08-19T20:58:37.391000Z",
            "hasSeen": False,
            "id": "1170820242",
            "isBookmarked": False,
            "isPublic": False,
            "isSubscribed": False,
            "lastSeen": "2019-08-19T20:58:37.391000Z",
            "level": "error",
            "logger": None,
            "metadata": {"filename": "/runner", "type": "ReferenceError", "value": "blooopy"},
            "numComments": 0,
            "permalink": None,
            "platform": "javascript",
            "project": {"id": "1", "name": "front-end", "platform": "", "slug": "front-end"},
            "shareId": None,
            "shortId": "FRONT-END-9",
            "status": "unresolved",
            "statusDetails": {},
            "subscriptionDetails": None,
            "title": "ReferenceError: blooopy is not defined",
            "type": "error",
            "userCount": 1,
            "web_url": "https://sentry.io/organizations/acme/issues/1170820242/",
        }
    },
    "installation": {"uuid": "a8e5d37a-696c-4c54-adb5-b3f28d64c7de"},
}
# The example of https://docs.sentry.io/integrations/integration-platform/webhooks/comments/
DOCS_COMMENT = {
    "action": "created",
    "data": {
        "comment": "adding a comment",
        "project_slug": "sentry",
        "comment_id": 1234,
        "issue_id": 100,
        "timestamp": "2022-03-02T21:51:44.118160Z",
    },
    "installation": {"uuid": "eac5a0ae-60ec-418f-9318-46dc5e7e52ec"},
    "actor": {"type": "user", "id": 1, "name": "colleen"},
}


@pytest.fixture
def fake() -> FakeSentry:
    fake = FakeSentry.seeded(issues=5, projects=1, seed=2, clock=lambda: NOW)
    fake.subscribe_webhooks(None, SECRET)
    return fake


def test_signature_is_hex_hmac_sha256_of_the_body() -> None:
    body = b'{"action":"created"}'
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()

    assert sign(body, SECRET) == expected
    assert verify_signature(body, expected, SECRET)
    assert verify_signature(body, expected.upper(), SECRET)


@pytest.mark.parametrize(
    ("body", "signature", "secret"),
    [
        (b'{"action":"created"} ', "SIG", SECRET),  # one extra byte
        (b'{"action":"created"}', "SIG", "other-secret"),
        (b'{"action":"created"}', None, SECRET),
        (b'{"action":"created"}', "", SECRET),
        (b'{"action":"created"}', "SIG", ""),
        (b'{"action":"created"}', "sïgnature", SECRET),
    ],
)
def test_signature_mismatches_are_refused(body: bytes, signature: str | None, secret: str) -> None:
    real = sign(b'{"action":"created"}', SECRET)
    assert not verify_signature(body, real if signature == "SIG" else signature, secret)


def test_timestamp_window() -> None:
    stamp = str(int(NOW.timestamp()))

    assert timestamp_is_fresh(stamp, now=NOW + timedelta(seconds=299))
    assert not timestamp_is_fresh(stamp, now=NOW + timedelta(seconds=301))
    assert not timestamp_is_fresh("yesterday", now=NOW)
    assert not timestamp_is_fresh(None, now=NOW)


def test_fake_delivery_on_resolve_verifies_and_parses(fake: FakeSentry) -> None:
    issue_id = str(next(iter(fake.issues)))

    fake.resolve_issue(issue_id, by="grace@example.com")

    headers, body = fake.sent_webhooks[-1]
    assert headers["Sentry-Hook-Resource"] == "issue"
    assert verify_signature(body, headers["Sentry-Hook-Signature"], SECRET)
    assert timestamp_is_fresh(headers["Sentry-Hook-Timestamp"], now=NOW)
    event = parse_issue_webhook(body)
    assert event.action == "resolved"
    assert event.issue.id == issue_id and event.issue.status == "resolved"
    assert event.actor is not None and (event.actor.type, event.actor.name) == (
        "user",
        "Grace Hopper",
    )
    assert event.installation_uuid == fake.installation_uuid


def test_build_webhook_signs_with_a_given_secret(fake: FakeSentry) -> None:
    issue_id = str(next(iter(fake.issues)))

    headers, body = fake.build_webhook("issue.assigned", issue_id=issue_id, secret="s2")

    assert verify_signature(body, headers["Sentry-Hook-Signature"], "s2")
    assert not verify_signature(body, headers["Sentry-Hook-Signature"], SECRET)
    assert parse_issue_webhook(body).action == "assigned"
    assert len(fake.sent_webhooks) == 0  # built, not sent


def test_docs_issue_example_parses() -> None:
    event = parse_issue_webhook(json.dumps(DOCS_ISSUE).encode())

    assert event.action == "created"
    assert event.actor is not None and event.actor.type == "application"
    assert event.issue.short_id == "FRONT-END-9"
    assert event.issue.count == 1
    assert event.issue.permalink == DOCS_ISSUE["data"]["issue"]["web_url"]  # permalink is null
    assert event.issue.first_seen == datetime(2019, 8, 19, 20, 58, 37, 391000, tzinfo=UTC)


def test_archived_is_read_as_ignored() -> None:
    payload = {**DOCS_ISSUE, "action": "archived"}

    assert parse_issue_webhook(payload).action == "ignored"


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[]",
        json.dumps({**DOCS_ISSUE, "action": "exploded"}).encode(),
        json.dumps({**DOCS_ISSUE, "installation": {}}).encode(),
        json.dumps({**DOCS_ISSUE, "data": {}}).encode(),
        # Reading is tolerant of missing fields, but an issue without its id means nothing.
        json.dumps({**DOCS_ISSUE, "data": {"issue": {"title": "no id"}}}).encode(),
    ],
)
def test_malformed_issue_webhooks_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidWebhook):
        parse_issue_webhook(body)


def test_comment_webhook_from_the_fake(fake: FakeSentry) -> None:
    issue_id = str(next(iter(fake.issues)))

    note_id = fake.add_note(issue_id, "Seen again after deploy", author="alan@example.com")

    headers, body = fake.sent_webhooks[-1]
    assert headers["Sentry-Hook-Resource"] == "comment"
    assert verify_signature(body, headers["Sentry-Hook-Signature"], SECRET)
    event = parse_comment_webhook(body)
    assert (event.action, event.comment_id, event.issue_id) == ("created", note_id, issue_id)
    assert event.text == "Seen again after deploy"
    assert event.actor is not None and event.actor.name == "Alan Turing"


def test_docs_comment_example_parses() -> None:
    event = parse_comment_webhook(json.dumps(DOCS_COMMENT).encode())

    assert (event.comment_id, event.issue_id, event.project_slug) == ("1234", "100", "sentry")
    assert event.timestamp.tzinfo is not None


def test_malformed_comment_webhook_is_refused() -> None:
    payload = {**DOCS_COMMENT, "data": {"comment": "x"}}

    with pytest.raises(InvalidWebhook):
        parse_comment_webhook(payload)
