"""seed_demo connects the demo organization to fake remotes and builds the demo on them, once."""

import contextlib
import json
import stat

import pytest
from django.core.management import call_command
from django.test import override_settings

from switchyard.automation.models import AutomationRule
from switchyard.fakes.registry import fake_class
from switchyard.monitoring.models import SentryIssue, SentryProject
from switchyard.support.models import CustomerIssue, IssueStatus, SupportSettings
from switchyard.sync.models import Connection
from switchyard.trackers.models import Ticket, TrackerProject

pytestmark = pytest.mark.django_db

# dev.py's sizes: 5 Sentry projects, 3 Jira projects, 2 Linear teams
SIZES = {"sentry": (40, 5), "jira": (30, 3), "linear": (20, 2)}


@pytest.fixture
def fakes():
    with contextlib.ExitStack() as stack:
        served = {}
        for kind, (issues, projects) in SIZES.items():
            fake = fake_class(kind).seeded(issues=issues, projects=projects)
            served[kind] = (fake, stack.enter_context(fake.serve()))
        yield served


@override_settings(ALLOW_PRIVATE_REMOTES=True)
def test_seed_demo_connects_the_fakes_then_populates_once(fakes, tmp_path, capsys):
    out = tmp_path / "demo" / "webhooks.json"
    remotes = [f"--remote={kind}={url}" for kind, (_, url) in fakes.items()]
    call_command("seed_demo", *remotes, "--web-url", "http://127.0.0.1:8000", "--webhooks-out", out)

    webhooks = json.loads(out.read_text())
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds the secrets
    for connection in Connection.objects.all():
        hook = webhooks[connection.kind]
        assert hook["url"] == (
            f"http://127.0.0.1:8000/api/webhooks/{connection.kind}/{connection.uuid}/"
        )
        assert hook["secret"] == connection.webhook_secret
    assert Connection.objects.get(kind="linear").base_url == fakes["linear"][1] + "/graphql"

    call_command("seed_demo", "--populate-remotes")
    assert SentryIssue.objects.count() == 40
    assert Ticket.objects.filter(connection__kind="jira").count() == 30
    assert not SentryProject.objects.filter(product=None).exists()
    assert TrackerProject.objects.get(key="PAY").product.name == "Checkout"
    assert AutomationRule.objects.get().active
    assert SupportSettings.objects.get().linear_team_id
    demo_issues = CustomerIssue.objects.filter(raised_by_customer__username="customer")
    assert {issue.status for issue in demo_issues} == set(IssueStatus.values)
    closed = demo_issues.get(status=IssueStatus.CLOSED)
    assert [change.to_status for change in closed.history.all()] == [
        "open",
        "in_progress",
        "resolved",
        "closed",
    ]
    assert closed.comments.count() == 2

    call_command("seed_demo", "--populate-remotes")  # a restart: nothing added
    assert AutomationRule.objects.count() == 1
    assert demo_issues.count() == 4

    # Restarted on other ports: the same connections, re-pointed.
    call_command("seed_demo", "--remote=sentry=http://127.0.0.1:1", "--remote=jira=http://127.0.0.1:2",
                 "--remote=linear=http://127.0.0.1:3")  # fmt: skip
    assert Connection.objects.count() == 3
    assert Connection.objects.get(kind="jira").base_url == "http://127.0.0.1:2"


def test_seed_demo_needs_every_remote():
    with pytest.raises(Exception, match="one KIND=URL for each of sentry, jira, linear"):
        call_command("seed_demo", "--remote=sentry=http://127.0.0.1:1")
