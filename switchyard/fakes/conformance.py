"""Check recorded HTTP exchanges against the official OpenAPI specs (openapi-core).

The specs are the published files, unedited, in ``switchyard/fakes/specs/`` (override the folder
with ``SWITCHYARD_SPECS_DIR``). They are large, so each is parsed once per process.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

BUNDLED_SPECS = Path(__file__).resolve().parent / "specs"
SPEC_FILES = {
    "jira": "jira-platform-v3.openapi.json",
    "sentry": "sentry-openapi-derefed.json",
    "linear": "linear-schema.graphql",
}


def specs_dir() -> Path:
    return Path(os.environ.get("SWITCHYARD_SPECS_DIR", BUNDLED_SPECS))


def spec_path(kind: str) -> Path:
    return specs_dir() / SPEC_FILES[kind]


@functools.cache
def openapi_spec(kind: str) -> OpenAPI:
    """The parsed OpenAPI document of a REST remote ("jira" or "sentry")."""
    with spec_path(kind).open() as handle:
        # The Jira spec has four `default: ""` outside their enums (see the specs README),
        # so the spec itself is not re-validated; requests and responses still are.
        return OpenAPI.from_dict(json.load(handle), config=Config(spec_validator_cls=None))


def spec_server_url(spec: OpenAPI) -> str:
    with (spec.spec / "servers" / 0).open() as server:
        url = server["url"]
        for name, variable in (server.get("variables") or {}).items():
            url = url.replace("{" + name + "}", str(variable["default"]))
    return url.rstrip("/")


class HttpxOpenAPIRequest:
    """An httpx request seen through openapi-core's Request protocol, on the spec's server."""

    def __init__(self, request: httpx.Request, host_url: str) -> None:
        self._request = request
        self.host_url = host_url
        self.path = request.url.path
        self.method = request.method.lower()
        query = httpx.QueryParams(request.url.query)
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(query.multi_items())),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )
        self.body = request.content or None
        self.content_type = request.headers.get("Content-Type", "application/json").lower()


class HttpxOpenAPIResponse:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.data = response.content
        self.content_type = response.headers.get("Content-Type", "application/json").lower()
        self.headers = Headers(list(response.headers.items()))


def validate_request(kind: str, request: httpx.Request) -> None:
    """Raise an openapi-core error unless the request fits the spec (path, method, params, body)."""
    spec = openapi_spec(kind)
    spec.validate_request(HttpxOpenAPIRequest(request, spec_server_url(spec)))


def validate_response(kind: str, request: httpx.Request, response: httpx.Response) -> None:
    """Raise an openapi-core error unless the response fits the spec's schema for that operation."""
    spec = openapi_spec(kind)
    spec.validate_response(
        HttpxOpenAPIRequest(request, spec_server_url(spec)), HttpxOpenAPIResponse(response)
    )
