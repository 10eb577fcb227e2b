"""FakeServer: the routing, recording and fault injection shared by the fake remotes.

A fake is a plain object holding remote state. It answers requests two ways:
- in-process, through ``fake.transport()`` (an httpx transport), for fast tests;
- over real HTTP on 127.0.0.1, through ``fake.serve()``, for end-to-end tests, the demo and
  benchmarks.
Faults are queued with ``fail_next``, ``rate_limit_next``, ``timeout_next``, ``truncate_next``,
``strip_next`` and ``drop_next``; each applies to the next matching requests and then expires.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx


@dataclass
class FakeRequest:
    """One request as the fake received it (kept in ``fake.requests`` for assertions)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: httpx.Headers
    body: bytes = b""
    url: str = ""

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class FakeResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> FakeResponse:
    return FakeResponse(
        status=status,
        body=json.dumps(data).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def empty_response(status: int = 204) -> FakeResponse:
    return FakeResponse(status=status)


@dataclass
class Fault:
    kind: str  # status | timeout | truncate | strip | drop
    times: int = 1
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 5.0
    method: str | None = None
    path_pattern: str | None = None
    body_pattern: str | None = None  # e.g. one GraphQL operation among the POSTs to /graphql
    query_pattern: str | None = None  # e.g. "cursor=" for every page of a listing but the first
    fields: tuple[str, ...] = ()  # strip: dotted paths taken out of the JSON answer

    def matches(self, request: FakeRequest) -> bool:
        if self.method and self.method != request.method:
            return False
        if self.query_pattern and not re.search(self.query_pattern, urlsplit(request.url).query):
            return False
        if self.body_pattern and not re.search(
            self.body_pattern, request.body.decode(errors="replace")
        ):
            return False
        return not self.path_pattern or re.search(self.path_pattern, request.path) is not None


class FakeTimeout(Exception):
    """The fake stays silent past the client's timeout."""

    def __init__(self, delay: float) -> None:
        self.delay = delay


class FakeDrop(Exception):
    """The fake closes the connection without answering."""


def _without(body: bytes, fields: tuple[str, ...]) -> bytes:
    """A JSON body less some dotted paths; empty when no path is given."""
    if not fields or not body:
        return b""
    data = json.loads(body)
    for dotted in fields:
        *parents, last = dotted.split(".")
        nodes = data if isinstance(data, list) else [data]
        for name in parents:
            nodes = [n.get(name) for n in nodes if isinstance(n, dict)]
            nodes = [item for n in nodes for item in (n if isinstance(n, list) else [n])]
        for node in nodes:
            if isinstance(node, dict):
                node.pop(last, None)
    return json.dumps(data).encode()


def route(method: str, pattern: str) -> Callable:
    """Mark a FakeServer method as the handler of METHOD on a path regex (named groups → kwargs)."""

    def mark(func: Callable) -> Callable:
        func._fake_route = (method, re.compile(f"^{pattern}$"))
        return func

    return mark


class FakeServer:
    """Base of the fake remotes: dispatch, auth check, recording, faults, transport and server."""

    name: ClassVar[str] = "fake"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[FakeRequest] = []
        self.exchanges: list[tuple[httpx.Request, httpx.Response]] = []
        self._faults: list[Fault] = []
        self._routes = [
            (*member._fake_route, member)
            for member in (getattr(self, attr) for attr in dir(type(self)))
            if callable(member) and hasattr(member, "_fake_route")
        ]

    # -- what subclasses provide ---------------------------------------------------------

    def authenticate(self, request: FakeRequest) -> bool:
        return True

    def unauthorized(self, request: FakeRequest) -> FakeResponse:
        return json_response({"detail": "Authentication credentials were not provided."}, 401)

    def not_found(self, request: FakeRequest) -> FakeResponse:
        return json_response({"detail": "The requested resource does not exist"}, 404)

    def rate_limited_body(self) -> Any:
        return {"detail": "Rate limit exceeded"}

    def server_error_body(self, status: int) -> Any:
        return {"detail": f"Internal error ({status})"}

    # -- fault injection -----------------------------------------------------------------

    def fail_next(
        self,
        status: int = 503,
        *,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
        body: Any = None,
        query: str | None = None,
    ) -> None:
        payload = body if body is not None else self.server_error_body(status)
        self._add_fault(
            Fault(
                "status",
                times,
                status,
                {"Content-Type": "application/json"},
                json.dumps(payload).encode(),
                method=method,
                path_pattern=path,
                query_pattern=query,
            )
        )

    def rate_limit_next(
        self,
        retry_after: float = 1,
        *,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
    ) -> None:
        headers = {"Content-Type": "application/json", "Retry-After": f"{retry_after:g}"}
        body = json.dumps(self.rate_limited_body()).encode()
        self._add_fault(
            Fault("status", times, 429, headers, body, method=method, path_pattern=path)
        )

    def timeout_next(
        self,
        *,
        delay: float = 5.0,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
        body: str | None = None,
    ) -> None:
        """Stay silent: in-process this raises httpx.ReadTimeout; served, it sleeps ``delay``.

        The request is still applied first, like a remote that did the work but answered late.
        """
        self._add_fault(
            Fault(
                "timeout", times, delay=delay, method=method, path_pattern=path, body_pattern=body
            )
        )

    def truncate_next(
        self, *, times: int = 1, path: str | None = None, method: str | None = None
    ) -> None:
        self._add_fault(Fault("truncate", times, method=method, path_pattern=path))

    def strip_next(
        self,
        *fields: str,
        times: int = 1,
        path: str | None = None,
        method: str | None = None,
        body: str | None = None,
    ) -> None:
        """Do the work and answer its status, but without ``fields`` (dotted paths such as
        ``fields.status``; a list in the way is walked item by item); with no fields, with an
        empty body. A remote that leaves out what its spec calls optional, or says nothing.
        """
        self._add_fault(
            Fault(
                "strip",
                times,
                method=method,
                path_pattern=path,
                body_pattern=body,
                fields=fields,
            )
        )

    def drop_next(
        self, *, times: int = 1, path: str | None = None, method: str | None = None
    ) -> None:
        self._add_fault(Fault("drop", times, method=method, path_pattern=path))

    def _add_fault(self, fault: Fault) -> None:
        with self.lock:
            self._faults.append(fault)

    def _take_fault(self, request: FakeRequest) -> Fault | None:
        with self.lock:
            for fault in self._faults:
                if fault.matches(request):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # -- dispatch ------------------------------------------------------------------------

    def requests_to(self, method: str, pattern: str) -> list[FakeRequest]:
        """The recorded requests of a method whose path matches a regex."""
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    def handle(self, request: FakeRequest) -> FakeResponse:
        """Answer one request, applying any queued fault; may raise FakeTimeout or FakeDrop."""
        with self.lock:
            self.requests.append(request)
        fault = self._take_fault(request)
        if fault and fault.kind == "status":
            return FakeResponse(fault.status, fault.body, dict(fault.headers))
        if fault and fault.kind == "drop":
            raise FakeDrop()
        response = self._dispatch(request)
        if fault and fault.kind == "timeout":
            raise FakeTimeout(fault.delay)
        if fault and fault.kind == "truncate":
            response.body = response.body[: max(1, len(response.body) // 2)]
        if fault and fault.kind == "strip":
            response.body = _without(response.body, fault.fields)
        return response

    def _dispatch(self, request: FakeRequest) -> FakeResponse:
        if not self.authenticate(request):
            return self.unauthorized(request)
        path_matched = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if not match:
                continue
            path_matched = True
            if method == request.method:
                with self.lock:
                    return handler(request, **match.groupdict())
        if path_matched:
            return json_response({"detail": f'Method "{request.method}" not allowed.'}, 405)
        return self.not_found(request)

    # -- in-process ----------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An httpx transport that answers from this fake without any socket."""
        return httpx.MockTransport(self._handle_httpx)

    def _handle_httpx(self, request: httpx.Request) -> httpx.Response:
        fake_request = FakeRequest(
            method=request.method,
            path=request.url.path,
            query=parse_qs(request.url.query.decode(), keep_blank_values=True),
            headers=httpx.Headers(request.headers),
            body=request.read(),
            url=str(request.url),
        )
        try:
            answer = self.handle(fake_request)
        except FakeTimeout as exc:
            raise httpx.ReadTimeout("fake remote did not answer in time", request=request) from exc
        except FakeDrop as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from exc
        response = httpx.Response(
            answer.status, headers=answer.headers, content=answer.body, request=request
        )
        with self.lock:
            self.exchanges.append((request, response))
        return response

    # -- over HTTP -----------------------------------------------------------------------

    def make_http_server(self, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet by default
                pass

            def _serve(self) -> None:
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = FakeRequest(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers=httpx.Headers(list(self.headers.items())),
                    body=self.rfile.read(length) if length else b"",
                    url=f"http://{self.headers.get('Host', host)}{self.path}",
                )
                try:
                    answer = fake.handle(request)
                except FakeTimeout as exc:
                    time.sleep(exc.delay)
                    self.close_connection = True
                    return
                except FakeDrop:
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        server = ThreadingHTTPServer((host, port), Handler)
        server.daemon_threads = True
        return server

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve on 127.0.0.1 in a background thread; yields the base URL."""
        server = self.make_http_server(host, port)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://{host}:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
