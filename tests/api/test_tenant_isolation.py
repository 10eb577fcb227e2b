"""Another tenant looks in: as each of Heron's roles, every API operation, read and write.

Falcon (the first organization) names everything it owns "Falcon ..."; Heron's people must never
see that name or one of Falcon's ids, and every write aimed at Falcon's rows must be refused
without changing a thing. The operations come from the published schema, so a new endpoint is
walked as soon as it exists.
"""

import itertools

import pytest
from django.apps import apps
from django.core import serializers

from switchyard.accounts.models import ApiToken, AuditEntry
from tests.api.endpoints import ids_listed, list_path, operations

ROLES = ["admin", "employee", "vendor", "customer"]
# Customers may raise issues with any active organization: the directory of names is public.
PUBLIC_TO_CUSTOMERS = {"/api/organizations/", "/api/organizations/{id}/"}
# Every field a write might take, pointing at the first organization where it is an id.
WRITE_BODY = {
    "name": "Pwned",
    "title": "Pwned",
    "description": "Pwned",
    "comment": "Pwned",
    "resolution_notes": "Pwned",
    "status": "closed",
    "is_active": False,
    "linear_team_id": "pwned",
    "sync_enabled": False,
    "preferred": True,
    "category": "done",
    "status_to_tracker": False,
}


def _snapshot() -> str:
    """Every row of every Switchyard model, serialized.

    API tokens (their expiry slides with each request) and the audit log (it records the
    requests themselves) aside: any change it would record shows in the changed row itself.
    """
    models = [
        m
        for m in apps.get_models()
        if m.__module__.startswith("switchyard.") and m not in (ApiToken, AuditEntry)
    ]
    return serializers.serialize(
        "json",
        itertools.chain.from_iterable(m._default_manager.order_by("pk") for m in models),
        fields=None,
    )


def _falcon_ids(falcon, path: str) -> list[int]:
    """Falcon's ids behind a detail path, as its own people see them."""
    for role in ("admin", "customer"):
        ids = ids_listed(falcon.client(role), path)
        if ids:
            return ids
    return []


def _mentions_falcon(response) -> bool:
    return b"falcon" in response.content.lower()


@pytest.fixture
def falcon_rows(worlds):
    falcon = worlds[0]
    known = {}
    for _, path in operations():
        if "{id}" in path and list_path(path) not in known:
            known[list_path(path)] = _falcon_ids(falcon, path)
    assert known["/api/products/"] and known["/api/issues/"] and known["/api/connections/"]
    return known


@pytest.mark.parametrize("role", ROLES)
def test_another_organization_sees_nothing_of_the_first(worlds, falcon_rows, role):
    heron = worlds[1].client(role)
    leaks = []
    for method, path in operations():
        if method != "GET" or (role == "customer" and path in PUBLIC_TO_CUSTOMERS):
            continue
        if "{id}" not in path:
            response = heron.get(path, {"page_size": 200})
            if response.status_code == 200 and _mentions_falcon(response):
                leaks.append((path, response.content[:300]))
            continue
        for pk in falcon_rows[list_path(path)]:
            response = heron.get(path.replace("{id}", str(pk)))
            if response.status_code not in (403, 404) or _mentions_falcon(response):
                leaks.append((path, pk, response.status_code, response.content[:300]))
    assert not leaks, "\n".join(map(str, leaks))


@pytest.mark.parametrize("role", ROLES)
def test_another_organizations_writes_on_the_first_ones_rows_are_refused(worlds, falcon_rows, role):
    heron = worlds[1].client(role)
    before = _snapshot()
    accepted = []
    for method, path in operations():
        if method == "GET" or "{id}" not in path:
            continue
        for pk in falcon_rows[list_path(path)]:
            url = path.replace("{id}", str(pk))
            response = getattr(heron, method.lower())(url, WRITE_BODY, format="json")
            if response.status_code not in (403, 404):
                accepted.append((method, url, response.status_code, response.content[:300]))
    assert not accepted, "\n".join(map(str, accepted))
    assert _snapshot() == before


def test_ids_of_the_first_organization_in_bodies_are_refused(worlds, falcon_rows):
    falcon, heron = worlds
    admin = heron.client("admin")
    product = ids_listed(admin, "/api/products/")[0]
    sentry_projects = ids_listed(falcon.client("admin"), "/api/sentry/projects/")
    tracker_projects = ids_listed(falcon.client("admin"), "/api/tracker-projects/")
    sentry_issues = ids_listed(falcon.client("admin"), "/api/sentry/issues/")
    before = _snapshot()

    for kind, ids in (("sentry-projects", sentry_projects), ("tracker-projects", tracker_projects)):
        response = admin.post(
            f"/api/products/{product}/{kind}/",
            {"project_ids": ids, "on_conflict": "move"},
            format="json",
        )
        assert response.status_code in (200, 400), response.content
        if response.status_code == 200:
            assert response.json()["assigned"] == response.json()["moved"] == []
        response = admin.delete(
            f"/api/products/{product}/{kind}/", {"project_ids": ids}, format="json"
        )
        assert response.status_code in (200, 204, 400), response.content
    response = admin.post(
        "/api/sentry/issues/assign-projects/",
        {"issue_ids": sentry_issues, "product": product, "on_conflict": "move"},
        format="json",
    )
    assert response.status_code in (200, 400), response.content
    heron_tracker = ids_listed(admin, "/api/tracker-projects/")[0]
    response = admin.post(
        "/api/sentry/issues/create-tickets/",
        {"issue_ids": sentry_issues, "tracker_project": heron_tracker},
        format="json",
    )
    assert response.status_code in (202, 400), response.content
    if response.status_code == 202:
        assert response.json()["queued"] == []
    falcon_product = falcon_rows["/api/products/"][0]
    falcon_team = ids_listed(falcon.client("admin"), "/api/teams/")[0]
    response = admin.post(
        "/api/products/",
        {"name": "Pwned", "parent": falcon_product, "owning_team": falcon_team},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"parent", "owning_team"}
    assert _snapshot() == before
