"""SentryClient against FakeSentry: rate limits, server errors, timeouts and unreadable answers,
and a run over real HTTP.
"""

from __future__ import annotations

import json

import httpx
import pytest

from switchyard.core.exceptions import (
    RemoteBadResponse,
    RemoteRateLimited,
    RemoteTimeout,
    RemoteUnauthorized,
    RemoteUnavailable,
)
from switchyard.fakes.sentry import FakeSentry
from switchyard.monitoring.connectors.sentry.client import SentryClient
from switchyard.monitoring.tests.sentry_client.conftest import (
    ISSUES_PATH,
    expected_order,
    make_client,
)

# -- faults ---------------------------------------------------------------------------------


def test_rate_limited_then_success_honours_retry_after(
    fake: FakeSentry, client: SentryClient, waits: list[float]
) -> None:
    fake.rate_limit_next(retry_after=2, path=ISSUES_PATH)

    issues = list(client.iter_issues())

    assert [i.id for i in issues] == expected_order(fake, status="unresolved")
    assert waits == [2.0]
    assert len(fake.requests_to("GET", ISSUES_PATH)) == 2


def test_rate_limit_without_retry_after_uses_sentry_reset_header(
    fake: FakeSentry, client: SentryClient, waits: list[float]
) -> None:
    fake.rate_limit_next(retry_after=5, retry_after_header=False)

    client.get_issue(expected_order(fake)[0])

    assert len(waits) == 1 and 3.0 <= waits[0] <= 5.0


def test_rate_limited_too_long_raises(fake: FakeSentry, client: SentryClient) -> None:
    fake.rate_limit_next(retry_after=120)

    with pytest.raises(RemoteRateLimited) as caught:
        client.get_issue(expected_order(fake)[0])
    assert caught.value.retry_after == 120


def test_server_error_then_success(fake: FakeSentry, client: SentryClient, waits) -> None:
    fake.fail_next(502, path=r"/issues/\d+/$")

    issue = client.update_issue_status(expected_order(fake)[0], "resolved")

    assert issue.status == "resolved"
    assert len(waits) == 1
    assert len(fake.requests_to("PUT", r"/issues/\d+/$")) == 2


def test_retries_exhausted(fake: FakeSentry, client: SentryClient, waits) -> None:
    fake.fail_next(503, times=5)

    with pytest.raises(RemoteUnavailable) as caught:
        client.list_organizations()
    assert caught.value.status == 503
    assert len(fake.requests) == 3 and len(waits) == 2


def test_timeout(fake: FakeSentry, client: SentryClient) -> None:
    fake.timeout_next(times=3)

    with pytest.raises(RemoteTimeout):
        client.get_identity()
    assert len(fake.requests) == 3


def test_truncated_json_is_a_bad_response(fake: FakeSentry, client: SentryClient) -> None:
    fake.truncate_next(path=ISSUES_PATH)

    with pytest.raises(RemoteBadResponse):
        list(client.iter_issues())


def test_dropped_connection_then_success(fake: FakeSentry, client: SentryClient) -> None:
    fake.drop_next()

    assert client.get_identity().email == "owner@example.com"
    assert len(fake.requests) == 2


def test_dropped_connection_every_time(fake: FakeSentry, client: SentryClient) -> None:
    fake.drop_next(times=3)

    with pytest.raises(RemoteUnavailable):
        list(client.iter_projects())


def test_unexpected_shape_is_a_bad_response() -> None:
    item = {
        "id": "1",
        "shortId": "X-1",
        "title": "t",
        "level": "error",
        "status": "unresolved",
        "count": "many",
        "userCount": 1,
        "project": {"id": "2", "slug": "p"},
    }
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=[item]))
    client = SentryClient(
        "https://sentry.example", token="t", organization="acme", transport=transport
    )

    with pytest.raises(RemoteBadResponse) as caught:
        list(client.iter_issues())
    assert "count" in str(caught.value)


def test_a_listing_that_is_not_an_array_is_a_bad_response() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"detail": "x"}))
    client = SentryClient("https://sentry.example", token="t", transport=transport)

    with pytest.raises(RemoteBadResponse):
        client.list_organizations()


def test_wrong_token_on_a_listing(fake: FakeSentry) -> None:
    with pytest.raises(RemoteUnauthorized) as caught:
        list(make_client(fake, token="stale").iter_projects())
    assert caught.value.status == 401 and json.loads(caught.value.body)["detail"]
    assert "stale" not in repr(make_client(fake, token="stale"))


# -- over real HTTP ------------------------------------------------------------------------


def test_client_against_the_fake_served_on_loopback(fake: FakeSentry) -> None:
    with fake.serve() as url:
        with SentryClient(url, token=fake.token, organization="acme", timeout=5) as client:
            client.page_size = 5
            issues = list(client.iter_issues(status=None))
            resolved = client.update_issue_status(issues[0].id, "resolved")

    assert [i.id for i in issues] == expected_order(fake)
    assert resolved.status == "resolved"
    assert fake.requests[0].url.startswith(url)
