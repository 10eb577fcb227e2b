"""A connection's health: when it last worked, its last error, and repeated auth failures."""

from __future__ import annotations

import logging

from django.db.models import F
from django.utils import timezone

from switchyard.core.exceptions import (
    RemoteAddressRefused,
    RemoteBadResponse,
    RemoteError,
    RemoteForbidden,
    RemoteNotFound,
    RemoteRateLimited,
    RemoteRejected,
    RemoteTimeout,
    RemoteUnauthorized,
    RemoteUnavailable,
)
from switchyard.sync.models import Connection

logger = logging.getLogger(__name__)

AUTH_FAILURES_BEFORE_DISABLING = 3
# Stored on runs, outbox entries, links and connections: the remote's words and fields, cut short.
DESCRIPTION_LIMIT = 600


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
    """A readable reason saying whose move it is, never a stack trace or a secret.

    It names the kind of failure (the token, a permission or route, the request, the remote)
    before the remote's own message and the fields it refused.
    """
    if not isinstance(error, RemoteError):
        return f"{type(error).__name__}: {error}"[:DESCRIPTION_LIMIT]
    if isinstance(error, RemoteAddressRefused):  # refused here, before any request: no remote spoke
        return error.message[:DESCRIPTION_LIMIT]
    text = f"{_kind_of_failure(error)} {error.message}"
    fields = getattr(error, "field_errors", None) or {}
    if fields:
        text += " Fields: " + "; ".join(f"{name}: {message}" for name, message in fields.items())
    return text[:DESCRIPTION_LIMIT]


def _kind_of_failure(error: RemoteError) -> str:
    status = f" ({error.status})" if error.status else ""
    if isinstance(error, RemoteUnauthorized):
        return f"The token was refused{status}: check or replace it."
    if isinstance(error, RemoteForbidden):
        return (
            f"Permission or route refused{status}: the token lacks a permission for this, "
            "or the server does not offer this route. The token itself was accepted."
        )
    if isinstance(error, RemoteNotFound):
        return f"Not found{status}: the object is gone, or the server does not offer this route."
    if isinstance(error, RemoteRejected):
        return f"The request was refused{status}."
    if isinstance(error, RemoteRateLimited):
        return f"Rate limited{status}."
    if isinstance(error, RemoteTimeout):
        return "The remote did not answer in time."
    if isinstance(error, RemoteUnavailable):
        return f"The remote failed{status}."
    if isinstance(error, RemoteBadResponse):
        return "The remote's answer could not be read."
    return f"The remote answered an error{status}."
