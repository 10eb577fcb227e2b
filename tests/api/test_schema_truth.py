"""The published schema tells the truth: schemathesis drives every operation of /api/schema/.

Requests go to the WSGI application in this process (nothing leaves it: clients of remotes that
are not one of the seeded fakes are refused), with a fixed seed, a bounded number of examples
per operation and a deadline for the whole run. Every answer must be no server error, carry a
status code the schema declares, and match the schema for that code.
"""

import itertools
import time

import httpx
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from switchyard.accounts.services import token_issue
from switchyard.core import http
from tests.api.endpoints import ids_listed
from tests.api.world import client_of

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
SEED = 20261202
BUDGET_SECONDS = 240
SETTINGS = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("remotes outside the test are unreachable", request=request)


def app_in_test_transaction(environ, start_response):
    """The WSGI app, minus closing "old" database connections around a request (that would end
    the test's transaction); Django's test client does the same."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        response = application(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def in_process(monkeypatch, settings):
    """Requests name the WSGI client's host; remotes other than the seeded fakes are refused."""
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    refusing = httpx.MockTransport(_refuse)
    mounted = http.mounted_transport
    monkeypatch.setattr(http, "mounted_transport", lambda url: mounted(url) or refusing)


def _headers(user) -> dict:
    return {"Authorization": f"Token {token_issue(user=user)}"}


@pytest.fixture
def api_schema(in_process, worlds):
    # Logging out would revoke the token the rest of the run uses.
    return schemathesis.openapi.from_wsgi("/api/schema/", app_in_test_transaction).exclude(
        path="/api/auth/logout/"
    )


def _first_failure(strategy, headers: dict) -> str | None:
    """Run the examples of one strategy; the first failed check (later ones are alike)."""
    found: list[str] = []

    @seed(SEED)
    @SETTINGS
    @given(case=strategy)
    def check(case) -> None:
        if found:
            return
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as failure:  # keep the first, skip the rest
            found.append(str(failure)[:3000])

    try:
        check()
    except Unsatisfiable:  # e.g. no invalid input exists for an operation without parameters
        return None
    return found[0] if found else None


def drive(api_schema, user) -> list[str]:
    """Every operation, with generated and with real path ids, valid and invalid input; the
    failures found (one per operation and way), or a note that the time budget ran out."""
    headers, client = _headers(user), client_of(user)
    deadline = time.monotonic() + BUDGET_SECONDS
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        known = ids_listed(client, operation.path) if "{id}" in operation.path else []
        path_choices = [None] + ([{"id": known[0]}] if known else [])
        for mode, path_parameters in itertools.product(GenerationMode, path_choices):
            if time.monotonic() > deadline:
                return [*failures, f"time budget of {BUDGET_SECONDS}s spent"]
            strategy = operation.as_strategy(mode, path_parameters=path_parameters)
            failure = _first_failure(strategy, headers)
            if failure:
                failures.append(f"{operation.label} ({mode}, path {path_parameters}): {failure}")
    return failures


def test_as_an_organization_admin(api_schema, worlds):
    failures = drive(api_schema, worlds[0].people["admin"])
    assert not failures, "\n\n".join(failures)


def test_as_a_customer(api_schema, worlds):
    failures = drive(api_schema, worlds[0].people["customer"])
    assert not failures, "\n\n".join(failures)
