"""The audit log: every write through the API or the admin, read by the organization's admins."""

import json

import pytest
from auditlog.registry import auditlog
from django.test import Client

from switchyard.accounts.models import AuditEntry
from switchyard.accounts.roles import org_admin_group
from switchyard.accounts.tests.factories import (
    AdminFactory,
    CustomerFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
)
from switchyard.core.fields import EncryptedTextField
from switchyard.products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def org_admin(**kwargs):
    """An organization admin with the admin permissions user_create gives them."""
    admin = AdminFactory(**kwargs)
    admin.groups.add(org_admin_group())
    return admin


@pytest.fixture
def acme_admin():
    return org_admin(organization=OrganizationFactory(name="Acme"))


def test_an_api_write_records_actor_object_fields_before_and_after(client_for, acme_admin):
    product = ProductFactory(organization=acme_admin.organization, name="Checkout")
    api = client_for(acme_admin)
    response = api.patch(f"/api/products/{product.pk}/", {"name": "Till"}, format="json")
    assert response.status_code == 200

    entries = api.get("/api/audit-log/").json()["results"]
    update = next(e for e in entries if e["action"] == "update")
    assert update["actor"] == {"id": acme_admin.pk, "username": acme_admin.username}
    assert update["object_type"] == "products.product"
    assert update["object_id"] == str(product.pk)
    assert update["changes"]["name"] == ["Checkout", "Till"]
    assert update["timestamp"]
    assert api.get(f"/api/audit-log/{update['id']}/").json() == update


def test_the_log_filters_by_object_and_action(client_for, acme_admin):
    checkout = ProductFactory(organization=acme_admin.organization, name="Checkout")
    ProductFactory(organization=acme_admin.organization, name="Catalog")
    api = client_for(acme_admin)
    api.patch(f"/api/products/{checkout.pk}/", {"name": "Till"}, format="json")

    history = api.get(
        "/api/audit-log/", {"object_type": "products.product", "object_id": checkout.pk}
    ).json()["results"]
    assert [e["action"] for e in history] == ["update", "create"]
    updates = api.get("/api/audit-log/", {"action": "update"}).json()["results"]
    assert [e["changes"]["name"] for e in updates] == [["Checkout", "Till"]]
    assert api.get("/api/audit-log/", {"action": "rename"}).status_code == 400


def test_an_admin_write_records_its_actor():
    admin = org_admin()
    team = TeamFactory(organization=admin.organization, name="Payments")
    browser = Client()
    browser.force_login(admin)
    response = browser.post(
        f"/admin/accounts/team/{team.pk}/change/",
        {"name": "Payments squad", "slug": team.slug, "members": [admin.pk]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    entries = AuditEntry.objects.filter(
        object_pk=str(team.pk), content_type__model="team", action=AuditEntry.Action.UPDATE
    )
    assert {entry.actor for entry in entries} == {admin}
    assert any(e.changes.get("name") == ["Payments", "Payments squad"] for e in entries)
    assert any(e.changes.get("members", {}).get("type") == "m2m" for e in entries)


def test_each_organization_admin_reads_only_their_own_organizations_log(client_for, acme_admin):
    ProductFactory(organization=acme_admin.organization, name="Acme secret product")
    other_admin = AdminFactory()
    ProductFactory(organization=other_admin.organization, name="Globex product")

    own = client_for(acme_admin).get("/api/audit-log/").json()
    assert "Acme secret product" in json.dumps(own)
    assert "Globex" not in json.dumps(own)
    theirs = client_for(other_admin).get("/api/audit-log/").json()
    assert "Acme" not in json.dumps(theirs)
    acme_entry = own["results"][0]["id"]
    assert client_for(other_admin).get(f"/api/audit-log/{acme_entry}/").status_code == 404

    for outsider in (CustomerFactory(), UserFactory(organization=acme_admin.organization)):
        assert client_for(outsider).get("/api/audit-log/").status_code == 403


def test_the_admin_audit_page_shows_only_the_organizations_entries(acme_admin):
    ProductFactory(organization=acme_admin.organization, name="Acme widget")
    ProductFactory(organization=OrganizationFactory(name="Globex"), name="Globex widget")
    browser = Client()
    browser.force_login(acme_admin)
    page = browser.get("/admin/accounts/auditentry/")
    assert page.status_code == 200
    assert "Acme widget" in page.content.decode()
    assert "Globex" not in page.content.decode()
    entry = AuditEntry.objects.filter(organization=acme_admin.organization).first()
    detail = browser.get(f"/admin/accounts/auditentry/{entry.pk}/change/")
    assert detail.status_code == 200 and "Acme widget" in detail.content.decode()
    assert browser.post(f"/admin/accounts/auditentry/{entry.pk}/delete/").status_code == 403
    globex = AuditEntry.objects.exclude(organization=acme_admin.organization).first()
    assert browser.get(f"/admin/accounts/auditentry/{globex.pk}/change/").status_code == 302


def test_connection_secrets_never_reach_the_log(client_for, acme_admin):
    api = client_for(acme_admin)
    created = api.post(
        "/api/connections/",
        {
            "kind": "sentry",
            "name": "Sentry",
            "remote_organization": "acme",
            "api_token": "sntrys_very_secret",
            "webhook_secret": "whsec_123",
        },
        format="json",
    ).json()
    api.patch(
        f"/api/connections/{created['id']}/",
        {"api_token": "sntrys_rotated_secret", "name": "Sentry EU"},
        format="json",
    )
    logged = json.dumps(list(AuditEntry.objects.values("changes", "serialized_data")))
    assert "Sentry EU" in logged
    for secret in ("sntrys_very_secret", "sntrys_rotated_secret", "whsec_123"):
        assert secret not in logged


def test_no_registered_model_logs_an_encrypted_field():
    for model in auditlog.get_models():
        options = auditlog._registry[model]
        for field in model._meta.fields:
            if isinstance(field, EncryptedTextField):
                included = options["include_fields"]
                assert field.name in options["exclude_fields"] or (
                    included and field.name not in included
                ), f"{model._meta.label}.{field.name} would be logged"


def test_rows_without_an_organization_of_their_own_are_logged_under_their_connections(
    client_for, acme_admin
):
    from switchyard.monitoring.tests.factories import SentryConnectionFactory, SentryProjectFactory

    connection = SentryConnectionFactory(organization=acme_admin.organization)
    project = SentryProjectFactory(connection=connection, slug="acme-web")
    entries = (
        client_for(acme_admin)
        .get("/api/audit-log/", {"object_type": "monitoring.sentryproject"})
        .json()["results"]
    )
    assert [e["object_id"] for e in entries] == [str(project.pk)]
