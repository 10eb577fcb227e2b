"""Writes to connections: create, update, sync now."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from switchyard.accounts.models import Organization
from switchyard.core.exceptions import ValidationFailed
from switchyard.core.http import address_refusal
from switchyard.sync.models import Connection, SyncRun
from switchyard.sync.registry import connection_needs, kind_handlers
from switchyard.sync.scheduler import enqueue_pull

MIN_SYNC_INTERVAL = timedelta(minutes=1)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def connection_target_errors(
    *, base_url: str, previous_base_url: str | None, token_entered: bool
) -> dict[str, list[str]]:
    """What is wrong with sending a connection's token to ``base_url`` (field -> messages).

    The base URL must reach a public address; and a stored token goes only to the scheme, host
    and port it was entered for: pointing the connection elsewhere needs the token again.
    """
    errors = {}
    if refusal := address_refusal(base_url):
        errors["base_url"] = [refusal]
    moved = previous_base_url is not None and _origin(base_url) != _origin(previous_base_url)
    if moved and not token_entered:
        errors["api_token"] = ["Enter the token again: the base URL points at another host."]
    return errors


def _validate(
    connection: Connection, *, previous_base_url: str | None = None, token_entered: bool = True
) -> None:
    errors = {
        name: [f"This field is required for a {connection.get_kind_display()} connection."]
        for name in connection_needs(connection.kind).required_fields
        if not getattr(connection, name)
    }
    if not connection.base_url:
        errors["base_url"] = ["This field is required."]
    else:
        errors.update(
            connection_target_errors(
                base_url=connection.base_url,
                previous_base_url=previous_base_url,
                token_entered=token_entered,
            )
        )
    if connection.sync_interval < MIN_SYNC_INTERVAL:
        errors["sync_interval_minutes"] = ["Ensure this value is at least 1."]
    clash = Connection.objects.filter(
        organization=connection.organization, kind=connection.kind, name=connection.name
    ).exclude(pk=connection.pk)
    if clash.exists():
        errors["name"] = ["A connection of this kind with this name already exists."]
    if errors:
        raise ValidationFailed("The connection is incomplete.", fields=errors)


def _new_connection(
    *, organization: Organization, kind: str, name: str, fields: dict
) -> Connection:
    connection = Connection(organization=organization, kind=kind, name=name, **fields)
    if not connection.base_url:
        connection.base_url = connection_needs(kind).default_base_url
    _validate(connection)
    return connection


@transaction.atomic
def connection_create(*, organization: Organization, kind: str, name: str, **fields) -> Connection:
    """Add a connection to a remote; it is due for its first sync at once."""
    connection = _new_connection(organization=organization, kind=kind, name=name, fields=fields)
    connection.save()
    return connection


def connection_create_tested(
    *, organization: Organization, kind: str, name: str, **fields
) -> tuple[Connection, str]:
    """Add a connection only once its remote accepted the credentials; also who they belong to.

    A refusal raises the remote's ``RemoteError`` and saves nothing. A blank webhook secret is
    made here, for the person to give to the remote.
    """
    if not fields.get("webhook_secret"):
        fields["webhook_secret"] = secrets.token_urlsafe(24)
    connection = _new_connection(organization=organization, kind=kind, name=name, fields=fields)
    # Asked outside any transaction: no database lock is held while the remote answers.
    identity = kind_handlers(kind).test_connection(connection)
    connection.last_ok_at = timezone.now()
    with transaction.atomic():
        _validate(connection)  # again: another connection may have taken the name meanwhile
        connection.save()
    return connection, identity


@transaction.atomic
def connection_update(*, connection: Connection, **fields) -> Connection:
    """Change a connection; blank secrets in ``fields`` keep the stored ones (on the same host)."""
    for name in ("api_token", "webhook_secret"):
        if name in fields and not fields[name]:
            fields.pop(name)
    previous_base_url = connection.base_url
    for name, value in fields.items():
        setattr(connection, name, value)
    if fields.get("api_token"):
        connection.consecutive_failures = 0
    _validate(
        connection,
        previous_base_url=previous_base_url,
        token_entered=bool(fields.get("api_token")),
    )
    connection.save()
    return connection


def connection_sync_now(
    *, connection: Connection, full: bool = False, trigger: str = SyncRun.Trigger.MANUAL
) -> None:
    """Queue a pull at once, whatever the schedule says."""
    Connection.objects.filter(pk=connection.pk).update(
        next_sync_at=timezone.now() + connection.sync_interval
    )
    transaction.on_commit(lambda: enqueue_pull(connection=connection, trigger=trigger, full=full))
