from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from switchyard.accounts.roles import org_admin_group
from switchyard.accounts.tests.factories import AdminFactory
from switchyard.monitoring.models import SentryIssue, SentryProject
from switchyard.monitoring.tests.factories import (
    SentryConnectionFactory,
    SentryIssueFactory,
    SentryProjectFactory,
)
from switchyard.products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    admin = AdminFactory()
    admin.groups.add(org_admin_group())
    org = admin.organization
    sentry = SentryConnectionFactory(organization=org)
    checkout = ProductFactory(organization=org, name="Checkout", priority="critical")
    search = ProductFactory(organization=org, name="Search")
    projects = [
        SentryProjectFactory(connection=sentry, platform=["python", "javascript", "go"][i % 3])
        for i in range(6)
    ]
    return {
        "admin": admin,
        "sentry": sentry,
        "checkout": checkout,
        "search": search,
        "projects": projects,
    }


def bulk_url(product):
    return f"/admin/products/product/{product.pk}/assign/sentry-projects/"


# -- 1. from a product ------------------------------------------------------------------------


def test_the_action_needs_exactly_one_product(client, world):
    client.force_login(world["admin"])
    both = [world["checkout"].pk, world["search"].pk]
    response = client.post(
        "/admin/products/product/",
        {"action": "bulk_assign_sentry_projects", ACTION_CHECKBOX_NAME: both},
        follow=True,
    )
    assert "Select exactly one product" in response.content.decode()
    response = client.post(
        "/admin/products/product/",
        {"action": "bulk_assign_sentry_projects", ACTION_CHECKBOX_NAME: [world["checkout"].pk]},
    )
    assert response.status_code == 302 and response["Location"] == bulk_url(world["checkout"])


def test_the_card_page_groups_projects_and_offers_the_tools(client, world):
    client.force_login(world["admin"])
    html = client.get(bulk_url(world["checkout"])).content.decode()
    assert "<h2>acme</h2>" in html
    assert html.count('name="ids"') == 6
    for tool in [
        "Select all",
        "Select all unassigned",
        "Select python",
        "Select javascript",
        "Clear",
        "selected-count",
    ]:
        assert tool in html


def test_assigning_from_the_product_page_with_conflict_confirmation(client, world):
    client.force_login(world["admin"])
    checkout, search, projects = world["checkout"], world["search"], world["projects"]
    SentryProject.objects.filter(pk=projects[0].pk).update(product=search)
    selection = [p.pk for p in projects[:3]]

    response = client.post(bulk_url(checkout), {"action": "assign", "ids": selection}, follow=True)
    assert "1 selected sentry projects belong to other products" in response.content.decode()
    assert not SentryProject.objects.filter(product=checkout).exists()  # nothing half-done

    response = client.post(
        bulk_url(checkout), {"action": "assign", "ids": selection, "confirm_move": "1"}, follow=True
    )
    assert "2 assigned, 1 moved" in response.content.decode()
    assert set(SentryProject.objects.filter(product=checkout).values_list("pk", flat=True)) == set(
        selection
    )

    client.post(bulk_url(checkout), {"action": "unassign", "ids": [projects[1].pk, projects[4].pk]})
    assert SentryProject.objects.get(pk=projects[1].pk).product is None
    assert SentryProject.objects.filter(product=checkout).count() == 2


def test_another_organizations_product_page_is_404(client, world):
    client.force_login(world["admin"])
    other = ProductFactory()
    assert client.get(bulk_url(other)).status_code == 404


# -- 2. from Sentry projects ------------------------------------------------------------------


def test_bulk_assign_selected_projects_to_a_chosen_product(client, world):
    client.force_login(world["admin"])
    checkout, search, projects = world["checkout"], world["search"], world["projects"]
    SentryProject.objects.filter(pk=projects[0].pk).update(product=search)
    selection = [p.pk for p in projects[:3]]
    data = {"action": "assign_sentry_projects_via_bulk", ACTION_CHECKBOX_NAME: selection}

    page = client.post("/admin/monitoring/sentryproject/", data).content.decode()
    assert "3 sentry projects will be assigned" in page
    assert f"{projects[0]} → Search" in page  # the conflict is shown before choosing
    response = client.post(
        "/admin/monitoring/sentryproject/",
        {**data, "apply": "1", "product": checkout.pk, "on_conflict": "skip"},
        follow=True,
    )
    assert "2 assigned, 0 moved, 1 skipped" in response.content.decode()
    assert SentryProject.objects.get(pk=projects[0].pk).product == search

    client.post(
        "/admin/monitoring/sentryproject/",
        {**data, "apply": "1", "product": checkout.pk, "on_conflict": "move"},
    )
    assert SentryProject.objects.filter(product=checkout).count() == 3

    client.post(
        "/admin/monitoring/sentryproject/",
        {"action": "unassign_sentry_projects", ACTION_CHECKBOX_NAME: selection[:2]},
    )
    assert SentryProject.objects.filter(product=checkout).count() == 1


# -- 3. from Sentry issues --------------------------------------------------------------------


def test_assign_the_projects_of_selected_issues(client, world):
    client.force_login(world["admin"])
    checkout, projects = world["checkout"], world["projects"]
    issues = [
        SentryIssueFactory(project=projects[0]),
        SentryIssueFactory(project=projects[0]),
        SentryIssueFactory(project=projects[2]),
    ]
    data = {
        "action": "assign_sentry_projects_via_assign",
        ACTION_CHECKBOX_NAME: [i.pk for i in issues],
    }
    page = client.post("/admin/monitoring/sentryissue/", data).content.decode()
    assert "2 sentry projects will be assigned" in page
    response = client.post(
        "/admin/monitoring/sentryissue/",
        {**data, "apply": "1", "product": checkout.pk, "on_conflict": "skip"},
        follow=True,
    )
    assert "2 assigned" in response.content.decode()
    assert set(SentryProject.objects.filter(product=checkout).values_list("pk", flat=True)) == {
        projects[0].pk,
        projects[2].pk,
    }


def test_issues_filtered_by_level_last_seen_today_and_product(client, world):
    checkout_project, search_project = world["projects"][:2]
    SentryProject.objects.filter(pk=checkout_project.pk).update(product=world["checkout"])
    SentryProject.objects.filter(pk=search_project.pk).update(product=world["search"])
    long_ago = timezone.now() - timedelta(days=3)
    SentryIssueFactory(project=checkout_project, title="Wanted: today's error")
    SentryIssueFactory(project=checkout_project, title="Old error", last_seen=long_ago)
    SentryIssueFactory(project=checkout_project, title="Today's warning", level="warning")
    SentryIssueFactory(project=search_project, title="Another product's error")
    client.force_login(world["admin"])
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    page = client.get(  # the admin's "Last seen: Today" link
        "/admin/monitoring/sentryissue/",
        {
            "level__exact": "error",
            "last_seen__gte": str(today),
            "last_seen__lt": str(today + timedelta(days=1)),
            "project__product__id__exact": world["checkout"].pk,
        },
    ).content.decode()
    assert "Wanted: today&#x27;s error" in page
    for other in ("Old error", "Today&#x27;s warning", "Another product&#x27;s error"):
        assert other not in page


def test_resolving_from_the_admin_queues_the_change_for_sentry(client, world):
    client.force_login(world["admin"])
    issue = SentryIssueFactory(project=world["projects"][0])
    client.post(
        "/admin/monitoring/sentryissue/", {"action": "resolve", ACTION_CHECKBOX_NAME: [issue.pk]}
    )
    issue.refresh_from_db()
    assert issue.status == "resolved"
    assert issue.connection.outbox.get().payload == {"issue": issue.pk, "status": "resolved"}


# -- query counts ----------------------------------------------------------------------------


def grow(world, count):
    sentry = world["sentry"]
    projects = SentryProject.objects.bulk_create(
        SentryProject(
            connection=sentry,
            external_id=f"g{count}-{i}",
            slug=f"grown-{count}-{i}",
            name=f"Grown {i}",
            platform="python",
            sentry_organization="acme",
            product=world["search"] if i % 2 else None,
        )
        for i in range(count)
    )
    first = SentryIssueFactory.build(project=projects[0])
    SentryIssue.objects.bulk_create(
        SentryIssue(
            connection=sentry,
            project=project,
            external_id=f"i{project.external_id}",
            short_id="X-1",
            title="boom",
            first_seen=first.first_seen,
            last_seen=first.last_seen,
            event_count=3,
        )
        for project in projects
    )


@pytest.mark.parametrize(
    "url",
    [
        "/admin/monitoring/sentryproject/",
        "/admin/monitoring/sentryissue/",
        "/admin/products/product/",
        "BULK",
    ],
)
def test_admin_pages_run_a_fixed_number_of_queries(client, world, url):
    client.force_login(world["admin"])
    url = bulk_url(world["checkout"]) if url == "BULK" else url

    def queries():
        with CaptureQueriesContext(db) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    grow(world, 10)
    few = queries()
    grow(world, 1000)
    assert queries() == few


def test_the_project_list_shows_each_projects_unresolved_issues_and_events(client, world):
    counted, other = world["projects"][:2]
    SentryIssueFactory(project=counted, event_count=7)
    SentryIssueFactory(project=counted, event_count=5)
    SentryIssueFactory(project=counted, status="resolved", event_count=100)
    SentryIssueFactory(project=other, event_count=1)
    # Written behind the services' backs: no event tells insights, which keeps the figures.
    call_command("rebuild_insights", stdout=StringIO())
    client.force_login(world["admin"])

    with CaptureQueriesContext(db) as captured:
        page = client.get("/admin/monitoring/sentryproject/").content.decode()

    # Read from the figures insights keeps, not counted over the issues.
    assert not [q["sql"] for q in captured if SentryIssue._meta.db_table in q["sql"]]

    row = page[page.index(f"/admin/monitoring/sentryproject/{counted.pk}/change/") :]
    row = row[: row.index("</tr>")]
    assert '<td class="field-unresolved_issues">2</td>' in row
    assert '<td class="field-unresolved_events">12</td>' in row
