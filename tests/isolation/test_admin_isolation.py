"""An organization admin walks every admin page and posts other tenants' ids: nothing leaks or changes.

Two organizations, Zanzibar (the victim) and Quokka (the visitor), hold a row of every kind; every
name-like field of the victim's rows says "zanzibar".
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.test import RequestFactory
from django.urls import reverse

from switchyard.accounts.models import Order, Organization, Role, Team, User, Vendor
from switchyard.accounts.roles import ORG_ADMIN_GROUP
from switchyard.monitoring.models import SentryIssue, SentryProject
from switchyard.products.mapping import mappables
from switchyard.products.models import Product
from switchyard.sync.models import Connection
from switchyard.trackers.models import TrackerProject
from tests.isolation.pages import form_data, leaks
from tests.isolation.world import build_tenant, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim():
    return build_tenant("Zanzibar")


@pytest.fixture
def visitor(victim):
    return build_tenant("Quokka")


@pytest.fixture
def admin_client(client, visitor):
    client.raise_request_exception = False  # a server error is a finding to list, not the end
    client.force_login(visitor.people[Role.ADMIN])
    return client


def _url(name: str, *args) -> str:
    return reverse(f"admin:{name}", args=args)


def _victim_filters(model_admin, victim) -> dict[str, int]:
    """Filter sidebar parameters pointing at the victim's rows."""
    params = {}
    for entry in model_admin.list_filter:
        if isinstance(entry, str):
            target = get_fields_from_path(model_admin.model, entry)[-1].related_model
            if target in victim.rows:
                params[f"{entry}__id__exact"] = victim.first(target).pk
    return params


def admin_pages(visitor, victim):
    """(model, url, whether the url names victim ids) of every registered admin page the visitor could open, and the custom ones."""
    yield None, reverse("admin:index"), False
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        base = f"{opts.app_label}_{opts.model_name}"
        yield None, reverse("admin:app_list", args=[opts.app_label]), False
        changelist = _url(f"{base}_changelist")
        yield model, changelist, False
        yield model, f"{changelist}?_facets=1&_popup=1&_to_field=id", False
        victim_filters = urlencode(_victim_filters(model_admin, victim))
        yield model, f"{changelist}?_facets=1&{victim_filters}", True
        yield model, _url(f"{base}_add"), False
        for row in visitor.rows[model]:
            for view in ("change", "history", "delete"):
                yield model, _url(f"{base}_{view}", row.pk), False
    for person in visitor.people.values():
        yield User, _url("auth_user_password_change", person.pk), False
    for product in visitor.rows[Product]:
        for target in mappables():
            yield Product, _url("products_product_bulk_assign", product.pk, target.key), False


def test_every_admin_page_shows_only_the_organizations_own_rows(admin_client, visitor, victim):
    problems = []
    for model, url, names_victim_ids in admin_pages(visitor, victim):
        response = admin_client.get(url)
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
            continue
        html = response.content.decode()
        # A page echoes the ids in its own address in its links: only names count there.
        found = leaks(html, None if names_victim_ids else model, victim)
        problems += [f"{url}: {leak}" for leak in found]
    assert problems == []


def test_the_victims_pages_are_not_found(admin_client, victim):
    for model, rows in victim.rows.items():
        if model not in admin.site._registry:
            continue
        opts = model._meta
        for row in rows:
            response = admin_client.get(_url(f"{opts.app_label}_{opts.model_name}_change", row.pk))
            assert response.status_code in (302, 403, 404), (opts.label, row.pk)
    for target in mappables():
        url = _url("products_product_bulk_assign", victim.first(Product).pk, target.key)
        assert admin_client.get(url).status_code == 404


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.VENDOR, Role.CUSTOMER])
def test_other_roles_have_no_admin(client, visitor, role):
    client.force_login(visitor.people[role])
    for url in (reverse("admin:index"), _url("accounts_user_changelist")):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_autocomplete_offers_nothing_of_the_victim(admin_client, victim):
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "accounts", "model_name": "team", "field_name": "members", "term": ""},
    )
    assert response.status_code < 500
    assert victim.word not in response.content.decode().lower()


# -- privileges ---------------------------------------------------------------------------------


def test_an_organization_admin_cannot_make_anyone_superuser_or_staff(admin_client, visitor):
    me = visitor.people[Role.ADMIN]
    employee = visitor.people[Role.EMPLOYEE]
    other_group_id = me.groups.get().pk
    for person in (me, employee):
        url = _url("accounts_user_change", person.pk)
        page = admin_client.get(url)
        assert page.status_code == 200
        data = form_data(page.content.decode())
        assert not {"is_superuser", "is_staff", "groups", "user_permissions"} & set(data)
        data.update(
            is_superuser="on",
            is_staff="on",
            groups=[other_group_id],
            user_permissions=[1, 2, 3],
            organization=person.organization_id,
            last_name="Renamed",
        )
        response = admin_client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:3000]

    me.refresh_from_db()
    employee.refresh_from_db()
    assert (me.is_superuser, me.is_staff, me.last_name) == (False, True, "Renamed")
    assert list(me.groups.values_list("name", flat=True)) == [ORG_ADMIN_GROUP]
    assert not me.user_permissions.exists()
    assert (employee.is_superuser, employee.is_staff, employee.last_name) == (
        False,
        False,
        "Renamed",
    )
    assert not employee.groups.exists() and not employee.user_permissions.exists()


def test_the_role_decides_admin_access(admin_client, visitor):
    employee = visitor.people[Role.EMPLOYEE]
    url = _url("accounts_user_change", employee.pk)
    data = form_data(admin_client.get(url).content.decode())
    assert dict(admin_client.get(url).context["adminform"].form.fields["role"].choices).keys() == {
        Role.ADMIN,
        Role.EMPLOYEE,
        Role.VENDOR,
    }

    data["role"] = Role.ADMIN
    assert admin_client.post(url, data).status_code == 302
    employee.refresh_from_db()
    assert employee.is_staff and employee.groups.filter(name=ORG_ADMIN_GROUP).exists()

    data["role"] = Role.EMPLOYEE
    assert admin_client.post(url, data).status_code == 302
    employee.refresh_from_db()
    assert not employee.is_staff and not employee.groups.exists()


def test_an_organization_admin_adds_people_to_their_own_organization(admin_client, visitor):
    url = _url("accounts_user_add")
    page = admin_client.get(url)
    assert page.status_code == 200
    data = form_data(page.content.decode())
    data.update(
        username="quokka-new-admin",
        password1="a long enough pass phrase 42",
        password2="a long enough pass phrase 42",
        usable_password="true",
        email="new@quokka.test",
        role=Role.ADMIN,
        is_superuser="on",
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    created = User.objects.get(username="quokka-new-admin")
    assert created.organization == visitor.organization
    assert (created.is_staff, created.is_superuser) == (True, False)
    assert list(created.groups.values_list("name", flat=True)) == [ORG_ADMIN_GROUP]


def test_a_superuser_saving_an_admin_without_groups_keeps_them_admin(client, visitor):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    admin_user = visitor.people[Role.ADMIN]
    url = _url("accounts_user_change", admin_user.pk)
    data = form_data(client.get(url).content.decode())
    data.pop("groups", None)
    assert client.post(url, data).status_code == 302
    assert admin_user.groups.filter(name=ORG_ADMIN_GROUP).exists()


# -- posting the victim's ids -------------------------------------------------------------------


def _form(client, url: str, **changes) -> dict:
    page = client.get(url)
    assert page.status_code == 200, url
    return {**form_data(page.content.decode()), **changes}


def refused_posts(client, visitor, victim):
    """(url, data) of forms filled in with the victim's rows: each must be refused."""
    yield from _forms_choosing_their_rows(client, visitor, victim)
    yield from _their_rows_edited(victim)
    yield from _actions_on_their_rows(client, visitor, victim)


def _forms_choosing_their_rows(client, visitor, victim):
    """Our own add and change forms, choosing their rows."""
    mine, theirs = visitor.first, victim.first
    yield (
        _url("accounts_team_add"),
        _form(
            client,
            _url("accounts_team_add"),
            name="Q",
            slug="q",
            members=[victim.people[Role.EMPLOYEE].pk],
        ),
    )
    team_url = _url("accounts_team_change", mine(Team).pk)
    yield team_url, _form(client, team_url, members=[victim.people[Role.ADMIN].pk])
    yield (
        _url("products_product_add"),
        _form(client, _url("products_product_add"), name="Q", parent=theirs(Product).pk),
    )
    product_url = _url("products_product_change", mine(Product).pk)
    yield product_url, _form(client, product_url, owning_team=theirs(Team).pk)
    yield product_url, _form(client, product_url, parent=theirs(Product).pk)
    user_url = _url("accounts_user_change", visitor.people[Role.VENDOR].pk)
    yield user_url, _form(client, user_url, vendor=theirs(Vendor).pk)
    order_url = _url("accounts_order_change", mine(Order).pk)
    yield order_url, _form(client, order_url, customer=victim.people[Role.CUSTOMER].pk)
    project_url = _url("trackers_trackerproject_change", mine(TrackerProject).pk)
    yield project_url, _form(client, project_url, product=theirs(Product).pk)
    sentry_url = _url("monitoring_sentryproject_change", mine(SentryProject).pk)
    yield sentry_url, _form(client, sentry_url, product=theirs(Product).pk)


def _their_rows_edited(victim):
    """Their rows edited through their own change pages."""
    theirs = victim.first
    for model in (User, Team, Product, Connection, Order, Vendor, Organization):
        opts = model._meta
        yield _url(f"{opts.app_label}_{opts.model_name}_change", theirs(model).pk), {"name": "x"}
    yield (
        _url("auth_user_password_change", victim.people[Role.ADMIN].pk),
        {
            "password1": "a long enough pass phrase 42",
            "password2": "a long enough pass phrase 42",
        },
    )


def _actions_on_their_rows(client, visitor, victim):
    """Actions on their rows, and choices of their rows in an action's second step."""
    mine, theirs = visitor.first, victim.first
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        for name in model_admin.get_actions(_request_of(client)):
            yield (
                _url(f"{opts.app_label}_{opts.model_name}_changelist"),
                {
                    "action": name,
                    "_selected_action": sorted(victim.ids(model)) or [0],
                    "post": "yes",
                    "apply": "yes",
                    "confirm_move": "on",
                },
            )
    sentry_projects = _url("monitoring_sentryproject_changelist")
    yield (
        sentry_projects,
        {
            "action": "assign_sentry_projects_via_bulk",
            "_selected_action": [mine(SentryProject).pk],
            "apply": "yes",
            "product": theirs(Product).pk,
            "on_conflict": "move",
        },
    )
    yield (
        _url("monitoring_sentryissue_changelist"),
        {
            "action": "create_tickets",
            "_selected_action": [mine(SentryIssue).pk],
            "apply": "yes",
            "tracker_project": theirs(TrackerProject).pk,
        },
    )
    for target in mappables():
        card = _url("products_product_bulk_assign", mine(Product).pk, target.key)
        yield card, {"action": "assign", "ids": sorted(victim.ids(target.model)), "confirm_move": 1}
        yield card, {"action": "unassign", "ids": sorted(victim.ids(target.model))}


def _request_of(client):
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=client.session["_auth_user_id"])
    return request


def test_forms_and_actions_refuse_the_victims_rows(admin_client, visitor, victim):
    problems = []
    for url, data in refused_posts(admin_client, visitor, victim):
        before = snapshot()
        response = admin_client.post(url, data)
        if response.status_code >= 500:
            problems.append(f"{url} {data}: {response.status_code}")
        elif (after := snapshot()) != before:
            changed = {
                key for key in before.keys() | after.keys() if before.get(key) != after.get(key)
            }
            problems.append(f"{url} {data}: changed {sorted(changed)[:5]}")
    assert problems == []


def test_a_connection_posted_with_the_victims_organization_stays_in_its_own(
    admin_client, visitor, victim
):
    url = _url("sync_connection_change", visitor.first(Connection).pk)
    data = _form(admin_client, url, organization=victim.organization.pk, name="Quokka Renamed")
    assert admin_client.post(url, data).status_code == 302
    connection = Connection.objects.get(pk=visitor.first(Connection).pk)
    assert (connection.organization, connection.name) == (visitor.organization, "Quokka Renamed")


def test_an_organization_admin_cannot_touch_a_superuser_of_their_organization(
    admin_client, visitor
):
    operator = User.objects.create_superuser(
        "operator", "op@example.com", "pw", role=Role.ADMIN, organization=visitor.organization
    )
    assert "operator" not in admin_client.get(_url("accounts_user_changelist")).content.decode()
    for url in (
        _url("accounts_user_change", operator.pk),
        _url("auth_user_password_change", operator.pk),
    ):
        admin_client.post(url, {"password1": "x" * 20, "password2": "x" * 20, "username": "o"})
    operator.refresh_from_db()
    assert operator.username == "operator" and operator.check_password("pw")


def test_an_order_is_edited_with_the_organizations_own_customers(admin_client, visitor, victim):
    url = _url("accounts_order_change", visitor.first(Order).pk)
    page = admin_client.get(url)
    customers = page.context["adminform"].form.fields["customer"].queryset
    assert list(customers) == [visitor.people[Role.CUSTOMER]]
    response = admin_client.post(url, {**form_data(page.content.decode()), "amount": "99.50"})
    assert response.status_code == 302
    assert str(Order.objects.get(pk=visitor.first(Order).pk).amount) == "99.50"
