"""JiraClient against the fake Jira, in-process: records returned and requests received."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from switchyard.core.exceptions import (
    RemoteBadResponse,
    RemoteNotFound,
    RemoteRateLimited,
    RemoteRejected,
    RemoteTimeout,
    RemoteUnauthorized,
    RemoteUnavailable,
)
from switchyard.fakes.jira import FakeJira
from switchyard.trackers.connectors.jira.client import (
    JiraClient,
    jql_keys,
    jql_label,
    jql_quote,
    jql_updated_since,
)
from switchyard.trackers.connectors.jira.mapping import JiraIssue

SITE = "https://acme.atlassian.net"


@pytest.fixture
def fake() -> FakeJira:
    return FakeJira.seeded(issues=12, projects=3, seed=7)


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def client(fake: FakeJira, waits: list[float]) -> JiraClient:
    return make_client(fake, waits)


def make_client(fake: FakeJira, waits: list[float] | None = None, **kwargs) -> JiraClient:
    sleeps = waits if waits is not None else []
    return JiraClient(
        SITE,
        email=kwargs.pop("email", fake.email),
        api_token=kwargs.pop("api_token", fake.api_token),
        transport=fake.transport(),
        sleep=sleeps.append,
        **kwargs,
    )


# -- JQL helpers ----------------------------------------------------------------------------


def test_jql_helpers_quote_and_floor_to_the_minute() -> None:
    since = datetime(2025, 3, 1, 22, 59, 59, tzinfo=UTC)
    assert jql_updated_since(["PAY", "WEB"], since) == (
        'project in ("PAY", "WEB") AND updated >= "2025-03-01 22:59" ORDER BY updated ASC'
    )
    assert '"2025-03-01 23:59"' in jql_updated_since(["PAY"], since, time_zone="Europe/Paris")
    assert jql_keys(["PAY-1", "PAY-2"]) == 'key in ("PAY-1", "PAY-2") ORDER BY key ASC'
    assert jql_label('sy-"x"') == 'labels = "sy-\\"x\\"" ORDER BY created ASC'
    assert jql_quote("a\\b") == '"a\\\\b"'
    with pytest.raises(ValueError):
        jql_updated_since([], since)
    with pytest.raises(ValueError):
        jql_updated_since(["PAY"], since.replace(tzinfo=None))


# -- users and projects ---------------------------------------------------------------------


def test_myself_sends_basic_auth(client: JiraClient, fake: FakeJira) -> None:
    me = client.myself()
    assert me.account_id == fake.bot.account_id
    assert me.email == "bot@example.com"
    assert me.time_zone == "UTC"
    assert fake.requests[-1].headers["Authorization"].startswith("Basic ")


def test_wrong_token_is_unauthorized_and_the_token_stays_secret(fake: FakeJira) -> None:
    client = make_client(fake, api_token="s3cret-wrong-token")
    with pytest.raises(RemoteUnauthorized) as caught:
        client.myself()
    assert caught.value.status == 401
    assert "s3cret-wrong-token" not in str(caught.value) + caught.value.body
    assert "s3cret-wrong-token" not in repr(client)
    assert len(fake.requests) == 1  # a 401 is not retried


def test_projects_come_in_several_pages(client: JiraClient, fake: FakeJira) -> None:
    fake.add_project("ZED", "Zed")
    client.project_page_size = 2
    projects = list(client.iter_projects())
    assert [p.key for p in projects] == ["API", "PAY", "WEB", "ZED"]
    assert projects[0].lead is not None and projects[0].lead.display_name
    assert projects[0].project_type == "software"
    starts = [r.param("startAt") for r in fake.requests_to("GET", r"/project/search$")]
    assert starts == ["0", "2"]
    assert fake.requests[-1].param("expand") == "lead"


def test_find_user_by_email(client: JiraClient, fake: FakeJira) -> None:
    visible = fake.add_user("nina@example.com", "Nina Simone")
    hidden = fake.add_user("quiet@example.com", "Quiet Person", email_visible=False)
    assert client.find_user_by_email("NINA@example.com").account_id == visible.account_id
    found = client.find_user_by_email("quiet@example.com")
    assert found is not None and found.account_id == hidden.account_id and found.email is None
    assert client.find_user_by_email("nobody@example.com") is None
    assert fake.requests[-1].param("query") == "nobody@example.com"


# -- search ---------------------------------------------------------------------------------


def test_issues_updated_since_pages_with_next_page_token(
    client: JiraClient, fake: FakeJira
) -> None:
    client.search_page_size = 3
    since = datetime(2024, 6, 1, tzinfo=UTC)
    issues = list(client.iter_issues_updated_since(["PAY", "WEB"], since))
    expected = sorted(
        (i for i in fake.issues.values() if i.project.key in ("PAY", "WEB") and i.updated >= since),
        key=lambda i: (i.updated, i.id),
    )
    assert [i.key for i in issues] == [i.key for i in expected]
    assert len(issues) > 3
    searches = fake.requests_to("POST", r"/rest/api/3/search/jql$")
    assert len(searches) == -(-len(expected) // 3) + (len(expected) % 3 == 0)
    assert "nextPageToken" not in searches[0].json()
    assert all(s.json().get("nextPageToken") for s in searches[1:])
    assert (
        searches[0]
        .json()["jql"]
        .startswith('project in ("PAY", "WEB") AND updated >= "2024-06-01 00:00"')
    )
    assert not fake.requests_to("GET", r"/rest/api/3/search$")
    assert not fake.requests_to("POST", r"/rest/api/3/search$")


def test_issue_record_fields(client: JiraClient, fake: FakeJira) -> None:
    stored = next(i for i in fake.issues.values() if i.assignee_id and i.description)
    issue = client.get_issue(stored.key)
    assert isinstance(issue, JiraIssue)
    assert issue.key == stored.key and issue.id == str(stored.id)
    assert issue.url == f"{SITE}/browse/{stored.key}"
    assert issue.summary == stored.summary
    assert issue.description and "\n" not in issue.description[:1]
    assert issue.status == stored.status.name
    assert issue.status_category == stored.status.category
    assert issue.assignee is not None and issue.assignee.account_id == stored.assignee_id
    assert issue.created == stored.created and issue.created.tzinfo is not None
    assert issue.updated == stored.updated
    assert issue.labels == tuple(stored.labels)
    assert fake.requests[-1].param("fields") == (
        "summary,description,issuetype,status,priority,labels,assignee,reporter,project,"
        "created,updated,resolutiondate"
    )


def test_search_dates_use_the_accounts_time_zone() -> None:
    fake = FakeJira.seeded(issues=5, projects=1, seed=3, time_zone="Europe/Paris")
    client = make_client(fake)
    list(client.iter_issues_updated_since(["PAY"], datetime(2025, 1, 1, 12, 0, tzinfo=UTC)))
    assert '"2025-01-01 13:00"' in fake.requests_to("POST", "search/jql")[0].json()["jql"]
    assert len(fake.requests_to("GET", "myself$")) == 1
    list(client.iter_issues_updated_since(["PAY"], datetime(2025, 1, 1, tzinfo=UTC)))
    assert len(fake.requests_to("GET", "myself$")) == 1  # the zone is looked up once


def test_search_stops_at_the_page_cap(client: JiraClient, fake: FakeJira) -> None:
    client.search_page_size = 1
    client.max_pages = 2
    assert len(list(client.iter_issues('project = "PAY" ORDER BY created ASC'))) == 2


def test_unsupported_jql_is_rejected(client: JiraClient) -> None:
    with pytest.raises(RemoteRejected) as caught:
        list(client.iter_issues("assignee = currentUser()"))
    assert "does not exist" in caught.value.field_errors["__all__"]


# -- issues ---------------------------------------------------------------------------------


def test_get_unknown_issue_is_not_found(client: JiraClient) -> None:
    with pytest.raises(RemoteNotFound) as caught:
        client.get_issue("PAY-999")
    assert "Issue does not exist" in str(caught.value)


def test_create_issue_with_an_idempotency_label(client: JiraClient, fake: FakeJira) -> None:
    person = fake.add_user("lin@example.com", "Lin")
    assert client.find_issue_by_label("sy-1234") is None
    issue = client.create_issue(
        project_key="WEB",
        summary="Checkout fails",
        description="Seen in **Sentry**:\n\n- step one\n- step two",
        issue_type="Bug",
        priority="High",
        labels=["sy-1234", "sentry"],
        assignee_account_id=person.account_id,
    )
    assert issue.key.startswith("WEB-") and issue.issue_type == "Bug" and issue.priority == "High"
    assert issue.description == "Seen in **Sentry**:\n\n- step one\n- step two"
    assert issue.assignee is not None and issue.assignee.email == "lin@example.com"
    assert issue.reporter is not None and issue.reporter.account_id == fake.bot.account_id
    assert issue.status_category == "new" and issue.resolved is None
    body = fake.requests_to("POST", r"/rest/api/3/issue$")[0].json()
    assert body["fields"]["project"] == {"key": "WEB"}
    assert body["fields"]["description"]["type"] == "doc"
    assert fake.issue(issue.key).description == body["fields"]["description"]
    assert client.find_issue_by_label("sy-1234") == issue


def test_create_issue_rejected_with_field_errors(client: JiraClient) -> None:
    with pytest.raises(RemoteRejected) as caught:
        client.create_issue(project_key="NOPE", summary="x", priority="Urgent")
    assert caught.value.status == 400
    assert set(caught.value.field_errors) == {"project", "priority"}


def test_create_issue_is_not_retried(client: JiraClient, fake: FakeJira) -> None:
    fake.fail_next(503, path=r"/issue$")
    with pytest.raises(RemoteUnavailable):
        client.create_issue(project_key="PAY", summary="x", labels=["sy-retry"])
    assert len(fake.requests_to("POST", r"/issue$")) == 1


def test_update_issue_sets_only_given_fields(client: JiraClient, fake: FakeJira) -> None:
    stored = next(i for i in fake.issues.values() if i.assignee_id)
    before = stored.updated
    client.update_issue(stored.key, summary="Renamed", labels=["a", "b"], assignee_account_id=None)
    assert (
        stored.summary == "Renamed" and stored.labels == ["a", "b"] and stored.assignee_id is None
    )
    assert stored.updated > before
    sent = fake.requests_to("PUT", "/issue/")[0].json()
    assert sent == {"fields": {"summary": "Renamed", "labels": ["a", "b"], "assignee": None}}
    client.update_issue(stored.key)  # nothing to change: no request
    assert len(fake.requests_to("PUT", "/issue/")) == 1


def test_transitions_and_resolution(client: JiraClient, fake: FakeJira) -> None:
    key = fake.create_issue_as_user("PAY", "Broken")
    transitions = client.get_transitions(key)
    assert {(t.name, t.to_status_category) for t in transitions} >= {
        ("Done", "done"),
        ("Start Progress", "indeterminate"),
    }
    done = next(t for t in transitions if t.to_status_category == "done" and t.to_status == "Done")
    client.transition_issue(key, done.id)
    issue = client.get_issue(key)
    assert issue.status == "Done" and issue.resolved == issue.updated
    assert fake.requests_to("POST", "/transitions$")[0].json() == {"transition": {"id": done.id}}
    with pytest.raises(RemoteRejected) as caught:
        client.transition_issue(key, done.id)  # not available from Done
    assert "is not valid for this issue" in caught.value.field_errors["__all__"]
    reopen = next(t for t in client.get_transitions(key) if t.name == "Reopen")
    client.transition_issue(key, reopen.id)
    assert client.get_issue(key).resolved is None


def test_project_without_done_transitions() -> None:
    fake = FakeJira.seeded(issues=0, projects=1, seed=1)
    fake.add_project("LOCK", "Locked", done_transitions=False)
    client = make_client(fake)
    key = fake.create_issue_as_user("LOCK", "Stuck")
    assert all(t.to_status_category != "done" for t in client.get_transitions(key))
    with pytest.raises(RemoteRejected):
        client.transition_issue(key, "41")


# -- comments -------------------------------------------------------------------------------


def test_comments_add_and_list_in_pages(client: JiraClient, fake: FakeJira) -> None:
    key = fake.create_issue_as_user("PAY", "Talk")
    fake.add_comment(
        key, "First, by a person", author=fake.user_by_email("ada.lovelace@example.com").email
    )
    added = client.add_comment(key, "Linked to *Sentry* [issue](https://sentry.io/1)")
    assert added.body == "Linked to *Sentry* [issue](https://sentry.io/1)"
    assert added.author is not None and added.author.account_id == fake.bot.account_id
    client.comment_page_size = 1
    comments = list(client.iter_comments(key))
    assert [c.body for c in comments] == ["First, by a person", added.body]
    assert comments[0].author is not None and comments[0].author.display_name == "Ada Lovelace"
    assert [r.param("startAt") for r in fake.requests_to("GET", "/comment$")] == ["0", "1"]
    with pytest.raises(RemoteNotFound):
        client.add_comment("PAY-999", "x")


# -- faults ---------------------------------------------------------------------------------


def test_rate_limit_then_success_honours_retry_after(
    client: JiraClient, fake: FakeJira, waits: list[float]
) -> None:
    fake.rate_limit_next(retry_after=7)
    assert client.myself().email == "bot@example.com"
    assert waits == [7.0]
    assert len(fake.requests) == 2


def test_long_retry_after_is_raised_not_slept(
    client: JiraClient, fake: FakeJira, waits: list[float]
) -> None:
    fake.rate_limit_next(retry_after=120)
    with pytest.raises(RemoteRateLimited) as caught:
        client.myself()
    assert caught.value.retry_after == 120 and waits == []


def test_server_error_then_success(client: JiraClient, fake: FakeJira, waits: list[float]) -> None:
    fake.fail_next(502, path="search/jql")
    assert len(list(client.iter_issues('project = "PAY"'))) > 0
    assert len(waits) == 1 and len(fake.requests_to("POST", "search/jql")) == 2


def test_retries_exhausted(client: JiraClient, fake: FakeJira, waits: list[float]) -> None:
    fake.fail_next(503, times=3)
    with pytest.raises(RemoteUnavailable) as caught:
        client.get_issue("PAY-1")
    assert caught.value.status == 503 and len(fake.requests) == 3 and len(waits) == 2


def test_timeout_then_success_and_timeout_exhausted(client: JiraClient, fake: FakeJira) -> None:
    fake.timeout_next()
    assert client.get_issue("PAY-1").key == "PAY-1"
    fake.timeout_next(times=3)
    with pytest.raises(RemoteTimeout):
        client.get_issue("PAY-1")


def test_truncated_json_is_a_bad_response(client: JiraClient, fake: FakeJira) -> None:
    fake.truncate_next(path="/issue/")
    with pytest.raises(RemoteBadResponse):
        client.get_issue("PAY-1")


def test_unexpected_shape_is_a_bad_response(client: JiraClient, fake: FakeJira) -> None:
    fake.fail_next(200, path="search/jql", body={"issues": [{"id": "1", "fields": {}}]})
    with pytest.raises(RemoteBadResponse):  # an issue without its key means nothing
        list(client.iter_issues('project = "PAY"'))
    fake.fail_next(
        200, path="search/jql", body={"issues": [{"id": "1", "key": "PAY-1", "fields": []}]}
    )
    with pytest.raises(RemoteBadResponse):
        list(client.iter_issues('project = "PAY"'))
    fake.fail_next(200, path="/myself", body=["not", "an", "object"])
    with pytest.raises(RemoteBadResponse):
        client.myself()


def test_dropped_connection_is_retried_then_unavailable(client: JiraClient, fake: FakeJira) -> None:
    fake.drop_next()
    assert client.get_issue("PAY-1").key == "PAY-1"
    fake.drop_next(times=3)
    with pytest.raises(RemoteUnavailable):
        client.get_issue("PAY-1")


# -- over real HTTP -------------------------------------------------------------------------


def test_against_the_fake_served_over_http(fake: FakeJira) -> None:
    with fake.serve() as url:
        client = JiraClient(url, email=fake.email, api_token=fake.api_token, timeout=5)
        with client:
            assert client.myself().account_id == fake.bot.account_id
            key = fake.create_issue_as_user("PAY", "Over HTTP")
            issue = client.get_issue(key)
            assert issue.url == f"{url}/browse/{key}"
            since = fake.issue(key).updated - timedelta(minutes=1)
            assert key in [i.key for i in client.iter_issues_updated_since(["PAY"], since)]
