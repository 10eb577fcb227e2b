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
    """The credentials were refused (401): the only failure that says the token is bad."""


class RemoteForbidden(RemoteError):
    """The token is known but may not do this, or the route is refused (403)."""


class RemoteNotFound(RemoteError):
    """The remote object or route does not exist (404), or the route takes no such method (405)."""


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


class RemoteAddressRefused(RemoteError):
    """We refused to contact the remote: its address is not public (loopback, private, ...)."""


class RemoteBadResponse(RemoteError):
    """The remote answered something we cannot read (malformed JSON, unexpected shape)."""


REASON_LIMIT = 600


def remote_reason(error: RemoteError) -> str:
    """A readable reason saying whose move it is, never a stack trace or a secret.

    It names the kind of failure (the token, a permission or route, the request, the remote)
    before the remote's own message and the fields it refused.
    """
    if isinstance(error, RemoteAddressRefused):  # refused here, before any request: no remote spoke
        return error.message[:REASON_LIMIT]
    text = f"{_kind_of_failure(error)} {error.message}"
    fields = getattr(error, "field_errors", None) or {}
    if fields:
        text += " Fields: " + "; ".join(f"{name}: {message}" for name, message in fields.items())
    return text[:REASON_LIMIT]


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


class WebhookInvalid(Exception):
    """A webhook did not verify (signature, timestamp) or could not be read: answered 401."""


class WebhookMalformed(WebhookInvalid):
    """A webhook whose signature verified but whose body or ids are unusable: answered 400."""
