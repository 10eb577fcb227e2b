"""Each condition alone and together, scope by product subtree, the customer-issue source, and
a preview that lists exactly what a run then creates."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from switchyard.accounts.tests.factories import AdminFactory, CustomerFactory, UserFactory
from switchyard.automation.tests.factories import TrackerProjectFactory
from switchyard.monitoring.tests.factories import SentryIssueFactory, SentryProjectFactory
from switchyard.products.services import product_create
from switchyard.support.models import CustomerIssue
from switchyard.trackers.models import TicketLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.fixture
def world(admin):
    org = admin.organization
    checkout = product_create(organization=org, name="Checkout")
    cart = product_create(organization=org, name="Cart", parent=checkout)
    billing = product_create(organization=org, name="Billing")
    projects = {
        "cart": SentryProjectFactory(connection__organization=org, product=cart),
        "billing": SentryProjectFactory(connection__organization=org, product=billing),
    }
    projects["loose"] = SentryProjectFactory(connection=projects["cart"].connection)
    tracker = TrackerProjectFactory(connection__organization=org, key="PAY", product=checkout)
    return {"checkout": checkout, "cart": cart, "projects": projects, "tracker": tracker}


def issue(project, **fields):
    return SentryIssueFactory(project=project, **fields)


def preview(api, tracker, conditions=None, scope=None, **extra):
    response = api.post(
        "/api/automation-rules/preview/",
        {
            "conditions": conditions or {},
            "scope": scope or {},
            "action": {"tracker_project": tracker.pk},
            **extra,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    return response.json()


def ids(answer):
    return sorted(row["id"] for row in answer["results"])


def test_each_sentry_condition_alone_and_all_together(client_for, admin, world):
    project, tracker = world["projects"]["cart"], world["tracker"]
    api = client_for(admin)
    old = timezone.now() - timedelta(days=3)
    plain = issue(project, level="warning", event_count=1, user_count=1, first_seen=old)
    loud = issue(project, level="fatal", event_count=500, user_count=1, first_seen=old)
    widespread = issue(project, level="info", event_count=2, user_count=80, first_seen=old)
    regressed = issue(project, level="error", substatus="regressed", event_count=3, first_seen=old)
    culprit = issue(project, level="debug", culprit="payments.charge in capture", first_seen=old)
    everything = issue(
        project,
        level="error",
        event_count=50,
        user_count=20,
        substatus="regressed",
        title="CardError: declined",
        first_seen=old,
    )
    every = [plain, loud, widespread, regressed, culprit, everything]
    cases = [
        ({}, every),
        ({"min_level": "error"}, [loud, regressed, everything]),
        ({"min_level": "warning"}, [plain, loud, regressed, everything]),
        ({"min_events": 50}, [loud, everything]),
        ({"min_users": 20}, [widespread, everything]),
        ({"regressions_only": True}, [regressed, everything]),
        ({"text_contains": "CARDERROR"}, [everything]),
        ({"text_contains": "payments.charge"}, [culprit]),
        ({"new_issues_only": True}, []),  # nothing is newer than a rule not yet active
        (
            {
                "min_level": "error",
                "min_events": 10,
                "min_users": 10,
                "regressions_only": True,
                "text_contains": "declined",
            },
            [everything],
        ),
    ]
    for conditions, expected in cases:
        answer = preview(api, tracker, conditions)
        assert ids(answer) == sorted(i.pk for i in expected), conditions
        assert answer["count"] == len(expected)


def test_new_issues_only_counts_from_activation(client_for, admin, world):
    project, tracker = world["projects"]["cart"], world["tracker"]
    api = client_for(admin)
    issue(project, first_seen=timezone.now() - timedelta(days=1))
    rule = api.post(
        "/api/automation-rules/",
        {
            "name": "New",
            "active": True,
            "conditions": {"new_issues_only": True},
            "action": {"tracker_project": tracker.pk},
        },
        format="json",
    ).json()
    fresh = issue(project, first_seen=timezone.now() + timedelta(seconds=1))
    run = api.post(f"/api/automation-rules/{rule['id']}/run/", {"confirm": True}, format="json")
    assert [row["id"] for row in run.json()["results"]] == [fresh.pk]


def test_scope_by_product_takes_its_subtree_and_by_sentry_project(client_for, admin, world):
    p, tracker = world["projects"], world["tracker"]
    api = client_for(admin)
    in_cart, in_billing, loose = issue(p["cart"]), issue(p["billing"]), issue(p["loose"])
    assert ids(preview(api, tracker, scope={"product": world["checkout"].pk})) == [in_cart.pk]
    assert ids(preview(api, tracker, scope={"product": world["cart"].pk})) == [in_cart.pk]
    both = preview(api, tracker, scope={"sentry_projects": [p["billing"].pk, p["loose"].pk]})
    assert ids(both) == sorted([in_billing.pk, loose.pk])
    assert ids(preview(api, tracker)) == sorted([in_cart.pk, in_billing.pk, loose.pk])
    other = SentryIssueFactory()  # another organization's issue is never seen
    assert other.pk not in ids(preview(api, tracker))


def test_preview_lists_exactly_what_run_creates(client_for, admin, world):
    p, tracker = world["projects"], world["tracker"]
    api = client_for(admin)
    matching = [issue(p["cart"], level="error", event_count=20) for _ in range(6)]
    issue(p["cart"], level="warning", event_count=20)
    linked = matching[0]
    api.post(
        f"/api/sentry/issues/{linked.pk}/tickets/", {"tracker_project": tracker.pk}, format="json"
    )
    body = {
        "name": "Errors",
        "conditions": {"min_level": "error", "min_events": 10},
        "action": {"tracker_project": tracker.pk, "labels": ["auto"]},
        "hourly_ceiling": 3,
    }
    seen = preview(api, tracker, **{k: v for k, v in body.items() if k != "name"})
    assert seen["count"] == 6
    assert seen["outcomes"] == {"created": 3, "throttled": 2, "skipped": 1, "failed": 0}
    rule = api.post("/api/automation-rules/", body, format="json").json()
    run = api.post(f"/api/automation-rules/{rule['id']}/run/", {"confirm": True}, format="json")
    assert run.status_code == 200
    assert run.json()["results"] == seen["results"] and run.json()["outcomes"] == seen["outcomes"]
    created = {row["id"] for row in seen["results"] if row["outcome"] == "created"}
    assert (
        set(TicketLink.objects.filter(created_via="rule").values_list("source_id", flat=True))
        == created
    )
    assert (
        api.post(f"/api/automation-rules/{rule['id']}/run/", {}, format="json").status_code == 400
    )
    again = api.post(f"/api/automation-rules/{rule['id']}/run/", {"confirm": True}, format="json")
    assert again.json()["count"] == 0
    assert TicketLink.objects.filter(created_via="rule").count() == 3


def test_an_issue_without_a_mapped_tracker_project_fails_visibly(client_for, admin, world):
    p = world["projects"]
    api = client_for(admin)
    mapped, unmapped = issue(p["cart"]), issue(p["loose"])
    answer = api.post(
        "/api/automation-rules/preview/", {"action": {"tracker_project": None}}, format="json"
    ).json()
    by_id = {row["id"]: row for row in answer["results"]}
    assert by_id[mapped.pk]["outcome"] == "created" and by_id[mapped.pk]["tracker_project"] == "PAY"
    assert by_id[unmapped.pk]["outcome"] == "failed"
    assert "No tracker project is mapped" in by_id[unmapped.pk]["error"]


def test_customer_issue_rules_take_priority_categories_and_client_raised(client_for, admin, world):
    org, tracker = admin.organization, world["tracker"]
    api = client_for(admin)
    customer = CustomerFactory()

    def raised(**fields):
        return CustomerIssue.objects.create(
            **{
                "issue_number": f"ISS-2026-{CustomerIssue.objects.count() + 1:04d}",
                "title": "Order damaged",
                "description": "…",
                "organization": org,
                "raised_by_customer": customer,
                "is_client_issue": True,
                **fields,
            }
        )

    urgent = raised(priority="urgent", category="delivery")
    high = raised(priority="high", category="quality")
    low = raised(priority="low", category="delivery")
    internal = raised(priority="urgent", category="delivery", is_client_issue=False)
    raised(priority="urgent", category="delivery", status="resolved")
    cases = [
        ({"min_priority": "high"}, [urgent, high, internal]),
        ({"categories": ["delivery"]}, [urgent, low, internal]),
        ({"client_raised_only": True}, [urgent, high, low]),
        (
            {"min_priority": "high", "categories": ["delivery"], "client_raised_only": True},
            [urgent],
        ),
    ]
    for conditions, expected in cases:
        answer = preview(api, tracker, conditions, source="customer")
        assert ids(answer) == sorted(i.pk for i in expected), conditions
    rule = api.post(
        "/api/automation-rules/",
        {
            "name": "Urgent deliveries",
            "source": "customer",
            "conditions": {"min_priority": "urgent", "client_raised_only": True},
            "action": {
                "tracker_project": tracker.pk,
                "title_template": "{issue_number} ({priority}, {category}) from {customer}: {title}",
            },
        },
        format="json",
    ).json()
    run = api.post(f"/api/automation-rules/{rule['id']}/run/", {"confirm": True}, format="json")
    assert [row["id"] for row in run.json()["results"]] == [urgent.pk]
    link = TicketLink.objects.get(created_via="rule")
    from switchyard.sync.models import OutboxEntry

    payload = OutboxEntry.objects.get(payload__link=link.pk).payload
    assert payload["summary"] == (
        f"{urgent.issue_number} (urgent, delivery) from {customer.display_name}: Order damaged"
    )


def test_the_command_previews_and_runs(admin, world, capsys):
    p, tracker = world["projects"], world["tracker"]
    from switchyard.automation.models import AutomationRule

    AutomationRule.objects.create(
        organization=admin.organization, name="All errors", active=True, tracker_project=tracker
    )
    issue(p["cart"])
    issue(p["cart"])
    call_command("automation", "--dry-run")
    assert "2 matches; would do: 2 created" in capsys.readouterr().out
    assert not TicketLink.objects.exists()
    call_command("automation", "--rule", "All errors")
    assert "did: 2 created" in capsys.readouterr().out
    assert TicketLink.objects.filter(created_via="rule").count() == 2
    with pytest.raises(Exception, match="No rule is named"):
        call_command("automation", "--rule", "Nope")


def test_employees_may_preview(client_for, admin, world):
    employee = UserFactory(organization=admin.organization)
    answer = client_for(employee).post(
        "/api/automation-rules/preview/", {"action": {"tracker_project": None}}, format="json"
    )
    assert answer.status_code == 200
