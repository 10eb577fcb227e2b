"""RemoteClient: the httpx base every connector client extends.

It owns timeouts, the User-Agent, authentication, error mapping and a small, explicit retry:
three attempts with exponential backoff and full jitter, on connection errors, 429 and 502-504,
honouring ``Retry-After``. Waits longer than ``max_retry_wait`` are not slept here: the error is
raised so the caller (a task) retries later instead of holding a worker.

Remotes are reached on public addresses only (unless ``ALLOW_PRIVATE_REMOTES`` is set): every
connection resolves the host itself, refuses it when any address is loopback, private, link-local,
multicast or reserved, and connects to an address it checked, so a name that resolves elsewhere
by the time of the request (DNS rebinding) gets no further than one checked at validation.
"""

from __future__ import annotations

import contextlib
import contextvars
import email.utils
import functools
import ipaddress
import logging
import random
import socket
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpcore
import httpx
import orjson
from django.conf import settings

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
from switchyard.core.remote_answers import remote_message

USER_AGENT = "Switchyard/1.0 (+https://github.com/switchyard)"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def pause(seconds: float) -> None:
    """Wait between retries (a seam: tests replace it so that nothing really waits)."""
    time.sleep(seconds)


def resolve(host: str, port: int) -> list[str]:
    """Every address a host name stands for (a seam: tests replace it)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: str) -> bool:
    """Whether an IP address is globally routable unicast (not loopback, private, link-local, ...)."""
    ip = ipaddress.ip_address(address.partition("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 reaches that IPv4 address.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None and not is_public(str(embedded)):
            return False
    return ip.is_global and not ip.is_multicast


def private_remotes_allowed() -> bool:
    """Whether the settings let connections reach non-public addresses (demo, tests)."""
    return settings.configured and settings.ALLOW_PRIVATE_REMOTES


def _refusal(host: str) -> str:
    return (
        f"{host} is not a public address: loopback, private, link-local, multicast and reserved "
        "addresses are refused."
    )


def address_refusal(url: str) -> str | None:
    """Why a remote at ``url`` may not be contacted, or None.

    A host that does not resolve now is not refused here: every request checks it again.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Enter an http or https URL with a host."
    if private_remotes_allowed():
        return None
    try:
        addresses = resolve(parts.hostname, 443)
    except (OSError, UnicodeError):
        return None
    if all(is_public(address) for address in addresses):
        return None
    return _refusal(parts.hostname)


class _PublicOnlyBackend(httpcore.SyncBackend):
    """Resolves each host itself and connects only to addresses it checked."""

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"{host} could not be resolved: {exc}") from exc
        if not addresses or not all(is_public(address) for address in addresses):
            raise RemoteAddressRefused(_refusal(host))
        for address in addresses[:-1]:
            with contextlib.suppress(httpcore.ConnectError):
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
        return super().connect_tcp(addresses[-1], port, timeout, local_address, socket_options)


class PublicOnlyTransport(httpx.HTTPTransport):
    """httpx's transport, connecting to public addresses only (TLS still checks the host name)."""

    def __init__(self) -> None:
        super().__init__(verify=tls_context())
        # httpx takes no network backend; its connection pool does, and only opens connections.
        self._pool._network_backend = _PublicOnlyBackend()


_mounted: dict[str, httpx.BaseTransport] = {}
_fail_fast: contextvars.ContextVar[float | None] = contextvars.ContextVar("fail_fast", default=None)


@contextlib.contextmanager
def fail_fast(*, timeout: float) -> Iterator[None]:
    """Clients built inside try once, with this timeout: for calls made while a person waits.

    What fails is left to the outbox's own retries.
    """
    token = _fail_fast.set(timeout)
    try:
        yield
    finally:
        _fail_fast.reset(token)


def mount_transport(base_url: str, transport: httpx.BaseTransport | None) -> None:
    """Answer every client built for ``base_url`` from ``transport`` (an in-process fake); None unmounts.

    Used by tests, so that code building clients from connection rows talks to a fake remote.
    """
    key = base_url.rstrip("/")
    if transport is None:
        _mounted.pop(key, None)
    else:
        _mounted[key] = transport


def mounted_transport(base_url: str) -> httpx.BaseTransport | None:
    return _mounted.get(base_url.rstrip("/"))


def client_context(base_url: str) -> tuple[float | None, httpx.BaseTransport | None, bool]:
    """What shapes a client built now beside its settings: the fail-fast timeout, a mounted
    transport, whether private addresses may be reached.

    Code that keeps clients for reuse keys them by it.
    """
    return _fail_fast.get(), mounted_transport(base_url), private_remotes_allowed()


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per process: loading the CA bundle costs tens of milliseconds."""
    return httpx.create_ssl_context()


class RemoteClient:
    """Base HTTP client for one remote connection; subclasses add the provider's calls."""

    kind: ClassVar[str] = "remote"
    max_attempts: ClassVar[int] = 3
    backoff_base: ClassVar[float] = 0.5
    backoff_cap: ClassVar[float] = 8.0
    max_retry_wait: ClassVar[float] = 30.0
    max_pages: ClassVar[int] = 10_000

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.logger = logging.getLogger(f"remote.{self.kind}")
        self._sleep = sleep or pause
        self._max_attempts = max_attempts or self.max_attempts
        if (quick := _fail_fast.get()) is not None:
            timeout, self._max_attempts = min(timeout, quick), 1
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport
            or mounted_transport(self.base_url)
            or (None if private_remotes_allowed() else PublicOnlyTransport()),
            verify=tls_context(),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            auth=self.auth(),
        )

    # -- hooks for subclasses -------------------------------------------------------------

    def auth(self) -> httpx.Auth | None:
        """The httpx auth for this connection (bearer token, basic auth, ...)."""
        return None

    def error_for_response(self, response: httpx.Response) -> RemoteError | None:
        """The error a response stands for, or None when it is a success."""
        status = response.status_code
        if status < 400:
            return None
        body = response.text
        what = f"{self.kind} answered {status} to {response.request.method} {response.request.url.path}"
        if said := remote_message(response):
            what = f"{what}: {said}"
        # Only a 401 says the token is bad; a 403 is a missing scope or a refused route.
        if status == 401:
            return RemoteUnauthorized(what, status=status, body=body)
        if status == 403:
            return RemoteForbidden(what, status=status, body=body)
        if status in (404, 405):
            return RemoteNotFound(what, status=status, body=body)
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            return RemoteRateLimited(what, status=status, body=body, retry_after=retry_after)
        if status in (400, 409, 422):
            return RemoteRejected(
                what, status=status, body=body, field_errors=self.field_errors(response)
            )
        if status >= 500:
            return RemoteUnavailable(what, status=status, body=body)
        return RemoteError(what, status=status, body=body)

    def field_errors(self, response: httpx.Response) -> dict[str, str]:
        """Per-field messages from an error body; providers override to read their shape."""
        return {}

    # -- requests -------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one request, retrying idempotent ones on transient failures."""
        retry_allowed = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(
                    method, path, params=params, json=json_body, headers=headers
                )
                error = self.error_for_response(response)
            except httpx.TimeoutException as exc:
                error = RemoteTimeout(
                    f"{self.kind} did not answer {method} {path} in time: {exc!r}"
                )
            except httpx.TransportError as exc:
                error = RemoteUnavailable(
                    f"{self.kind} could not be reached for {method} {path}: {exc!r}"
                )
            if error is None:
                self.logger.debug(
                    "remote.request.ok",
                    extra={"method": method, "path": path, "status": response.status_code},
                )
                return response
            wait = self._retry_wait(error, attempt) if retry_allowed else None
            self.logger.warning(
                "remote.request.failed",
                extra={
                    "method": method,
                    "path": path,
                    "status": error.status,
                    "attempt": attempt,
                    "retry_in": wait,
                },
            )
            if wait is None:
                raise error
            self._sleep(wait)

    def request_json(self, method: str, path: str, **kwargs) -> Any:
        """Send a request and decode its JSON body; malformed JSON is a RemoteBadResponse."""
        response = self.request(method, path, **kwargs)
        return self.decode_json(response)

    def decode_json(self, response: httpx.Response) -> Any:
        if not response.content:
            return None
        try:
            # orjson: a page of issues decodes several times faster than with the json module.
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise RemoteBadResponse(
                f"{self.kind} answered unreadable JSON to {response.request.url.path}: {exc}",
                status=response.status_code,
                body=response.text,
                retryable=True,
            ) from exc

    def decode_answer(self, response: httpx.Response) -> Any:
        """The JSON of the answer to a write the remote accepted, or None when it is unreadable.

        The 2xx is the success: what the body says is a courtesy the caller reads tolerantly.
        """
        try:
            return self.decode_json(response)
        except RemoteBadResponse:
            self.logger.info(
                "remote.write.answer_unread", extra={"path": response.request.url.path}
            )
            return None

    def _retry_wait(self, error: RemoteError, attempt: int) -> float | None:
        """Seconds to sleep before the next attempt, or None to give up and raise."""
        # Within a request only what heals in seconds is retried: connection errors, timeouts,
        # 429 and 502-504. Other retryable errors (a 500, say) are left to the caller's task retry.
        transient = error.status is None or error.status in RETRY_STATUSES
        if not (error.retryable and transient) or attempt >= self._max_attempts:
            return None
        if isinstance(error, RemoteRateLimited) and error.retry_after is not None:
            if error.retry_after > self.max_retry_wait:
                return None
            return error.retry_after
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)


def bad_shape(kind: str, what: str, exc: Exception) -> RemoteBadResponse:
    """A RemoteBadResponse for JSON that decoded but did not have the expected shape."""
    return RemoteBadResponse(f"{kind} answered an unexpected {what}: {exc!r}")
