"""SentryClient against FakeSentry, in-process: records returned and requests received for the
identity, organizations, projects, issues and comments.
"""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest

from switchyard.core.exceptions import (
    RemoteForbidden,
    RemoteNotFound,
    RemoteRejected,
    RemoteUnauthorized,
    RemoteUnavailable,
)
from switchyard.fakes.sentry import FakeSentry
from switchyard.monitoring.connectors.sentry.client import SentryClient, issue_search_query
from switchyard.monitoring.connectors.sentry.mapping import SentryComment, SentryIssue
from switchyard.monitoring.tests.conftest import only_glitchtip, only_sentry
from switchyard.monitoring.tests.sentry_client.conftest import (
    ISSUES_PATH,
    NOW,
    expected_order,
    make_client,
)

# -- identity, organizations, projects ------------------------------------------------------


def test_get_identity_names_the_token_user(client: SentryClient, fake: FakeSentry) -> None:
    identity = client.get_identity()

    assert identity.email == "owner@example.com"
    assert identity.user_id == str(fake.token_user_id)
    assert "event:write" in identity.scopes
    assert fake.requests[-1].path == "/api/0/"
    assert fake.requests[-1].headers["Authorization"] == f"Bearer {fake.token}"


def test_get_identity_with_a_wrong_token_is_unauthorized(fake: FakeSentry) -> None:
    with pytest.raises(RemoteUnauthorized) as caught:
        make_client(fake, token="not-the-token").get_identity()

    assert caught.value.status == 401
    assert json.loads(caught.value.body)["detail"] in caught.value.message  # the remote's words
    assert "not-the-token" not in str(caught.value)


def test_get_identity_treats_an_anonymous_index_as_unauthorized() -> None:
    # GET /api/0/ answers 200 with auth and user null when the token is not recognised.
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, json={"version": "0", "auth": None, "user": None})
    )
    client = SentryClient("https://sentry.example", token="t", transport=transport)

    with pytest.raises(RemoteUnauthorized):
        client.get_identity()


def test_list_organizations_follows_pages(fake: FakeSentry, client: SentryClient) -> None:
    for slug in ("beta", "gamma", "delta"):
        fake.add_organization(slug)
    client.page_size = 2

    orgs = client.list_organizations()

    assert [o.slug for o in orgs] == ["acme", "beta", "gamma", "delta"]
    assert orgs[0].status == "active"
    assert orgs[0].date_created.tzinfo is not None
    sent = fake.requests_to("GET", r"^/api/0/organizations/$")
    assert [r.param("cursor") for r in sent] == [None, "0:2:0"]
    assert all(r.param("per_page") == "2" for r in sent)


def test_iter_projects_follows_pages(fake: FakeSentry, client: SentryClient) -> None:
    client.page_size = 2

    projects = list(client.iter_projects())

    assert [p.slug for p in projects] == ["backend-api", "ios-app", "web-app"]
    assert projects[0].platform == "python-django"
    # GlitchTip's projects carry no teams.
    assert projects[0].team_slugs == (("team-backend-api",) if fake.profile == "sentry" else ())
    assert len(fake.requests_to("GET", r"/organizations/acme/projects/$")) == 2


# -- issues ---------------------------------------------------------------------------------


def test_iter_issues_pages_through_every_unresolved_issue(
    fake: FakeSentry, client: SentryClient
) -> None:
    client.page_size = 4

    issues = list(client.iter_issues())

    assert [i.id for i in issues] == expected_order(fake, status="unresolved")
    assert all(isinstance(i, SentryIssue) and i.status == "unresolved" for i in issues)
    sent = fake.requests_to("GET", ISSUES_PATH)
    assert len(sent) == -(-len(issues) // 4)  # stops when the next link says results="false"
    assert sent[0].param("query") == "is:unresolved"
    # No sort: both servers list newest first by default, and GlitchTip refuses Sentry's "date".
    assert "sort" not in sent[0].query and sent[0].param("limit") == "4"
    assert sent[0].param("cursor") is None and all(r.param("cursor") for r in sent[1:])


def test_iter_issues_maps_fields(fake: FakeSentry, client: SentryClient) -> None:
    issue_id = fake.add_issue(
        "backend-api", title="KeyError: 'sku'", culprit="orders.views in create", count=12345
    )
    fake.assign_issue(issue_id, "grace@example.com")

    issue = next(i for i in client.iter_issues() if i.id == issue_id)

    assert issue.title == "KeyError: 'sku'"
    assert issue.culprit == "orders.views in create"
    assert issue.count == 12345  # a string in Sentry's JSON
    assert issue.short_id.startswith("BACKEND-API-")
    assert issue.project_slug == "backend-api"
    # A frozen clock: the fake still keeps its timestamps strictly increasing, by a millisecond.
    assert issue.first_seen == issue.last_seen
    assert timedelta(0) <= issue.first_seen - NOW < timedelta(seconds=1)
    if fake.profile == "sentry":
        assert issue.assignee_email == "grace@example.com"
        assert issue.permalink == f"https://acme.sentry.io/issues/{issue_id}/"
    else:  # no assignment, and a permalink of "Not implemented" is no link
        assert issue.assignee_email is None and issue.permalink is None


def test_iter_issues_filters_by_project_and_stops_past_since(
    fake: FakeSentry, client: SentryClient
) -> None:
    project = next(p for p in fake.projects.values() if p.slug == "web-app")
    since = NOW - timedelta(days=20)
    client.page_size = 2

    issues = list(client.iter_issues(projects=[project.id], status=None, last_seen_since=since))

    expected = [
        str(i.id)
        for i in sorted(fake.issues.values(), key=lambda i: (-i.last_seen, -i.id))
        if i.project_id == project.id and i.last_seen >= since.timestamp() * 1000
    ]
    assert expected and [i.id for i in issues] == expected
    sent = fake.requests_to("GET", ISSUES_PATH)[-1]
    assert sent.query["project"] == [str(project.id)]
    # The bound is not in the search (GlitchTip reads lastSeen:>= as a tag): the read stops by
    # itself on the page holding the first older issue.
    assert sent.param("query") == ""
    assert len(fake.requests_to("GET", ISSUES_PATH)) == len(expected) // 2 + 1


def test_issue_search_query_builds_sentry_syntax() -> None:
    assert issue_search_query(status="resolved", extra="level:error") == ("is:resolved level:error")
    with pytest.raises(ValueError):
        issue_search_query(status="bogus")


@only_sentry
def test_iter_issues_falls_back_to_project_listing_on_old_servers(
    fake: FakeSentry, client: SentryClient
) -> None:
    fake.org_issue_index = False
    client.page_size = 3

    issues = list(client.iter_issues(status="resolved"))

    assert sorted(i.id for i in issues) == sorted(expected_order(fake, status="resolved"))
    per_project = fake.requests_to("GET", r"^/api/0/projects/acme/[^/]+/issues/$")
    assert {r.path.split("/")[5] for r in per_project} == {str(p) for p in fake.projects}
    assert all(r.param("query") == "is:resolved" for r in per_project)


def test_iter_issues_stops_at_the_page_cap(fake: FakeSentry, client: SentryClient) -> None:
    client.page_size, client.max_pages = 2, 3

    issues = list(client.iter_issues(status=None))

    assert len(issues) == 6
    assert len(fake.requests_to("GET", ISSUES_PATH)) == 3


def test_get_issue(fake: FakeSentry, client: SentryClient) -> None:
    issue_id = expected_order(fake)[0]

    issue = client.get_issue(issue_id)

    assert issue.id == issue_id
    assert issue.count == fake.issues[int(issue_id)].count


def test_get_unknown_issue_is_not_found(client: SentryClient) -> None:
    with pytest.raises(RemoteNotFound) as caught:
        client.get_issue("1")
    assert caught.value.status == 404


def test_update_issue_status_sends_a_partial_body(fake: FakeSentry, client: SentryClient) -> None:
    issue_id = expected_order(fake, status="unresolved")[0]

    issue = client.update_issue_status(issue_id, "resolved")

    assert issue.status == "resolved" and issue.substatus is None
    assert fake.issues[int(issue_id)].status == "resolved"
    assert fake.requests[-1].method == "PUT"
    assert fake.requests[-1].json() == {"status": "resolved"}


def test_update_issue_status_to_ignored_and_back(fake: FakeSentry, client: SentryClient) -> None:
    issue_id = expected_order(fake, status="unresolved")[0]

    ignored = client.update_issue_status(issue_id, "ignored")
    assert ignored.status == "ignored"
    assert ignored.substatus == ("archived_forever" if fake.profile == "sentry" else None)
    assert client.update_issue_status(issue_id, "unresolved").status == "unresolved"


@only_glitchtip
def test_an_update_answered_in_glitchtips_words_is_read(
    fake: FakeSentry, client: SentryClient
) -> None:
    # GlitchTip answers a PUT with user_count (not userCount) and no substatus or assignedTo.
    issue_id = expected_order(fake, status="unresolved")[0]
    fake.issues[int(issue_id)].user_count = 7

    issue = client.update_issue_status(issue_id, "resolved")

    put = fake.exchanges[-1][1].json()
    assert "user_count" in put and "userCount" not in put
    assert (issue.status, issue.user_count, issue.assigned_to) == ("resolved", 7, None)


def test_an_unreadable_answer_to_an_accepted_update_is_no_failure(fake: FakeSentry) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    client = SentryClient("https://x", token="t", organization="acme", transport=transport)

    assert client.update_issue_status("1", "resolved") is None


@only_glitchtip
def test_get_issue_reads_the_unscoped_route_when_the_organization_one_answers_405(
    fake: FakeSentry, client: SentryClient
) -> None:
    issue_id = expected_order(fake)[0]

    assert client.get_issue(issue_id).id == issue_id
    assert [r.path for r in fake.requests] == [
        f"/api/0/organizations/acme/issues/{issue_id}/",
        f"/api/0/issues/{issue_id}/",
    ]


@only_glitchtip
def test_a_refused_sort_is_rejected_naming_the_parameter(client: SentryClient) -> None:
    with pytest.raises(RemoteRejected) as caught:
        client.request("GET", "/api/0/organizations/acme/issues/", params={"sort": "date"})

    assert caught.value.status == 422
    assert caught.value.field_errors["sort"].startswith("Input should be 'last_seen'")
    assert "sort: Input should be" in caught.value.message


@only_glitchtip
def test_the_organization_notes_route_answers_an_html_403_that_is_no_token_problem(
    client: SentryClient, fake: FakeSentry
) -> None:
    path = f"/api/0/organizations/acme/issues/{expected_order(fake)[0]}/comments/"
    with pytest.raises(RemoteForbidden) as caught:
        client.request("POST", path, json_body={"text": "hi"})

    assert "an HTML page (403 Forbidden), not an API answer" in caught.value.message


def test_update_issue_status_refuses_unknown_status_before_sending(
    fake: FakeSentry, client: SentryClient
) -> None:
    with pytest.raises(ValueError):
        client.update_issue_status("1", "bogus")  # type: ignore[arg-type]
    assert fake.requests == []


@only_sentry
def test_assign_and_unassign_issue(fake: FakeSentry, client: SentryClient) -> None:
    issue_id = expected_order(fake)[0]

    assigned = client.assign_issue(issue_id, "katherine@example.com")
    unassigned = client.assign_issue(issue_id, None)

    assert assigned.assignee_email == "katherine@example.com"
    assert assigned.assigned_to is not None and assigned.assigned_to.type == "user"
    assert unassigned.assigned_to is None
    assert [r.json() for r in fake.requests_to("PUT", r"/issues/\d+/$")] == [
        {"assignedTo": "katherine@example.com"},
        {"assignedTo": ""},
    ]


@only_glitchtip
def test_glitchtip_accepts_an_assignment_and_ignores_it(fake: FakeSentry, client) -> None:
    issue = client.assign_issue(expected_order(fake)[0], "katherine@example.com")

    assert issue is not None and issue.assigned_to is None


@only_sentry
def test_assign_to_unknown_user_is_rejected_with_field_errors(
    fake: FakeSentry, client: SentryClient
) -> None:
    with pytest.raises(RemoteRejected) as caught:
        client.assign_issue(expected_order(fake)[0], "nobody@example.com")

    assert caught.value.status == 400
    assert caught.value.field_errors == {"assignedTo": "Unknown actor input"}


# -- comments -------------------------------------------------------------------------------


def test_iter_comments_newest_first_across_pages(fake: FakeSentry, client: SentryClient) -> None:
    issue_id = expected_order(fake)[0]
    existing = len(fake.issues[int(issue_id)].notes)
    for n in range(5):
        fake.add_note(issue_id, f"note {n}", author="alan@example.com")
    client.page_size = 2

    comments = list(client.iter_comments(issue_id))

    assert [c.text for c in comments[:5]] == [f"note {n}" for n in reversed(range(5))]
    assert len(comments) == 5 + existing
    assert comments[0].author_email == "alan@example.com"
    assert comments[0].issue_id == issue_id
    assert len(fake.requests_to("GET", r"/comments/$")) == -(-len(comments) // 2)


def test_create_comment(fake: FakeSentry, client: SentryClient) -> None:
    issue_id = expected_order(fake)[0]

    comment = client.create_comment(issue_id, "Tracked in PAY-12")

    assert isinstance(comment, SentryComment)
    assert comment.text == "Tracked in PAY-12"
    assert comment.author_email == "owner@example.com"
    assert timedelta(0) <= comment.date_created - NOW < timedelta(seconds=1)
    # Sentry reads "text", GlitchTip "data.text"; the route is the one both serve.
    assert fake.requests[-1].json() == {
        "text": "Tracked in PAY-12",
        "data": {"text": "Tracked in PAY-12"},
    }
    assert fake.requests[-1].path == f"/api/0/issues/{issue_id}/comments/"
    assert fake.issues[int(issue_id)].notes[-1].text == "Tracked in PAY-12"


@only_sentry
def test_create_duplicate_comment_is_rejected(fake: FakeSentry, client: SentryClient) -> None:
    issue_id = expected_order(fake)[0]
    client.create_comment(issue_id, "same words")

    with pytest.raises(RemoteRejected) as caught:
        client.create_comment(issue_id, "same words")
    assert caught.value.field_errors == {"detail": "You have already posted that comment."}


def test_create_comment_is_not_retried(fake: FakeSentry, client: SentryClient) -> None:
    fake.fail_next(503, path=r"/comments/$")

    with pytest.raises(RemoteUnavailable):
        client.create_comment(expected_order(fake)[0], "hello")
    assert len(fake.requests_to("POST", r"/comments/$")) == 1
