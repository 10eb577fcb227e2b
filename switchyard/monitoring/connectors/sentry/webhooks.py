"""Sentry integration-platform webhooks: signature checks and payload parsing (pure functions).

https://docs.sentry.io/integrations/integration-platform/webhooks/ — every delivery is a POST with
``Sentry-Hook-Resource`` (issue, comment, ...), ``Sentry-Hook-Timestamp`` (epoch seconds),
``Request-ID`` and ``Sentry-Hook-Signature``: the hex HMAC-SHA256 of the raw body with the
integration's client secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from switchyard.monitoring.connectors.sentry.mapping import (
    SentryIssue,
    SentryShapeError,
    issue_from_json,
    parse_timestamp,
)

SIGNATURE_HEADER = "Sentry-Hook-Signature"
RESOURCE_HEADER = "Sentry-Hook-Resource"
TIMESTAMP_HEADER = "Sentry-Hook-Timestamp"
REQUEST_ID_HEADER = "Request-ID"

# Sentry's docs list "archived" where older servers (and the API's status) say "ignored".
ISSUE_ACTIONS = frozenset({"created", "resolved", "unresolved", "ignored", "archived", "assigned"})
COMMENT_ACTIONS = frozenset({"created", "updated", "deleted"})


class InvalidWebhook(ValueError):
    """A webhook body that is not JSON or not shaped as Sentry documents."""


@dataclass(frozen=True, slots=True)
class SentryActor:
    """Who caused a webhook: a user, the integration itself, or Sentry ("application")."""

    type: str
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class SentryIssueWebhook:
    """An ``issue`` delivery: what happened (action) and the issue as it is now."""

    action: str
    installation_uuid: str
    actor: SentryActor | None
    issue: SentryIssue


@dataclass(frozen=True, slots=True)
class SentryCommentWebhook:
    """A ``comment`` delivery (a note created, updated or deleted on an issue)."""

    action: str
    installation_uuid: str
    actor: SentryActor | None
    comment_id: str
    issue_id: str
    project_slug: str
    text: str
    timestamp: datetime


def sign(body: bytes, secret: str) -> str:
    """The Sentry-Hook-Signature for a body: hex HMAC-SHA256 with the client secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, signature: str | None, secret: str) -> bool:
    """Whether a signature matches the exact body bytes, compared in constant time."""
    if not signature or not secret:
        return False
    # Compared as bytes: compare_digest refuses non-ASCII str, and a header may carry anything.
    given = signature.strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(sign(body, secret).encode(), given)


def timestamp_is_fresh(
    value: str | None, *, now: datetime | None = None, tolerance: float = 300.0
) -> bool:
    """Whether a Sentry-Hook-Timestamp (epoch seconds) lies within ``tolerance`` of now."""
    try:
        sent = float(value or "")
    except ValueError:
        return False
    current = (now or datetime.now(UTC)).timestamp()
    return abs(current - sent) <= tolerance


def _load(body: bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidWebhook(f"body is not JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise InvalidWebhook("body is not a JSON object")
    return data


def _common(
    data: Mapping[str, Any], actions: frozenset[str]
) -> tuple[str, str, SentryActor | None]:
    action = data.get("action")
    if action not in actions:
        raise InvalidWebhook(f"unknown action {action!r}")
    installation = data.get("installation")
    if not isinstance(installation, Mapping) or not isinstance(installation.get("uuid"), str):
        raise InvalidWebhook("installation.uuid is missing")
    raw_actor = data.get("actor")
    actor = None
    if isinstance(raw_actor, Mapping):
        actor = SentryActor(
            type=str(raw_actor.get("type", "")),
            id=str(raw_actor.get("id", "")),
            name=str(raw_actor.get("name", "")),
        )
    return action, installation["uuid"], actor


def parse_issue_webhook(body: bytes | Mapping[str, Any]) -> SentryIssueWebhook:
    """Parse an ``issue`` delivery into its action, actor and issue record."""
    data = _load(body)
    action, installation_uuid, actor = _common(data, ISSUE_ACTIONS)
    payload = data.get("data")
    if not isinstance(payload, Mapping) or "issue" not in payload:
        raise InvalidWebhook("data.issue is missing")
    try:
        issue = issue_from_json(payload["issue"])
    except SentryShapeError as exc:
        raise InvalidWebhook(f"data.issue: {exc}") from exc
    # One word for one state: "archived" is how newer Sentry names "ignored".
    return SentryIssueWebhook(
        action="ignored" if action == "archived" else action,
        installation_uuid=installation_uuid,
        actor=actor,
        issue=issue,
    )


def parse_comment_webhook(body: bytes | Mapping[str, Any]) -> SentryCommentWebhook:
    """Parse a ``comment`` delivery into its action, actor and note fields."""
    data = _load(body)
    action, installation_uuid, actor = _common(data, COMMENT_ACTIONS)
    payload = data.get("data")
    if not isinstance(payload, Mapping):
        raise InvalidWebhook("data is missing")
    try:
        return SentryCommentWebhook(
            action=action,
            installation_uuid=installation_uuid,
            actor=actor,
            comment_id=str(payload["comment_id"]),
            issue_id=str(payload["issue_id"]),
            project_slug=str(payload["project_slug"]),
            text=str(payload["comment"]),
            timestamp=parse_timestamp(payload["timestamp"]),
        )
    except (KeyError, SentryShapeError) as exc:
        raise InvalidWebhook(f"comment payload: {exc!r}") from exc
