"""Adding a connection: organization admins only, tested against the remote before it is saved."""

import pytest

from switchyard.core import http
from switchyard.fakes.jira import FakeJira
from switchyard.sync.models import Connection
from switchyard.trackers.tests.fixtures import JIRA_URL, SENTRY_URL

pytestmark = pytest.mark.django_db

URL = "/sync/connections/new/"


def sentry_form(fake_sentry, **changes) -> dict:
    return {
        "name": "Production Sentry",
        "base_url": SENTRY_URL,
        "remote_organization": "acme",
        "api_token": fake_sentry.token,
        "webhook_secret": "",
        **changes,
    }


@pytest.fixture
def fake_jira():
    fake = FakeJira()
    http.mount_transport(JIRA_URL, fake.transport())
    yield fake
    http.mount_transport(JIRA_URL, None)


def test_only_an_organizations_admin_may_add_one(client, signed_in, people, fake_sentry):
    assert client.get(URL).status_code == 302  # sign in first
    for role in ("customer", "vendor", "employee"):
        client = signed_in(people[role])
        assert client.get(URL).status_code == 403, role
        assert client.post(f"{URL}?kind=sentry", sentry_form(fake_sentry)).status_code == 403
    assert not Connection.objects.exists()
    for role in ("admin", "outsider"):
        assert signed_in(people[role]).get(URL).status_code == 200


def test_a_tested_connection_is_saved_and_its_webhook_secret_shown_once(
    signed_in, people, fake_sentry
):
    client = signed_in(people["admin"])
    response = client.post(f"{URL}?kind=sentry", sentry_form(fake_sentry))
    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("max-age=0")
    connection = Connection.objects.get()
    assert connection.organization == people["admin"].organization
    assert connection.kind == "sentry" and connection.remote_organization == "acme"
    assert connection.api_token == fake_sentry.token and connection.last_ok_at is not None
    html = response.content.decode()
    assert "connected as" in html
    assert f"http://testserver/api/webhooks/sentry/{connection.uuid}/" in html
    assert len(connection.webhook_secret) >= 24 and connection.webhook_secret in html
    assert fake_sentry.token not in html

    health = client.get("/sync/").content.decode()
    assert connection.name in health and connection.webhook_secret not in health
    assert "Production Sentry" not in signed_in(people["outsider"]).get("/sync/").content.decode()


def test_a_typed_webhook_secret_is_kept(signed_in, people, fake_jira):
    response = signed_in(people["admin"]).post(
        f"{URL}?kind=jira",
        {
            "name": "Jira",
            "base_url": JIRA_URL,
            "account_email": fake_jira.bot.email,
            "api_token": "fake-jira-token",
            "webhook_secret": "given-by-the-remote",
        },
    )
    assert response.status_code == 200
    assert Connection.objects.get().webhook_secret == "given-by-the-remote"
    assert "given-by-the-remote" in response.content.decode()


def test_each_kind_asks_for_what_it_needs(signed_in, people):
    client = signed_in(people["admin"])
    sentry = client.get(URL).content.decode()  # the first registered kind by default
    assert 'name="remote_organization"' in sentry and 'name="account_email"' not in sentry
    assert 'value="https://sentry.io"' in sentry
    jira = client.get(f"{URL}?kind=jira").content.decode()
    assert 'name="account_email"' in jira and 'name="remote_organization"' not in jira
    linear = client.get(f"{URL}?kind=linear").content.decode()
    assert 'name="account_email"' not in linear and 'name="remote_organization"' not in linear
    assert client.get(f"{URL}?kind=gitlab").status_code == 404


def test_a_refused_token_is_shown_next_to_it_and_nothing_is_saved(signed_in, people, fake_sentry):
    response = signed_in(people["admin"]).post(
        f"{URL}?kind=sentry", sentry_form(fake_sentry, api_token="wrong-token")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "nothing was saved" in " ".join(form.errors["api_token"])
    html = response.content.decode()
    assert 'value="Production Sentry"' in html  # what was typed stays
    assert 'id="id_api_token-error"' in html
    assert not Connection.objects.exists()


def test_an_unknown_remote_organization_is_shown_next_to_it(signed_in, people, fake_sentry):
    response = signed_in(people["admin"]).post(
        f"{URL}?kind=sentry", sentry_form(fake_sentry, remote_organization="nobody")
    )
    assert "nobody" in " ".join(response.context["form"].errors["remote_organization"])
    assert not Connection.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"api_token": ""}, "api_token"),
        ({"remote_organization": ""}, "remote_organization"),
        ({"base_url": "not a url"}, "base_url"),
        ({"base_url": "ftp://sentry.test"}, "base_url"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_writes_nothing(
    signed_in, people, fake_sentry, changes, field
):
    response = signed_in(people["admin"]).post(
        f"{URL}?kind=sentry", sentry_form(fake_sentry, **changes)
    )
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert f'id="id_{field}-error"' in response.content.decode()
    assert not Connection.objects.exists()
    assert not fake_sentry.requests  # the remote was not even asked


def test_a_name_taken_in_the_organization_is_refused(signed_in, people, fake_sentry):
    client = signed_in(people["admin"])
    client.post(f"{URL}?kind=sentry", sentry_form(fake_sentry))
    response = client.post(f"{URL}?kind=sentry", sentry_form(fake_sentry))
    assert "already exists" in " ".join(response.context["form"].errors["name"])
    assert Connection.objects.count() == 1
    # Another organization may use the same name.
    outsider = signed_in(people["outsider"]).post(f"{URL}?kind=sentry", sentry_form(fake_sentry))
    assert "connected as" in outsider.content.decode()
    assert Connection.objects.count() == 2


def test_a_private_address_is_refused_unless_allowed(signed_in, people, fake_sentry, settings):
    settings.ALLOW_PRIVATE_REMOTES = False
    response = signed_in(people["admin"]).post(
        f"{URL}?kind=sentry", sentry_form(fake_sentry, base_url="http://127.0.0.1:9")
    )
    assert response.context["form"].errors["base_url"]
    assert not Connection.objects.exists()
