"""The error families: business failures (DomainError) and remote failures (RemoteError)."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A business rule refused the operation; rendered by the API as a 4xx."""

    code = "invalid"
    status_code = 400

    def __init__(self, message: str, *, fields: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})


class ValidationFailed(DomainError):
    """Input broke a rule that only the service can check (across rows or tables)."""

    code = "invalid"


class Conflict(DomainError):
    """The operation clashes with the current state (e.g. an object still in use)."""

    code = "conflict"
    status_code = 409


class RemoteError(Exception):
    """A remote API failed; subclasses say how. Never carries credentials."""

    def __init__(
        self, message: str, *, status: int | None = None, body: str = "", retryable: bool = False
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body[:2000]
        self.retryable = retryable


class RemoteUnauthorized(RemoteError):
    """The credentials were refused (401/403)."""


class RemoteNotFound(RemoteError):
    """The remote object or endpoint does not exist (404)."""


class RemoteRateLimited(RemoteError):
    """The remote asked us to slow down (429); retry_after is in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        kwargs.setdefault("retryable", True)
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RemoteUnavailable(RemoteError):
    """The remote is down, overloaded or unreachable (5xx, connection errors)."""

    def __init__(self, message: str, **kwargs) -> None:
        kwargs.setdefault("retryable", True)
        super().__init__(message, **kwargs)


class RemoteTimeout(RemoteUnavailable):
    """No answer in time: the request may or may not have taken effect remotely."""


class RemoteRejected(RemoteError):
    """The remote refused our input (400/409/422); field_errors names what it disliked."""

    def __init__(self, message: str, *, field_errors: Mapping[str, str] | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.field_errors = dict(field_errors or {})


class RemoteBadResponse(RemoteError):
    """The remote answered something we cannot read (malformed JSON, unexpected shape)."""


def remote_reason(error: RemoteError) -> str:
    """A readable one-line reason for a remote failure, never a stack trace or a secret."""
    if isinstance(error, RemoteUnauthorized):
        return f"Authentication failed: check the token ({error.message})."
    return error.message


class WebhookInvalid(Exception):
    """A webhook did not verify (signature, timestamp) or could not be read: answered 401."""
