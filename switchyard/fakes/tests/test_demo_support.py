"""What the demo needs of the fakes: state kept across restarts, and changes made on their own."""

import json
import random

from switchyard.fakes import snapshot
from switchyard.fakes.activity import STEPS
from switchyard.fakes.registry import fake_class


def test_a_restored_fake_sentry_holds_what_changed_and_numbers_on(tmp_path):
    fake = fake_class("sentry").seeded(issues=5, projects=2)
    project = next(iter(fake.projects))
    added = fake.add_issue(project, title="KeyError: 'sku'")
    fake.resolve_issue(added)
    fake.subscribe_webhooks("http://127.0.0.1:9/old", "old-secret")
    state = tmp_path / "demo" / "sentry.state"  # its directory is made on the first save
    snapshot.save(fake, state)

    restored = fake_class("sentry").seeded(issues=5, projects=2)
    assert snapshot.restore(restored, state)
    assert restored.issues[int(added)].status == "resolved"
    assert set(restored.issues) == set(fake.issues)
    # The next issue gets a new id, not one the restored remote already handed out.
    assert int(restored.add_issue(project, title="ValueError: x")) not in fake.issues
    # The subscription is the new run's to give: no webhook goes to the old URL.
    assert restored.webhook_url is None and restored.sent_webhooks == []


def test_restoring_without_a_state_file_keeps_the_seeded_fake(tmp_path):
    fake = fake_class("jira").seeded(issues=3, projects=1)
    assert not snapshot.restore(fake, tmp_path / "none.state")
    assert len(fake.issues) == 3


def test_every_fake_round_trips_through_its_state_file(tmp_path):
    for kind in ("sentry", "jira", "linear"):
        fake = fake_class(kind).seeded(issues=4, projects=2)
        STEPS[kind](fake, random.Random(3))
        snapshot.save(fake, tmp_path / kind)
        restored = fake_class(kind).seeded(issues=4, projects=2)
        snapshot.restore(restored, tmp_path / kind)
        assert set(restored.issues) == set(fake.issues), kind


def test_sentry_activity_raises_regresses_and_resolves_issues_with_webhooks():
    fake = fake_class("sentry").seeded(issues=10, projects=2)
    fake.subscribe_webhooks(None, "secret")
    before = {issue_id: issue.status for issue_id, issue in fake.issues.items()}
    rng = random.Random(7)
    done = [STEPS["sentry"](fake, rng) for _ in range(30)]

    assert {line.split()[0] for line in done} >= {"new", "regressed", "resolved"}
    new = set(fake.issues) - set(before)
    assert len(new) == sum(line.startswith("new error") for line in done)
    assert all(fake.issues[issue_id].level in ("error", "fatal") for issue_id in new)
    actions = [json.loads(body)["action"] for _, body in fake.sent_webhooks]
    assert actions.count("created") == len(new)
    assert {"resolved", "unresolved"} <= set(actions)


def test_tracker_activity_moves_tickets_with_webhooks():
    jira = fake_class("jira").seeded(issues=5, projects=1)
    jira.subscribe_webhooks(None, "secret")
    key = jira.create_issue_as_user("PAY", "Made by Switchyard")
    jira.issue(key).reporter_id = jira.bot.account_id  # as if created through the API
    statuses = {issue.key: issue.status.name for issue in jira.issues.values()}
    for seed in range(5):
        STEPS["jira"](jira, random.Random(seed))
    assert {issue.key: issue.status.name for issue in jira.issues.values()} != statuses
    assert any(b"jira:issue_updated" in body for _, body in jira.sent_webhooks)

    linear = fake_class("linear").seeded(issues=5, projects=1)
    linear.subscribe_webhooks(None, "secret")
    states = {issue_id: issue.state_id for issue_id, issue in linear.issues.items()}
    line = STEPS["linear"](linear, random.Random(1))
    assert line.startswith("moved ")
    assert {issue_id: issue.state_id for issue_id, issue in linear.issues.items()} != states
    assert [headers["Linear-Event"] for headers, _ in linear.sent_webhooks] == ["Issue"]
