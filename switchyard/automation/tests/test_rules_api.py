"""The rules' REST API: CRUD, validation naming the field, permissions and isolation."""

import pytest

from switchyard.accounts.tests.factories import AdminFactory, UserFactory
from switchyard.automation.models import AutomationRule
from switchyard.automation.tests.factories import AutomationRuleFactory, TrackerProjectFactory
from switchyard.monitoring.tests.factories import SentryProjectFactory
from switchyard.products.services import product_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.fixture
def project(admin):
    return TrackerProjectFactory(connection__organization=admin.organization, key="PAY")


def body(project, **extra):
    return {
        "name": "Checkout errors",
        "active": True,
        "scope": {},
        "conditions": {"min_level": "error", "min_events": 10},
        "action": {
            "tracker_project": project.pk,
            "issue_type": "Bug",
            "labels": ["sentry", "auto"],
            "title_template": "[{short_id}] {title} ({count} events)",
        },
        **extra,
    }


def test_an_admin_creates_reads_changes_and_deletes_a_rule(client_for, admin, project):
    api = client_for(admin)
    created = api.post("/api/automation-rules/", body(project), format="json")
    assert created.status_code == 201, created.json()
    rule = created.json()
    assert rule["action"]["tracker_project"] == project.pk
    assert rule["conditions"]["min_level"] == "error" and rule["active"] is True
    assert rule["activated_at"] and rule["recent_failures"] == [] and rule["paused"] is False

    changed = api.patch(
        f"/api/automation-rules/{rule['id']}/",
        {"conditions": {"min_events": 50}, "position": 3},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["conditions"]["min_events"] == 50
    assert changed.json()["conditions"]["min_level"] == "error"  # untouched
    listed = api.get("/api/automation-rules/").json()
    assert [r["name"] for r in listed["results"]] == ["Checkout errors"]
    assert api.delete(f"/api/automation-rules/{rule['id']}/").status_code == 204
    assert not AutomationRule.objects.exists()


def test_employees_read_but_do_not_write(client_for, admin, project):
    employee = UserFactory(organization=admin.organization)
    rule = AutomationRuleFactory(organization=admin.organization, tracker_project=project)
    api = client_for(employee)
    assert api.get("/api/automation-rules/").json()["count"] == 1
    assert api.get(f"/api/automation-rules/{rule.pk}/stats/").status_code == 200
    assert api.post("/api/automation-rules/", body(project), format="json").status_code == 403
    assert api.patch(f"/api/automation-rules/{rule.pk}/", {}, format="json").status_code == 403
    assert api.delete(f"/api/automation-rules/{rule.pk}/").status_code == 403
    run = api.post(f"/api/automation-rules/{rule.pk}/run/", {"confirm": True}, format="json")
    assert run.status_code == 403
    assert api.post(f"/api/automation-rules/{rule.pk}/release/").status_code == 403
    assert api.get("/api/automation-rules/").status_code == 200
    assert client_for(UserFactory(role="customer")).get("/api/automation-rules/").status_code == 403


def test_another_organization_sees_nothing_and_cannot_point_at_our_rows(client_for, admin, project):
    rule = AutomationRuleFactory(organization=admin.organization, tracker_project=project)
    other = AdminFactory()
    api = client_for(other)
    assert api.get("/api/automation-rules/").json()["count"] == 0
    for path in ["", "stats/"]:
        assert api.get(f"/api/automation-rules/{rule.pk}/{path}").status_code == 404
    assert api.post(f"/api/automation-rules/{rule.pk}/release/").status_code == 404
    assert api.delete(f"/api/automation-rules/{rule.pk}/").status_code == 404
    ours = product_create(organization=admin.organization, name="Checkout")
    sentry = SentryProjectFactory(connection__organization=admin.organization)
    response = api.post(
        "/api/automation-rules/",
        body(project, scope={"product": ours.pk, "sentry_projects": [sentry.pk]}),
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "scope": {
            "product": ["Unknown product."],
            "sentry_projects": ["Unknown Sentry project."],
        },
        "action": {"tracker_project": ["Unknown tracker project."]},
    }


@pytest.mark.parametrize(
    "change, error",
    [
        ({"conditions": {"min_level": "critical"}}, {"conditions": {"min_level": ...}}),
        ({"conditions": {"min_events": -1}}, {"conditions": {"min_events": ...}}),
        ({"conditions": {"min_users": -5}}, {"conditions": {"min_users": ...}}),
        ({"action": {}}, {"action": ...}),
        ({"action": None}, {"action": ...}),
        ({"name": ""}, {"name": ...}),
        ({"source": "email"}, {"source": ...}),
        ({"hourly_ceiling": 0}, {"hourly_ceiling": ...}),
        ({"action": {"priority": "extreme"}}, {"action": {"priority": ...}}),
        ({"action": {"assignee_email": "dana"}}, {"action": {"assignee_email": ...}}),
        ({"action": {"labels": ["two words"]}}, {"action": {"labels": ...}}),
        ({"action": {"tracker_project": 999999}}, {"action": {"tracker_project": ...}}),
        (
            {"action": {"title_template": "{title} on {host}"}},
            {"action": {"title_template": ["Unknown placeholder: {host}. Available: ..."]}},
        ),
        (
            {"action": {"description_template": "{title!r}"}},
            {"action": {"description_template": ...}},
        ),
        ({"action": {"description_template": "oops {"}}, {"action": {"description_template": ...}}),
        (
            {
                "source": "customer",
                "conditions": {"min_level": "error"},
                "action": {"issue_type": "Task"},
            },
            {"conditions": {"min_level": ["Not a condition of customer issues."]}},
        ),
        (
            {"source": "customer", "conditions": {}, "action": {"title_template": "{short_id}"}},
            {"action": {"title_template": ...}},
        ),
        ({"conditions": {"categories": ["weather"]}}, {"conditions": {"categories": ...}}),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client_for, admin, project, change, error):
    response = client_for(admin).post(
        "/api/automation-rules/", {**body(project), **change}, format="json"
    )
    assert response.status_code == 400, response.json()
    answer = response.json()

    def check(expected, got):
        assert set(got) == set(expected), got
        for key, value in expected.items():
            if isinstance(value, dict):
                check(value, got[key])
            elif isinstance(value, list):
                assert got[key][0].startswith(value[0].split("...")[0].rstrip()), got[key]

    check(error, answer)
    assert not AutomationRule.objects.exists()


def test_a_project_rules_may_not_create_in_is_refused_and_the_name_is_unique(
    client_for, admin, project
):
    api = client_for(admin)
    closed = TrackerProjectFactory(
        connection__organization=admin.organization, key="OPS", rules_may_create=False
    )
    response = api.post(
        "/api/automation-rules/",
        body(project, action={"tracker_project": closed.pk}),
        format="json",
    )
    assert response.status_code == 400
    assert "Rules may not create tickets in OPS" in response.json()["action"]["tracker_project"][0]
    assert api.post("/api/automation-rules/", body(project), format="json").status_code == 201
    again = api.post("/api/automation-rules/", body(project), format="json")
    assert again.status_code == 400 and "name" in again.json()


def test_unknown_placeholders_are_refused_on_update_too(client_for, admin, project):
    rule = AutomationRuleFactory(organization=admin.organization, tracker_project=project)
    response = client_for(admin).patch(
        f"/api/automation-rules/{rule.pk}/",
        {"action": {"description_template": "{permalink} {stack}"}},
        format="json",
    )
    assert response.status_code == 400
    assert "{stack}" in response.json()["action"]["description_template"][0]
