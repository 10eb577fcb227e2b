"""Every page for every role: signed out, each role, a platform superuser, another organization."""

import re

import pytest

from switchyard.accounts.tests.factories import AdminFactory
from switchyard.products.tests.factories import ProductFactory
from switchyard.sync.models import Connection
from switchyard.web.tests.factories import CustomerIssueFactory

pytestmark = pytest.mark.django_db

OK, SIGN_IN, FORBIDDEN, ABSENT = 200, 302, 403, 404

# page -> expected answer for: customer, vendor, employee, admin, superuser, other org's admin
PAGES = {
    "/portal/": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN),
    "/portal/raise/": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN),
    "/portal/email/": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN),
    "/portal/issues/{issue}/": (OK, FORBIDDEN, FORBIDDEN, FORBIDDEN, ABSENT, FORBIDDEN),
    "/inbox/": (FORBIDDEN, OK, OK, OK, FORBIDDEN, OK),
    "/inbox/issues/{issue}/": (FORBIDDEN, OK, OK, OK, FORBIDDEN, ABSENT),
    "/products/": (FORBIDDEN, OK, OK, OK, FORBIDDEN, OK),
    "/products/{product}/": (FORBIDDEN, OK, OK, OK, FORBIDDEN, ABSENT),
    "/sentry/": (FORBIDDEN, OK, OK, OK, FORBIDDEN, OK),
    "/tickets/": (FORBIDDEN, OK, OK, OK, FORBIDDEN, OK),
    "/sync/": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK),
    "/sync/deliveries/": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK),
    "/sync/connections/new/": (FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, FORBIDDEN, OK),
}
ROLES = ["customer", "vendor", "employee", "admin", "superuser", "outsider"]


@pytest.fixture
def objects(org, people):
    return {
        "issue": CustomerIssueFactory(organization=org, raised_by_customer=people["customer"]).pk,
        "product": ProductFactory(organization=org).pk,
    }


@pytest.mark.parametrize("page", PAGES)
def test_who_may_open_each_page(client, people, objects, django_user_model, page):
    url = page.format(**objects)
    assert client.get(url).status_code == SIGN_IN
    people = {
        **people,
        "superuser": django_user_model.objects.create_superuser("root", "r@example.com", "pw"),
    }
    for role, expected in zip(ROLES, PAGES[page], strict=True):
        client.force_login(people[role])
        assert client.get(url).status_code == expected, (role, url)


def test_actions_on_another_organizations_objects_are_404(client, org, objects):
    connection = Connection.objects.create(
        organization=org,
        kind="sentry",
        name="Sentry",
        base_url="https://sentry.test",
        remote_organization="acme",
        api_token="t",
    )
    client.force_login(AdminFactory())
    for url in [
        f"/inbox/issues/{objects['issue']}/",
        f"/sync/connections/{connection.pk}/sync/",
        f"/sync/connections/{connection.pk}/test/",
    ]:
        assert client.post(url, {"action": "reopen"}).status_code == ABSENT, url


NAVIGATION = {
    "customer": ("Customer", ["/portal/", "/portal/raise/"]),
    "vendor": ("Vendor", ["/inbox/", "/products/", "/sentry/", "/tickets/", "/insights/"]),
    "employee": ("Employee", ["/inbox/", "/products/", "/sentry/", "/tickets/", "/insights/"]),
    "admin": (
        "Organization admin",
        ["/inbox/", "/products/", "/sentry/", "/tickets/", "/insights/", "/sync/", "/admin/"],
    ),
    "superuser": ("Platform admin", ["/admin/"]),
}


def test_the_header_names_the_role_and_the_navigation_what_it_can_use(
    client, people, django_user_model
):
    people = {
        **people,
        "superuser": django_user_model.objects.create_superuser("root", "r@example.com", "pw"),
    }
    for role, (label, urls) in NAVIGATION.items():
        client.force_login(people[role])
        html = client.get("/", follow=True).content.decode()
        assert f'data-testid="role">{label}<' in html, role
        nav = html[html.index('<nav class="nav">') : html.index("</nav>")]
        assert re.findall(r'href="([^"]+)"', nav) == urls, role
        for url in urls:
            assert client.get(url, follow=True).status_code == OK, (role, url)


def test_a_sub_page_marks_its_section_in_the_navigation(client, people):
    client.force_login(people["admin"])
    html = client.get("/sync/connections/new/").content.decode()
    assert '<a href="/sync/" aria-current="page">Sync health</a>' in html
    assert html.count('aria-current="page"') == 2  # the section, and the kind of connection
