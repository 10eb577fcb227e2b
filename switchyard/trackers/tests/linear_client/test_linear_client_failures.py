"""The Linear client against the fake Linear: refusals, rate limits and transport failures mapped,
and a run over real HTTP.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from switchyard.core.exceptions import (
    RemoteBadResponse,
    RemoteForbidden,
    RemoteNotFound,
    RemoteRateLimited,
    RemoteRejected,
    RemoteTimeout,
    RemoteUnauthorized,
    RemoteUnavailable,
)
from switchyard.trackers.connectors.linear.client import LinearClient
from switchyard.trackers.tests.linear_client.conftest import (
    URL,
    new_id,
    team,
)

# -- failures -----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["lin_api_wrong", ""])
def test_a_refused_key_is_unauthorized_and_not_retried(fake, waits, key):
    client = LinearClient(URL, api_key=key, transport=fake.transport(), sleep=waits.append)
    with pytest.raises(RemoteUnauthorized) as refused:
        client.viewer()
    assert refused.value.status == 401 and waits == [] and len(fake.requests) == 1
    assert fake.api_key not in str(refused.value)


def test_an_unknown_issue_is_not_found(client, fake, waits):
    with pytest.raises(RemoteNotFound, match="Entity not found"):
        client.get_issue("ENG-99999")
    assert waits == [] and len(fake.requests) == 1


def test_a_document_linear_refuses_is_rejected(client):
    with pytest.raises(RemoteRejected) as refused:
        client.graphql("query { viewer { nope } }")
    assert refused.value.status == 400 and "nope" in refused.value.message


def test_rate_limited_with_a_reset_time_waits_for_it(client, fake, waits):
    fake.rate_limit_next(retry_after=2)  # HTTP 400, RATELIMITED, X-RateLimit-Requests-Reset
    assert client.viewer().email
    assert len(waits) == 1 and 1 < waits[0] <= 2
    assert len(fake.requests) == 2


def test_the_reset_time_is_read_against_the_clients_clock(fake, waits):
    ahead = LinearClient(
        URL,
        api_key=fake.api_key,
        transport=fake.transport(),
        sleep=waits.append,
        clock=lambda: time.time() + 1.5,
    )
    fake.rate_limit_next(retry_after=2)
    assert ahead.viewer()
    assert len(waits) == 1 and 0 < waits[0] <= 0.5


def test_rate_limited_with_retry_after_honours_it(client, fake, waits):
    fake.rate_limit_next(retry_after=3, status=429)
    assert list(client.iter_teams())
    assert waits == [3.0]


def test_a_long_rate_limit_is_left_to_the_caller(client, fake, waits):
    fake.rate_limit_next(retry_after=600, status=429)
    with pytest.raises(RemoteRateLimited) as limited:
        client.viewer()
    assert limited.value.retry_after == 600 and waits == []


def test_a_rate_limit_that_lasts_exhausts_the_attempts(client, fake, waits):
    fake.rate_limit_next(retry_after=1, times=3)
    with pytest.raises(RemoteRateLimited):
        client.viewer()
    assert len(waits) == 2 and len(fake.requests) == 3


def test_server_errors_are_retried_then_exhausted(client, fake, waits):
    fake.fail_next(502)
    assert client.viewer()
    assert len(waits) == 1

    fake.fail_next(503, times=3)
    with pytest.raises(RemoteUnavailable) as down:
        client.viewer()
    assert down.value.status == 503
    assert len(waits) == 3 and len(fake.requests) == 5


def test_an_internal_error_is_left_to_the_callers_retry(client, fake, waits):
    fake.fail_next(500)
    with pytest.raises(RemoteUnavailable):
        client.viewer()
    assert waits == [] and len(fake.requests) == 1


@pytest.mark.parametrize(
    ("kind", "code", "error"),
    [
        ("authentication error", "AUTHENTICATION_ERROR", RemoteUnauthorized),
        ("forbidden", "FORBIDDEN", RemoteForbidden),
        ("lock timeout", "LOCK_TIMEOUT", RemoteUnavailable),
        ("invalid input", "INPUT_ERROR", RemoteRejected),
    ],
)
def test_graphql_errors_under_http_200_map_by_their_type(client, fake, kind, code, error):
    body = {"data": None, "errors": [{"message": "no", "extensions": {"type": kind, "code": code}}]}
    fake.fail_next(200, body=body)
    with pytest.raises(error):
        client.viewer()


@pytest.mark.parametrize(
    ("fault", "error"),
    [("timeout_next", RemoteTimeout), ("drop_next", RemoteUnavailable)],
)
def test_transport_failures_retry_then_exhaust(client, fake, waits, fault, error):
    getattr(fake, fault)()
    assert client.viewer()
    getattr(fake, fault)(times=3)
    with pytest.raises(error):
        client.viewer()
    assert len(waits) == 1 + 2


def test_truncated_json_is_a_bad_response(client, fake):
    fake.truncate_next()
    with pytest.raises(RemoteBadResponse):
        client.viewer()


@pytest.mark.parametrize(
    ("call", "body"),
    [
        ("viewer", {"data": {"viewer": {"id": 7}}}),
        ("viewer", {"data": None}),
        ("viewer", ["not", "an", "object"]),
        ("teams", {"data": {"teams": {"nodes": "many"}}}),
        ("teams", {"data": {"teams": {"nodes": [], "pageInfo": {"hasNextPage": True}}}}),
    ],
)
def test_answers_of_the_wrong_shape_are_bad_responses(client, fake, call, body):
    fake.fail_next(200, body=body)
    with pytest.raises(RemoteBadResponse):
        client.viewer() if call == "viewer" else list(client.iter_teams())


# -- over real HTTP -----------------------------------------------------------------------------


def test_the_client_talks_to_the_fake_served_on_localhost(fake):
    with fake.serve() as base:
        client = LinearClient(f"{base}/graphql", api_key=fake.api_key, sleep=lambda s: None)
        issue = client.create_issue(issue_id=new_id(), team_id=team(fake), title="Over HTTP")
        assert client.get_issue(issue.identifier).id == issue.id
        assert len(list(client.iter_issues(team(fake), updated_since=issue.updated_at))) == 1
        fake.timeout_next(delay=0.5)
        quick = LinearClient(f"{base}/graphql", api_key=fake.api_key, timeout=0.2, max_attempts=1)
        with pytest.raises(RemoteTimeout):
            quick.viewer()
    assert fake.requests[0].headers["Authorization"] == fake.api_key
    assert issue.created_at > datetime.now(issue.created_at.tzinfo) - timedelta(minutes=1)
