"""A connection's health: when it last worked, its last error, and repeated auth failures."""

from __future__ import annotations

import logging

from django.db.models import F
from django.utils import timezone

from switchyard.core.exceptions import REASON_LIMIT, RemoteError, RemoteUnauthorized, remote_reason
from switchyard.sync.models import Connection

logger = logging.getLogger(__name__)

AUTH_FAILURES_BEFORE_DISABLING = 3


def connection_record_ok(*, connection: Connection) -> None:
    """The remote answered: clear the failure streak."""
    Connection.objects.filter(pk=connection.pk).update(
        last_ok_at=timezone.now(), consecutive_failures=0
    )


def connection_record_error(*, connection: Connection, error: Exception) -> None:
    """Remember a failure; repeated refusals of the token (401 only) switch the connection's sync off."""
    message = describe_error(error)
    Connection.objects.filter(pk=connection.pk).update(
        last_error_at=timezone.now(),
        last_error=message,
        consecutive_failures=F("consecutive_failures") + 1,
    )
    connection.refresh_from_db(fields=["consecutive_failures", "sync_enabled"])
    if (
        isinstance(error, RemoteUnauthorized)
        and connection.consecutive_failures >= AUTH_FAILURES_BEFORE_DISABLING
        and connection.sync_enabled
    ):
        Connection.objects.filter(pk=connection.pk).update(sync_enabled=False)
        logger.error(
            "sync.connection.disabled",
            extra={"connection": connection.pk, "reason": "repeated authentication failures"},
        )


def describe_error(error: Exception) -> str:
    """A readable one-line reason, never a stack trace or a secret."""
    if isinstance(error, RemoteError):
        return remote_reason(error)
    return f"{type(error).__name__}: {error}"[:REASON_LIMIT]
