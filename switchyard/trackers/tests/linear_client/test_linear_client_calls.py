"""The Linear client against the fake Linear: the records reads return, the requests writes send."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest

from switchyard.core.exceptions import (
    RemoteNotFound,
    RemoteRejected,
    RemoteTimeout,
    RemoteUnavailable,
)
from switchyard.trackers.connectors.linear.mapping import LinearIssue
from switchyard.trackers.tests.linear_client.conftest import (
    label_id,
    new_id,
    operations,
    sent,
    team,
)

# -- reads --------------------------------------------------------------------------------------


def test_issues_walk_every_page_oldest_change_first(client, fake):
    issues = list(client.iter_issues(team(fake)))

    assert len(issues) == 45 and len({i.id for i in issues}) == 45
    assert all(isinstance(i, LinearIssue) and i.identifier.startswith("ENG-") for i in issues)
    assert [i.updated_at for i in issues] == sorted(i.updated_at for i in issues)
    assert all(i.updated_at.tzinfo is not None for i in issues)
    assert len(fake.requests) == 3  # 20 + 20 + 5
    first, second = sent(fake, 0), sent(fake, 1)
    assert first["variables"]["after"] is None and first["variables"]["first"] == 20
    assert second["variables"]["after"]  # the first page's endCursor
    assert first["variables"]["filter"] == {"team": {"id": {"eq": team(fake)}}}
    assert fake.requests[0].headers["Authorization"] == fake.api_key  # the raw key, no "Bearer"


def test_issues_updated_since_are_filtered_on_updated_at(client, fake):
    everything = list(client.iter_issues(team(fake)))
    since = everything[30].updated_at
    fake.requests.clear()

    recent = list(client.iter_issues(team(fake), updated_since=since))

    assert [i.id for i in recent] == [i.id for i in everything[30:]]
    stamp = since.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert sent(fake, 0)["variables"]["filter"]["updatedAt"] == {"gte": stamp}
    with pytest.raises(ValueError, match="aware"):
        next(client.iter_issues(team(fake), updated_since=datetime(2024, 1, 1)))


def test_a_changed_issue_moves_to_the_end_of_the_walk(client, fake):
    walk = client.iter_issues(team(fake))
    first = next(walk)
    fake.move_issue_to_state(first.id, "Done", by="dana@acme.example")

    rest = list(walk)

    assert first.id in {i.id for i in rest[-1:]}  # seen again, with its new state
    assert rest[-1].state.name == "Done" and rest[-1].completed_at is not None


def test_pages_stop_at_the_clients_cap(client, fake):
    client.max_pages = 2
    assert len(list(client.iter_issues(team(fake)))) == 40
    assert len(fake.requests) == 2


def test_issue_fields_map_to_the_record(client, fake):
    issue = next(iter(fake.issues.values()))
    fake.assign(issue.id, "sam@acme.example")

    record = client.get_issue(fake._identifier(issue))

    assert record.id == issue.id and record.title == issue.title
    assert record.url.endswith(record.identifier)
    assert record.priority == issue.priority and record.team_id == issue.team_id
    assert record.assignee.email == "sam@acme.example"
    assert record.creator.email.endswith("@acme.example")
    assert record.labels == tuple(fake.label_names(issue))
    assert record.state.id == issue.state_id and record.state.type in {
        "backlog",
        "unstarted",
        "started",
        "completed",
    }
    assert sent(fake)["variables"] == {"id": fake._identifier(issue)}


def test_viewer_teams_states_and_users(client, fake):
    client.page_size = 1
    assert client.viewer().email == "bot@switchyard.example"
    assert [t.key for t in client.iter_teams()] == ["ENG", "SUP"]
    assert len(fake.requests) == 1 + 2  # one page per team

    states = client.workflow_states(team(fake))
    assert [(s.name, s.type) for s in states] == [
        ("Triage", "triage"),
        ("Backlog", "backlog"),
        ("Todo", "unstarted"),
        ("In Progress", "started"),
        ("In Review", "started"),
        ("Done", "completed"),
        ("Canceled", "canceled"),
        ("Duplicate", "canceled"),
    ]
    assert [s.position for s in states] == sorted(s.position for s in states)
    assert sent(fake)["variables"]["teamId"] == team(fake)

    assert client.find_user_by_email("Dana@ACME.example").name == "Dana Developer"
    assert client.find_user_by_email("nobody@acme.example") is None


def test_comments_are_paged_oldest_first(client, fake):
    issue_id = next(iter(fake.issues))
    for n in range(3):
        fake.add_comment(issue_id, f"note {n}", author="lee@acme.example")
    client.page_size = 2

    comments = list(client.iter_comments(issue_id))

    bodies = [c.body for c in comments]
    assert bodies[-3:] == ["note 0", "note 1", "note 2"]
    assert {c.user.email for c in comments[-3:]} == {"lee@acme.example"}
    assert all(c.issue_id == issue_id for c in comments)
    assert len(fake.requests) == -(-len(comments) // 2)  # pages of two


# -- writes -------------------------------------------------------------------------------------


def test_create_sends_the_client_id_and_returns_the_issue(client, fake):
    issue_id = new_id()
    dana = fake.user_by_email("dana@acme.example")["id"]

    created = client.create_issue(
        issue_id=issue_id,
        team_id=team(fake),
        title="Refund flow broken",
        description="Customers see a 500.",
        priority=2,
        assignee_id=dana,
    )

    assert (created.id, created.title, created.priority) == (issue_id, "Refund flow broken", 2)
    assert created.state.name == "Todo" and created.assignee.id == dana
    assert fake.issues[issue_id].description == "Customers see a 500."
    assert sent(fake)["variables"]["input"] == {
        "id": issue_id,
        "teamId": team(fake),
        "title": "Refund flow broken",
        "description": "Customers see a 500.",
        "priority": 2,
        "assigneeId": dana,
    }


def test_a_repeated_create_returns_the_first_issue(client, fake):
    issue_id = new_id()
    before = len(fake.issues)
    first = client.create_issue(issue_id=issue_id, team_id=team(fake), title="Once")
    again = client.create_issue(issue_id=issue_id, team_id=team(fake), title="Once")

    assert first.id == again.id == issue_id
    assert len(fake.issues) == before + 1


def test_a_create_whose_answer_was_lost_is_retried_without_a_second_issue(client, fake, waits):
    issue_id = new_id()
    before = len(fake.issues)
    fake.timeout_next(body=r"mutation IssueCreate")  # applied, but the answer never comes

    created = client.create_issue(issue_id=issue_id, team_id=team(fake), title="Lost answer")

    assert created.id == issue_id and len(fake.issues) == before + 1
    operations = [sent(fake, n)["query"].split("(")[0].split()[-1] for n in range(3)]
    assert operations == ["IssueCreate", "IssueCreate", "Issue"]
    assert len(waits) == 1


def test_a_create_timing_out_every_time_raises_but_a_later_try_finds_it(client, fake):
    issue_id = new_id()
    fake.timeout_next(body=r"mutation IssueCreate", times=3)
    with pytest.raises(RemoteTimeout):
        client.create_issue(issue_id=issue_id, team_id=team(fake), title="Slow")

    assert client.create_issue(issue_id=issue_id, team_id=team(fake), title="Slow").id == issue_id
    assert sum(1 for i in fake.issues.values() if i.title == "Slow") == 1


def test_refused_creates_raise_rejected_or_not_found(client, fake):
    before = len(fake.issues)
    with pytest.raises(RemoteRejected) as refused:
        client.create_issue(issue_id=new_id(), team_id=team(fake), title="x", priority=9)
    assert "priority" in str(refused.value.field_errors)
    with pytest.raises(RemoteNotFound):
        client.create_issue(issue_id=new_id(), team_id=str(uuid.uuid4()), title="x")
    with pytest.raises(RemoteRejected):
        client.create_issue(issue_id="not-a-uuid", team_id=team(fake), title="x")
    assert len(fake.issues) == before


def test_labels_are_found_in_the_team_and_the_workspace_in_one_query(client, fake):
    sentry = fake.add_label("Sentry")

    ids = client.issue_label_ids(team(fake), ["Bug", "Sentry", "Feature"])

    assert ids == [label_id(fake, "Bug"), sentry, label_id(fake, "Feature")]  # not SUP's "Bug"
    assert operations(fake) == ["IssueLabels"]
    assert sent(fake)["variables"]["teamId"] == team(fake)


def test_labels_match_names_in_any_case_once_each(client, fake):
    sentry = fake.add_label("sentry")

    ids = client.issue_label_ids(team(fake), ["bug", "SENTRY", "Bug", "Sentry"])

    assert ids == [label_id(fake, "Bug"), sentry]
    assert operations(fake) == ["IssueLabels"]
    assert [f["name"] for f in sent(fake)["variables"]["names"]] == [
        {"eqIgnoreCase": "bug"},
        {"eqIgnoreCase": "SENTRY"},
    ]


def test_a_missing_label_is_created_in_the_team_and_found_next_time(client, fake):
    before = len(fake.labels)

    ids = client.issue_label_ids(team(fake), ["Bug", "sentry-error"])

    created = fake.labels[ids[1]]
    assert ids[0] == label_id(fake, "Bug") and len(fake.labels) == before + 1
    assert (created.name, created.team_id) == ("sentry-error", team(fake))
    assert operations(fake) == ["IssueLabels", "IssueLabelCreate"]
    assert sent(fake)["variables"]["input"] == {
        "id": created.id,
        "teamId": team(fake),
        "name": "sentry-error",
    }
    fake.requests.clear()
    assert client.issue_label_ids(team(fake), ["SENTRY-ERROR"]) == [created.id]
    assert operations(fake) == ["IssueLabels"]


def test_no_labels_cost_no_request(client, fake):
    assert client.issue_label_ids(team(fake), []) == []
    assert fake.requests == []


def test_a_label_create_whose_answer_was_lost_is_retried_without_a_second_label(
    client, fake, waits
):
    fake.timeout_next(body=r"mutation IssueLabelCreate")  # applied, but the answer never comes

    (created,) = client.issue_label_ids(team(fake), ["sentry"])

    assert [label.id for label in fake.labels.values() if label.name == "sentry"] == [created]
    assert operations(fake) == [
        "IssueLabels",
        "IssueLabelCreate",
        "IssueLabelCreate",
        "IssueLabels",
    ]
    assert len(waits) == 1


def test_a_label_create_timing_out_every_time_raises_but_a_later_try_finds_it(client, fake):
    fake.timeout_next(body=r"mutation IssueLabelCreate", times=3)
    with pytest.raises(RemoteTimeout):
        client.issue_label_ids(team(fake), ["sentry"])
    fake.requests.clear()

    (found,) = client.issue_label_ids(team(fake), ["sentry"])

    assert [label.id for label in fake.labels.values() if label.name == "sentry"] == [found]
    assert operations(fake) == ["IssueLabels"]


def test_creating_a_label_someone_made_meanwhile_returns_theirs(client, fake):
    label = client.create_issue_label(team_id=team(fake), name="BUG")

    assert (label.id, label.name) == (label_id(fake, "Bug"), "Bug")
    assert operations(fake) == ["IssueLabelCreate", "IssueLabels"]


def test_a_refused_label_create_is_rejected(client, fake):
    with pytest.raises(RemoteRejected):
        client.create_issue_label(team_id=team(fake), name=" ")
    with pytest.raises(RemoteNotFound):
        client.create_issue_label(team_id=new_id(), name="sentry")


def test_an_issue_is_created_with_its_labels(client, fake):
    fake.subscribe_webhooks(None, "secret")
    ids = client.issue_label_ids(team(fake), ["Customer", "sentry"])

    created = client.create_issue(
        issue_id=new_id(), team_id=team(fake), title="Labelled", label_ids=ids
    )

    assert created.labels == ("Customer", "sentry")
    assert sent(fake)["variables"]["input"]["labelIds"] == ids
    ((_, body),) = fake.sent_webhooks
    assert [label["name"] for label in json.loads(body)["data"]["labels"]] == ["Customer", "sentry"]


def test_an_issue_with_an_unknown_or_foreign_label_is_refused(client, fake):
    before = len(fake.issues)
    with pytest.raises(RemoteNotFound, match="IssueLabel"):
        client.create_issue(issue_id=new_id(), team_id=team(fake), title="x", label_ids=[new_id()])
    with pytest.raises(RemoteRejected):
        client.create_issue(
            issue_id=new_id(),
            team_id=team(fake),
            title="x",
            label_ids=[label_id(fake, "Bug", "SUP")],
        )
    assert len(fake.issues) == before


def test_update_sends_only_the_fields_given(client, fake):
    issue = next(iter(fake.issues.values()))
    done = fake.state_named(issue.team_id, "Done")["id"]

    updated = client.update_issue(issue.id, stateId=done, priority=1, title="Renamed")

    assert (updated.state.type, updated.priority, updated.title) == ("completed", 1, "Renamed")
    assert updated.completed_at is not None and updated.updated_at > updated.created_at
    assert sent(fake)["variables"] == {
        "id": issue.id,
        "input": {"stateId": done, "priority": 1, "title": "Renamed"},
    }
    client.update_issue(issue.id, assigneeId=None)
    assert sent(fake)["variables"]["input"] == {"assigneeId": None}
    assert fake.issues[issue.id].assignee_id is None


def test_update_of_an_unknown_issue_is_not_found(client, fake, waits):
    with pytest.raises(RemoteNotFound):
        client.update_issue(str(uuid.uuid4()), title="x")
    assert len(fake.requests) == 1 and waits == []


def test_comment_with_a_client_id_is_retried_safely(client, fake, waits):
    issue_id = next(iter(fake.issues))
    comment_id = new_id()
    fake.timeout_next(body=r"mutation CommentCreate")

    comment = client.create_comment(issue_id=issue_id, body="Fixed in 4.2", comment_id=comment_id)

    assert (comment.id, comment.body, comment.issue_id) == (comment_id, "Fixed in 4.2", issue_id)
    assert comment.user.email == "bot@switchyard.example"
    assert [c.body for c in fake.issue_comments(issue_id)].count("Fixed in 4.2") == 1
    assert len(waits) == 1


def test_comment_without_a_client_id_is_never_repeated(client, fake, waits):
    issue_id = next(iter(fake.issues))
    fake.fail_next(502)
    with pytest.raises(RemoteUnavailable):
        client.create_comment(issue_id=issue_id, body="once")
    assert len(fake.requests) == 1 and waits == []

    comment = client.create_comment(issue_id=issue_id, body="once")
    assert sent(fake)["variables"]["input"] == {"issueId": issue_id, "body": "once"}
    assert uuid.UUID(comment.id)
