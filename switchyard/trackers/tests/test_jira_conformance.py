"""Every request JiraClient sends and every answer of the fake Jira, checked against the spec.

The spec is Atlassian's published OpenAPI document (``switchyard/fakes/specs/jira-platform-v3.openapi.json``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from switchyard.core.exceptions import RemoteError
from switchyard.fakes.conformance import (
    openapi_spec,
    validate_request,
    validate_response,
)
from switchyard.fakes.jira import FakeJira
from switchyard.trackers.connectors.jira.client import JiraClient

SITE = "https://acme.atlassian.net"
PATHS = (
    "/rest/api/3/myself",
    "/rest/api/3/user/search",
    "/rest/api/3/project/search",
    "/rest/api/3/search/jql",
    "/rest/api/3/issue",
    "/rest/api/3/issue/{issueIdOrKey}",
    "/rest/api/3/issue/{issueIdOrKey}/transitions",
    "/rest/api/3/issue/{issueIdOrKey}/comment",
)
# Jira writes timestamps as 2021-01-17T12:34:00.000+0000 (the spec's own examples do too), but
# the spec types them `format: date-time`, i.e. RFC 3339, which wants "+00:00". Real Jira and
# the fake answer "+0000"; only strings of exactly that form are rewritten before validation.
JIRA_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})([+-]\d\d)(\d\d)$")


@pytest.fixture(scope="module")
def spec():
    return openapi_spec("jira")


def template_of(path: str) -> str:
    for template in PATHS:
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            return template
    raise AssertionError(f"{path} is not one of the paths the client may use")


def rfc3339(value: Any, seen: list[str]) -> Any:
    if isinstance(value, dict):
        return {key: rfc3339(item, seen) for key, item in value.items()}
    if isinstance(value, list):
        return [rfc3339(item, seen) for item in value]
    if isinstance(value, str) and (match := JIRA_TIMESTAMP.match(value)):
        seen.append(value)
        return f"{match[1]}{match[2]}:{match[3]}"
    return value


def check_exchange(spec, request: httpx.Request, response: httpx.Response) -> None:
    template = template_of(request.url.path)
    validate_request("jira", request)
    with (
        spec.spec / "paths" / template / request.method.lower() / "responses"
    ).open() as responses:
        declared = set(responses)
    assert str(response.status_code) in declared, f"{response.status_code} not declared"
    if response.status_code == 204:
        # The spec gives 204s an `application/json` body schema, but a 204 has no body (RFC 9110
        # §15.3.5); openapi-core would demand one, so assert the body is empty instead.
        assert response.content == b""
        return
    seen: list[str] = []
    body = rfc3339(json.loads(response.content), seen)
    normalised = httpx.Response(
        response.status_code,
        headers=response.headers,
        content=json.dumps(body).encode(),
        request=request,
    )
    validate_response("jira", request, normalised)


def drive_every_call(fake: FakeJira) -> None:
    """Use each client call, including several pages and error answers."""
    client = JiraClient(
        SITE,
        email=fake.email,
        api_token=fake.api_token,
        transport=fake.transport(),
        sleep=lambda s: None,
    )
    client.search_page_size = client.project_page_size = client.comment_page_size = 2
    client.myself()
    list(client.iter_projects())
    assert (
        len(
            list(client.iter_issues_updated_since(["PAY", "WEB"], datetime(2024, 1, 1, tzinfo=UTC)))
        )
        > 2
    )
    person = fake.add_user("lin@example.com", "Lin")
    client.find_user_by_email("lin@example.com")
    created = client.create_issue(
        project_key="PAY",
        summary="Checkout fails",
        issue_type="Bug",
        priority="High",
        description="# Steps\n\n1. open\n2. **pay**\n\n```js\nx()\n```",
        labels=["sy-1"],
        assignee_account_id=person.account_id,
    )
    client.find_issue_by_label("sy-1")
    list(client.iter_issues(f'key in ("{created.key}", "PAY-1")'))
    client.update_issue(
        created.key,
        summary="Renamed",
        description="",
        priority="Low",
        labels=["sy-1", "x"],
        assignee_account_id=None,
    )
    done = next(t for t in client.get_transitions(created.key) if t.to_status_category == "done")
    client.transition_issue(created.key, done.id)
    for body in ("one", "two *three*", "four"):
        client.add_comment(created.key, body)
    list(client.iter_comments(created.key))
    for failing in (
        lambda: client.get_issue("PAY-999"),
        lambda: client.transition_issue(created.key, done.id),
        lambda: client.create_issue(project_key="NOPE", summary="x"),
        lambda: client.add_comment("PAY-999", "x"),
        lambda: list(client.iter_issues("status = Done")),
        lambda: JiraClient(
            SITE, email=fake.email, api_token="wrong", transport=fake.transport()
        ).myself(),
    ):
        with pytest.raises(RemoteError):
            failing()


def test_client_requests_and_fake_responses_fit_the_spec(spec) -> None:
    fake = FakeJira.seeded(issues=15, projects=3, seed=11)
    drive_every_call(fake)
    statuses = {
        (request.method, template_of(request.url.path), response.status_code)
        for request, response in fake.exchanges
    }
    # Every call and every error answer really happened.
    assert {
        ("GET", "/rest/api/3/myself", 200),
        ("GET", "/rest/api/3/myself", 401),
        ("GET", "/rest/api/3/project/search", 200),
        ("GET", "/rest/api/3/user/search", 200),
        ("POST", "/rest/api/3/search/jql", 200),
        ("POST", "/rest/api/3/search/jql", 400),
        ("POST", "/rest/api/3/issue", 201),
        ("POST", "/rest/api/3/issue", 400),
        ("GET", "/rest/api/3/issue/{issueIdOrKey}", 200),
        ("GET", "/rest/api/3/issue/{issueIdOrKey}", 404),
        ("PUT", "/rest/api/3/issue/{issueIdOrKey}", 204),
        ("GET", "/rest/api/3/issue/{issueIdOrKey}/transitions", 200),
        ("POST", "/rest/api/3/issue/{issueIdOrKey}/transitions", 204),
        ("POST", "/rest/api/3/issue/{issueIdOrKey}/transitions", 400),
        ("GET", "/rest/api/3/issue/{issueIdOrKey}/comment", 200),
        ("POST", "/rest/api/3/issue/{issueIdOrKey}/comment", 201),
        ("POST", "/rest/api/3/issue/{issueIdOrKey}/comment", 404),
    } <= statuses
    tokens = [r.json().get("nextPageToken") for r in fake.requests_to("POST", "search/jql$")]
    assert any(tokens), "a second search page was requested"
    failures = []
    for request, response in fake.exchanges:
        try:
            check_exchange(spec, request, response)
        except Exception as exc:  # noqa: BLE001 - collect them all for one readable report
            failures.append(
                f"{request.method} {request.url.path} -> {response.status_code}: {exc!r} "
                f"{getattr(exc, '__cause__', '')}"
            )
    assert not failures, "\n".join(failures)


def test_fake_search_by_get_fits_the_spec(spec) -> None:
    fake = FakeJira.seeded(issues=6, projects=1, seed=2)
    auth = httpx.BasicAuth(fake.email, fake.api_token)
    with httpx.Client(base_url=SITE, transport=fake.transport(), auth=auth) as http:
        first = http.get(
            "/rest/api/3/search/jql",
            params=[
                ("jql", "project = PAY ORDER BY created DESC"),
                ("maxResults", "4"),
                ("fields", "summary"),
                ("fields", "status"),
            ],
        )
        assert first.status_code == 200 and first.json()["nextPageToken"]
        second = http.get(
            "/rest/api/3/search/jql",
            params={
                "jql": "project = PAY ORDER BY created DESC",
                "maxResults": 4,
                "nextPageToken": first.json()["nextPageToken"],
                "fields": "summary,status",
            },
        )
        assert second.json()["isLast"] is True and len(second.json()["issues"]) == 2
        ids_only = http.get("/rest/api/3/search/jql", params={"jql": "project = PAY"})
        assert set(ids_only.json()["issues"][0]) == {"id"}
    for request, response in fake.exchanges:
        check_exchange(spec, request, response)


def test_the_timestamp_rewrite_is_needed_and_narrow(spec) -> None:
    """Without the rewrite Jira's own timestamp form fails the spec, so the rewrite is not idle."""
    fake = FakeJira.seeded(issues=1, projects=1, seed=1)
    client = JiraClient(
        SITE, email=fake.email, api_token=fake.api_token, transport=fake.transport()
    )
    client.add_comment("PAY-1", "hello")
    request, response = fake.exchanges[-1]
    assert JIRA_TIMESTAMP.match(response.json()["created"])
    with pytest.raises(Exception, match="InvalidData|date-time|Invalid"):
        validate_response("jira", request, response)
    seen: list[str] = []
    rfc3339({"a": "2021-01-17T12:34:00.000+0000", "b": "2021-01-17 12:34"}, seen)
    assert seen == ["2021-01-17T12:34:00.000+0000"]
