"""The audit log records mapping changes: tracker mappings and link directions set through the API,
and remote projects mapped to products or unmapped through the API and the admin."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from switchyard.accounts.models import AuditEntry
from switchyard.accounts.roles import org_admin_group
from switchyard.accounts.tests.factories import AdminFactory, UserFactory
from switchyard.automation.tests.factories import TrackerProjectFactory
from switchyard.monitoring.models import SentryProject
from switchyard.monitoring.tests.factories import SentryIssueFactory, SentryProjectFactory
from switchyard.products.mapping import MappingChanged
from switchyard.products.tests.factories import ProductFactory
from switchyard.sync.models import EventDelivery
from switchyard.trackers.models import PriorityMapping, StatusMapping, TicketLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme_admin():
    admin = AdminFactory()
    admin.groups.add(org_admin_group())
    return admin


@pytest.fixture
def tracker_project(acme_admin):
    return TrackerProjectFactory(connection__organization=acme_admin.organization, key="PAY")


def updates_of(row) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(row),
            object_pk=str(row.pk),
            action=AuditEntry.Action.UPDATE,
        ).order_by("pk")
    )


def test_status_and_priority_mappings_changed_through_the_api_are_logged(
    client_for, acme_admin, tracker_project
):
    review = StatusMapping.objects.create(
        tracker_project=tracker_project, remote_status="In Review", category="in_progress"
    )
    high = PriorityMapping.objects.create(
        tracker_project=tracker_project, priority="high", remote_priority="High"
    )
    api = client_for(acme_admin)

    response = api.patch(
        f"/api/status-mappings/{review.pk}/", {"category": "done", "preferred": True}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["category"], response.json()["preferred"]) == ("done", True)
    response = api.patch(
        f"/api/priority-mappings/{high.pk}/", {"remote_priority": "Major"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["remote_priority"] == "Major"

    [status_entry] = updates_of(review)
    assert status_entry.actor == acme_admin
    assert status_entry.organization == acme_admin.organization
    assert status_entry.changes == {"category": ["in_progress", "done"], "preferred": [False, True]}
    [priority_entry] = updates_of(high)
    assert priority_entry.actor == acme_admin
    assert priority_entry.changes == {"remote_priority": ["High", "Major"]}
    logged = api.get("/api/audit-log/", {"object_type": "trackers.statusmapping"}).json()
    assert [e["changes"]["category"] for e in logged["results"] if e["action"] == "update"] == [
        ["in_progress", "done"]
    ]


def test_a_links_direction_switched_through_the_api_is_logged(
    client_for, acme_admin, tracker_project
):
    issue = SentryIssueFactory(project__connection__organization=acme_admin.organization)
    link = TicketLink.objects.create(tracker_project=tracker_project, source=issue)

    response = client_for(acme_admin).patch(
        f"/api/ticket-links/{link.pk}/", {"status_to_tracker": False}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status_to_tracker"], response.json()["status_to_source"]) == (
        False,
        True,
    )
    link.refresh_from_db()
    assert (link.status_to_tracker, link.status_to_source) == (False, True)
    [entry] = updates_of(link)
    assert entry.actor == acme_admin
    assert entry.changes == {"status_to_tracker": [True, False]}


def test_a_refused_mapping_change_is_a_400_naming_the_field_and_logs_nothing(
    client_for, acme_admin, tracker_project
):
    review = StatusMapping.objects.create(
        tracker_project=tracker_project, remote_status="In Review", category="in_progress"
    )
    high = PriorityMapping.objects.create(
        tracker_project=tracker_project, priority="high", remote_priority="High"
    )
    api = client_for(acme_admin)

    response = api.patch(f"/api/status-mappings/{review.pk}/", {"category": "someday"})
    assert response.status_code == 400
    assert "category" in response.json()
    response = api.patch(f"/api/priority-mappings/{high.pk}/", {"remote_priority": "x" * 61})
    assert response.status_code == 400
    assert "remote_priority" in response.json()
    assert updates_of(review) == [] and updates_of(high) == []
    assert StatusMapping.objects.get(pk=review.pk).category == "in_progress"


def test_an_employee_may_read_mappings_but_not_change_them(client_for, tracker_project):
    review = StatusMapping.objects.create(
        tracker_project=tracker_project, remote_status="In Review", category="in_progress"
    )
    employee = UserFactory(organization=tracker_project.connection.organization)
    api = client_for(employee)
    assert api.get(f"/api/status-mappings/{review.pk}/").status_code == 200
    assert api.patch(f"/api/status-mappings/{review.pk}/", {"category": "done"}).status_code == 403
    assert updates_of(review) == []


def test_projects_mapped_and_unmapped_through_the_api_are_logged(client_for, acme_admin):
    checkout = ProductFactory(organization=acme_admin.organization, name="Checkout")
    project = SentryProjectFactory(connection__organization=acme_admin.organization)
    api = client_for(acme_admin)
    url = f"/api/products/{checkout.pk}/sentry-projects/"

    assert api.post(url, {"project_ids": [project.pk]}, format="json").status_code == 200
    assert api.delete(url, {"project_ids": [project.pk]}, format="json").status_code == 200

    entries = updates_of(project)
    assert [entry.changes["product"] for entry in entries] == [
        [None, checkout.pk],
        [checkout.pk, None],
    ]
    assert {entry.actor for entry in entries} == {acme_admin}


def test_projects_moved_to_the_parent_of_a_deleted_product_are_logged(client_for, acme_admin):
    platform = ProductFactory(organization=acme_admin.organization, name="Platform")
    checkout = ProductFactory(
        organization=acme_admin.organization, name="Checkout", parent=platform
    )
    projects = [
        SentryProjectFactory(connection__organization=acme_admin.organization, product=checkout)
        for _ in range(2)
    ]
    response = client_for(acme_admin).delete(f"/api/products/{checkout.pk}/?reparent=true")
    assert response.status_code == 204
    for project in projects:
        [entry] = updates_of(project)
        assert (entry.actor, entry.organization) == (acme_admin, acme_admin.organization)
        assert entry.changes == {"product": [checkout.pk, platform.pk]}


def test_the_admins_bulk_unmap_is_logged_and_announced(acme_admin):
    checkout = ProductFactory(organization=acme_admin.organization, name="Checkout")
    projects = [
        SentryProjectFactory(connection__organization=acme_admin.organization, product=checkout)
        for _ in range(3)
    ]
    browser = Client()
    browser.force_login(acme_admin)

    response = browser.post(
        "/admin/monitoring/sentryproject/",
        {"action": "unassign_sentry_projects", ACTION_CHECKBOX_NAME: [p.pk for p in projects[:2]]},
        follow=True,
    )
    assert "2 sentry projects unassigned." in response.content.decode()
    assert list(SentryProject.objects.filter(product=checkout)) == [projects[2]]
    for project in projects[:2]:
        [entry] = updates_of(project)
        assert entry.actor == acme_admin
        assert entry.organization == acme_admin.organization
        assert entry.changes == {"product": [checkout.pk, None]}
    assert updates_of(projects[2]) == []
    announced = EventDelivery.objects.filter(event_type__endswith=f".{MappingChanged.__name__}")
    assert announced.exists()
    assert {delivery.organization_id for delivery in announced} == {acme_admin.organization_id}
    assert {tuple(sorted(delivery.payload["ids"])) for delivery in announced} == {
        tuple(sorted(p.pk for p in projects[:2]))
    }


def test_the_card_pages_unassign_is_logged(acme_admin):
    checkout = ProductFactory(organization=acme_admin.organization, name="Checkout")
    project = SentryProjectFactory(
        connection__organization=acme_admin.organization, product=checkout
    )
    browser = Client()
    browser.force_login(acme_admin)
    browser.post(
        f"/admin/products/product/{checkout.pk}/assign/sentry-projects/",
        {"action": "unassign", "ids": [project.pk]},
    )
    [entry] = updates_of(project)
    assert (entry.actor, entry.changes) == (acme_admin, {"product": [checkout.pk, None]})


def test_a_superusers_bulk_unmap_reaches_every_organization_selected(django_user_model):
    superuser = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    products = [ProductFactory(), ProductFactory()]
    projects = [
        SentryProjectFactory(connection__organization=product.organization, product=product)
        for product in products
    ]
    browser = Client()
    browser.force_login(superuser)
    response = browser.post(
        "/admin/monitoring/sentryproject/",
        {"action": "unassign_sentry_projects", ACTION_CHECKBOX_NAME: [p.pk for p in projects]},
        follow=True,
    )
    assert "2 sentry projects unassigned." in response.content.decode()
    assert not SentryProject.objects.filter(product__isnull=False).exists()
    assert {updates_of(project)[0].organization_id for project in projects} == {
        product.organization_id for product in products
    }
