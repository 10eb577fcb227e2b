"""The rule builder in the admin: scoped to the organization, checked by the service, with
Preview, Run now (confirmed) and effectiveness columns."""

import pytest

from switchyard.accounts.roles import org_admin_group
from switchyard.accounts.tests.factories import AdminFactory
from switchyard.automation.models import AutomationRule
from switchyard.automation.tests.factories import AutomationRuleFactory, TrackerProjectFactory
from switchyard.monitoring.tests.factories import SentryIssueFactory, SentryProjectFactory
from switchyard.trackers.models import TicketLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    user = AdminFactory()
    user.groups.add(org_admin_group())
    client.force_login(user)
    return user


@pytest.fixture
def project(admin):
    return TrackerProjectFactory(connection__organization=admin.organization, key="PAY")


def form_data(project, **extra):
    return {
        "name": "Errors",
        "description": "",
        "position": 0,
        "source": "sentry",
        "min_level": "error",
        "categories": "[]",
        "labels": '["sentry", "auto"]',
        "tracker_project": project.pk,
        "hourly_ceiling": 20,
        **extra,
    }


def test_an_admin_builds_a_rule_and_bad_templates_are_shown_on_the_field(client, admin, project):
    bad = client.post(
        "/admin/automation/automationrule/add/",
        form_data(project, title_template="{title} {nope}"),
    )
    assert bad.status_code == 200
    assert "Unknown placeholder: {nope}" in bad.content.decode()
    assert not AutomationRule.objects.exists()
    other_org_project = TrackerProjectFactory()
    foreign = client.post("/admin/automation/automationrule/add/", form_data(other_org_project))
    assert "Select a valid choice" in foreign.content.decode()
    good = client.post("/admin/automation/automationrule/add/", form_data(project, active="on"))
    assert good.status_code == 302, good.content.decode()[:3000]
    rule = AutomationRule.objects.get()
    assert rule.organization == admin.organization and rule.labels == ["sentry", "auto"]
    assert rule.activated_at is not None


def test_preview_then_run_now_with_confirmation(client, admin, project):
    rule = AutomationRuleFactory(
        organization=admin.organization, tracker_project=project, min_level="error"
    )
    sentry = SentryProjectFactory(connection__organization=admin.organization)
    issues = [SentryIssueFactory(project=sentry, level="error") for _ in range(3)]
    SentryIssueFactory(project=sentry, level="warning")
    change = client.get(f"/admin/automation/automationrule/{rule.pk}/change/").content.decode()
    assert f"/admin/automation/automationrule/{rule.pk}/preview/" in change
    page = client.get(f"/admin/automation/automationrule/{rule.pk}/preview/").content.decode()
    assert "matches <strong>3</strong> issues" in page and "Yes, run now" in page
    for issue in issues:
        assert issue.short_id in page
    assert not TicketLink.objects.exists()
    ran = client.post(f"/admin/automation/automationrule/{rule.pk}/preview/", {"confirm": "1"})
    assert ran.status_code == 302
    assert TicketLink.objects.filter(created_via="rule").count() == 3
    listing = client.get("/admin/automation/automationrule/").content.decode()
    assert '<td class="field-created">3</td>' in listing
    paused = client.get("/admin/automation/automationrule/?paused=no").content.decode()
    assert rule.name in paused


def test_another_organizations_rules_are_out_of_reach(client, admin, project):
    theirs = AutomationRuleFactory()
    assert theirs.name not in client.get("/admin/automation/automationrule/").content.decode()
    for path in ["change/", "preview/"]:
        response = client.get(f"/admin/automation/automationrule/{theirs.pk}/{path}")
        assert response.status_code in (302, 403, 404)
    assert client.post(
        f"/admin/automation/automationrule/{theirs.pk}/preview/", {"confirm": "1"}
    ).status_code in (302, 403, 404)
    assert not TicketLink.objects.exists()
