"""Jira webhook signature checks and parsing, on deliveries built by the fake Jira."""

from __future__ import annotations

import json

import pytest

from switchyard.fakes.jira import FakeJira
from switchyard.trackers.connectors.jira.webhooks import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    InvalidWebhook,
    parse_webhook,
    signature,
    verify_signature,
)

SECRET = "It's a Secret to Everybody"


def test_known_signature() -> None:
    # The reference vector of X-Hub-Signature (HMAC-SHA256 over the raw body).
    expected = "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9"
    assert signature(SECRET, b"Hello World!") == expected
    assert verify_signature(SECRET, b"Hello World!", expected)


@pytest.mark.parametrize(
    ("secret", "body", "header"),
    [
        ("another secret", b"Hello World!", None),
        (SECRET, b"Hello World?", None),
        (SECRET, b"Hello World!", ""),
        (
            SECRET,
            b"Hello World!",
            "sha1=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9",
        ),
        (SECRET, b"Hello World!", "sha256="),
        ("", b"Hello World!", None),
    ],
)
def test_bad_signatures_are_refused(secret: str, body: bytes, header: str | None) -> None:
    good = "sha256=a4771c39fbe90f317c7824e83ddef3caae9cb3d976c214ace1f2937e133263c9"
    assert not verify_signature(secret, body, good if header is None else header)


@pytest.fixture
def fake() -> FakeJira:
    fake = FakeJira.seeded(issues=3, projects=1, seed=5)
    fake.subscribe_webhooks(None, SECRET)
    return fake


def test_status_change_delivery(fake: FakeJira) -> None:
    fake.transition_by_name(
        "PAY-1",
        "Won't Do" if fake.issue("PAY-1").status.category != "done" else "To Do",
        by="grace.hopper@example.com",
    )
    headers, body = fake.sent_webhooks[-1]
    assert verify_signature(SECRET, body, headers[SIGNATURE_HEADER])
    assert headers[DELIVERY_HEADER]
    event = parse_webhook(body)
    assert event.event == "jira:issue_updated"
    assert event.issue_key == "PAY-1" and event.issue is not None
    assert event.issue.status == fake.issue("PAY-1").status.name
    status = next(c for c in event.changes if c.field == "status")
    assert status.to_string == event.issue.status
    assert event.user is not None and event.user.display_name == "Grace Hopper"
    assert event.timestamp.tzinfo is not None


def test_created_and_comment_deliveries(fake: FakeJira) -> None:
    key = fake.create_issue_as_user("PAY", "From the UI", description="Hello")
    comment_id = fake.add_comment(key, "A person says hi")
    created, commented = (parse_webhook(body) for _, body in fake.sent_webhooks[-2:])
    assert created.event == "jira:issue_created" and created.issue is not None
    assert created.issue.description == "Hello" and created.changes == ()
    assert commented.event == "comment_created"
    assert commented.comment is not None and commented.comment.id == comment_id
    assert commented.comment.body == "A person says hi"
    ids = {headers[DELIVERY_HEADER] for headers, _ in fake.sent_webhooks}
    assert len(ids) == len(fake.sent_webhooks)


def test_build_webhook_without_sending(fake: FakeJira) -> None:
    before = len(fake.sent_webhooks)
    headers, body = fake.build_webhook(
        "jira:issue_updated",
        "PAY-2",
        secret="other",
        changelog=[{"field": "status", "fromString": "To Do", "toString": "Done"}],
    )
    assert len(fake.sent_webhooks) == before
    assert verify_signature("other", body, headers[SIGNATURE_HEADER])
    assert not verify_signature(SECRET, body, headers[SIGNATURE_HEADER])
    assert parse_webhook(body).changes[0].to_string == "Done"


def test_comment_event_with_a_trimmed_issue() -> None:
    # Jira's comment events carry only a few issue fields (no dates).
    body = json.dumps(
        {
            "timestamp": 1717000000000,
            "webhookEvent": "comment_created",
            "issue": {
                "id": "10001",
                "key": "PAY-1",
                "self": "https://a.atlassian.net/rest/api/3/issue/10001",
                "fields": {"summary": "x"},
            },
            "comment": {
                "id": "7",
                "body": {"type": "doc", "version": 1, "content": []},
                "created": "2024-05-29T16:26:40.000+0000",
            },
        }
    ).encode()
    event = parse_webhook(body)
    assert event.issue is None and event.issue_key == "PAY-1" and event.comment is not None


def test_issue_event_with_a_trimmed_issue_stores_nothing_blank() -> None:
    body = b'{"timestamp": 1, "webhookEvent": "jira:issue_updated", "issue": {"id": "1", "key": "A-1", "fields": {"summary": "x"}}}'
    event = parse_webhook(body)
    assert event.issue is None and (event.issue_id, event.issue_key) == ("1", "A-1")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"webhookEvent": "jira:issue_updated"}',
        b'{"timestamp": 1, "webhookEvent": "jira:issue_updated", "issue": {"id": "1", "fields": {}}}',
    ],
)
def test_unreadable_bodies(body: bytes) -> None:
    with pytest.raises(InvalidWebhook):
        parse_webhook(body)
