"""Webhooks as a Sentry integration receives them: signed, recorded, POSTed in the background.

Headers ``Sentry-Hook-Resource`` (issue, comment), ``Sentry-Hook-Timestamp`` and
``Sentry-Hook-Signature`` (hex HMAC-SHA256 of the body with the client secret); the body carries
``action``, ``installation``, ``data`` and ``actor``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from switchyard.fakes.sentry.model import PUBLIC_URL, SENTRY_ACTOR, Issue, Member, Note, iso


class SentryWebhooks:
    """Subscription, payloads, signing and best-effort delivery of the fake's webhooks.

    Mixed into FakeSentry; reads its rows, lock and clock and renders issues with its serializers.
    """

    def __init__(self) -> None:
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.installation_uuid = str(uuid.UUID(int=0x5E47))
        # The token belongs to an internal integration by default, so changes made through the
        # API come back in webhooks with an "application" actor, as Sentry attributes a sentry
        # app's proxy user. Set to None to model a personal token (actor type "user").
        self.integration_name: str | None = "Switchyard"
        self.app_uuid = str(uuid.UUID(int=0xA99))
        self.sent_webhooks: list[tuple[dict[str, str], bytes]] = []
        self.webhook_errors: list[str] = []
        self._webhook_threads: list[threading.Thread] = []

    def subscribe_webhooks(
        self, url: str | None, secret: str, *, installation_uuid: str | None = None
    ) -> None:
        """Send future webhooks, signed with ``secret``, to ``url`` (None: only record them)."""
        with self.lock:
            self.webhook_url, self.webhook_secret = url, secret
            if installation_uuid:
                self.installation_uuid = installation_uuid

    def build_webhook(
        self,
        event: str,
        *,
        issue_id: str | None = None,
        comment_id: str | None = None,
        actor: Mapping[str, Any] | None = None,
        secret: str | None = None,
    ) -> tuple[dict[str, str], bytes]:
        """A signed delivery (headers, body) without sending it.

        ``event`` is ``resource.action``: ``issue.created|resolved|unresolved|ignored|assigned``
        (needs ``issue_id``) or ``comment.created|updated|deleted`` (needs ``comment_id``).
        """
        resource, _, action = event.partition(".")
        with self.lock:
            if resource == "issue" and issue_id is not None:
                data = {"issue": self._webhook_issue_json(self._issue_or_raise(issue_id))}
            elif resource == "comment" and comment_id is not None:
                data = self._comment_data(self.notes[int(comment_id)])
            else:
                raise ValueError(f"cannot build {event!r} from the given ids")
            return self._signed(resource, action, data, actor or SENTRY_ACTOR, secret)

    def flush_webhooks(self, timeout: float = 5.0) -> None:
        """Wait for background deliveries to finish (tests)."""
        for thread in list(self._webhook_threads):
            thread.join(timeout)

    def _signed(
        self,
        resource: str,
        action: str,
        data: Mapping[str, Any],
        actor: Mapping[str, Any],
        secret: str | None,
    ) -> tuple[dict[str, str], bytes]:
        body = json.dumps(
            {
                "action": action,
                "installation": {"uuid": self.installation_uuid},
                "data": data,
                "actor": dict(actor),
            }
        ).encode()
        key = secret if secret is not None else (self.webhook_secret or "")
        headers = {
            "Content-Type": "application/json",
            "Request-ID": str(uuid.uuid4()),
            "Sentry-Hook-Resource": resource,
            "Sentry-Hook-Timestamp": str(int(self.clock().timestamp())),
            "Sentry-Hook-Signature": hmac.new(key.encode(), body, hashlib.sha256).hexdigest(),
        }
        return headers, body

    def _emit_issue(self, action: str, issue: Issue, actor: Mapping[str, Any]) -> None:
        data = {"issue": self._webhook_issue_json(issue)}
        self._deliver(*self._signed("issue", action, data, actor, None))

    def _emit_comment(self, action: str, note: Note, actor: Mapping[str, Any]) -> None:
        self._deliver(*self._signed("comment", action, self._comment_data(note), actor, None))

    def _deliver(self, headers: dict[str, str], body: bytes) -> None:
        if self.webhook_secret is None:
            return  # nobody subscribed, like an integration without webhook resources
        self.sent_webhooks.append((headers, body))
        if not self.webhook_url:
            return
        url = self.webhook_url
        thread = threading.Thread(target=self._post_webhook, args=(url, headers, body), daemon=True)
        self._webhook_threads.append(thread)
        thread.start()

    def _post_webhook(self, url: str, headers: dict[str, str], body: bytes) -> None:
        try:
            httpx.post(url, content=body, headers=headers, timeout=5.0)
        except httpx.HTTPError as exc:  # best effort, like Sentry's own retries giving up
            with self.lock:
                self.webhook_errors.append(f"{url}: {exc!r}")

    # -- payloads and actors ----------------------------------------------------------------

    def _webhook_issue_json(self, issue: Issue) -> dict[str, Any]:
        org = self.projects[issue.project_id].org
        project = self.projects[issue.project_id]
        return {
            **self._issue_json(issue),
            "url": f"{PUBLIC_URL}/api/0/organizations/{org}/issues/{issue.id}/",
            "web_url": self._permalink(issue),
            "project_url": f"https://{org}.sentry.io/projects/{project.slug}/",
        }

    def _comment_data(self, note: Note) -> dict[str, Any]:
        issue = self.issues[note.issue_id]
        return {
            "comment_id": note.id,
            "issue_id": issue.id,
            "project_slug": self.projects[issue.project_id].slug,
            "timestamp": iso(note.created),
            "comment": note.text,
        }

    def _token_actor(self) -> dict[str, Any]:
        if self.integration_name is None:
            return self._actor(self.members[self.token_user_id])
        return {"type": "application", "id": self.app_uuid, "name": self.integration_name}

    def _actor(self, member: Member | None) -> dict[str, Any]:
        if member is None:
            return dict(SENTRY_ACTOR)
        return {"type": "user", "id": member.id, "name": member.name}
