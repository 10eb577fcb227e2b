"""Every page for every role: signed out, each role, a platform superuser, another organization."""

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
