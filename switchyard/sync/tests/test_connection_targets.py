"""Connections reach public addresses only, and a stored token never follows the URL to a new host."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from switchyard.core import http
from switchyard.fakes.sentry import FakeSentry
from switchyard.sync.models import Connection

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"
SENTRY_URL = "https://sentry.test"
OTHER_URL = "https://collector.test"


@pytest.fixture
def private_refused(settings):
    settings.ALLOW_PRIVATE_REMOTES = False


@pytest.fixture
def sentry_fakes() -> Iterator[tuple[FakeSentry, FakeSentry]]:
    """The Sentry the connection was made for, and another host someone points it at."""
    ours, other = FakeSentry.seeded(issues=1, projects=1), FakeSentry.seeded(issues=1, projects=1)
    other.token = "collector-token"
    http.mount_transport(SENTRY_URL, ours.transport())
    http.mount_transport(OTHER_URL, other.transport())
    yield ours, other
    http.mount_transport(SENTRY_URL, None)
    http.mount_transport(OTHER_URL, None)


@pytest.fixture
def sentry(admin, sentry_fakes) -> Connection:
    return Connection.objects.create(
        organization=admin.organization,
        kind="sentry",
        name="Sentry",
        base_url=SENTRY_URL,
        remote_organization="acme",
        api_token=sentry_fakes[0].token,
    )


@pytest.fixture
def local_server() -> Iterator[tuple[str, list[str]]]:
    """A real HTTP server on 127.0.0.1 answering 418 to everything; its port and the paths asked."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(f"{self.headers['Host']}{self.path}")
            self.send_response(418)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"detail": "internal service"}')

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield str(server.server_address[1]), asked
    server.shutdown()
    server.server_close()
    thread.join()


def create(api, base_url: str):
    return api.post(
        "/api/connections/",
        {
            "kind": "sentry",
            "name": "Sentry",
            "base_url": base_url,
            "remote_organization": "acme",
            "api_token": "t",
        },
        format="json",
    )


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:8000",
        "https://localhost",
        "https://10.0.0.5",
        "https://192.168.1.1",
        "http://169.254.169.254/latest/meta-data",
        "https://0.0.0.0",
        "https://224.0.0.1",
        "https://[::1]",
        "https://[fd12:3456::1]",
        "https://[fe80::1]",
        "https://[::ffff:10.0.0.1]",
    ],
)
def test_non_public_addresses_are_refused_naming_base_url(
    client_for, admin, private_refused, base_url
):
    response = create(client_for(admin), base_url)

    assert response.status_code == 400
    assert list(response.json()) == ["base_url"]
    assert "is not a public address" in response.json()["base_url"][0]
    assert not Connection.objects.exists()


def test_a_name_resolving_to_a_private_address_is_refused_and_the_setting_allows_it(
    client_for, admin, settings, monkeypatch
):
    settings.ALLOW_PRIVATE_REMOTES = False
    monkeypatch.setattr(http, "resolve", lambda host, port: [PUBLIC, "10.1.2.3"])
    assert create(client_for(admin), "https://sentry.acme.example").status_code == 400

    settings.ALLOW_PRIVATE_REMOTES = True
    assert create(client_for(admin), "https://sentry.acme.example").status_code == 201


def test_changing_base_url_to_a_private_address_is_refused(
    client_for, admin, sentry, private_refused
):
    response = client_for(admin).patch(
        f"/api/connections/{sentry.pk}/",
        {"base_url": "http://127.0.0.1:9000", "api_token": "new"},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["base_url"]
    sentry.refresh_from_db()
    assert sentry.base_url == SENTRY_URL


def test_a_refused_address_is_never_contacted_and_its_status_never_reported(
    client_for, admin, settings, local_server
):
    port, asked = local_server
    settings.ALLOW_PRIVATE_REMOTES = True  # stored when private remotes were allowed
    connection = Connection.objects.create(
        organization=admin.organization,
        kind="sentry",
        name="Internal",
        base_url=f"http://127.0.0.1:{port}",
        remote_organization="acme",
        api_token="t",
    )
    api = client_for(admin)
    allowed = api.post(f"/api/connections/{connection.pk}/test/").json()
    assert allowed["ok"] is False and "418" in allowed["detail"] and asked

    asked.clear()
    settings.ALLOW_PRIVATE_REMOTES = False
    refused = api.post(f"/api/connections/{connection.pk}/test/").json()

    assert refused == {
        "ok": False,
        "detail": "127.0.0.1 is not a public address: loopback, private, link-local, "
        "multicast and reserved addresses are refused.",
    }
    assert asked == []


def test_a_name_that_resolves_elsewhere_at_request_time_is_refused_then(
    client_for, admin, private_refused, monkeypatch, local_server
):
    # DNS rebinding: public when the connection is saved, loopback when the request is made.
    port, asked = local_server
    monkeypatch.setattr(http, "resolve", lambda host, port: [PUBLIC])
    api = client_for(admin)
    response = create(api, f"http://rebind.example:{port}")
    assert response.status_code == 201

    monkeypatch.setattr(http, "resolve", lambda host, port: ["127.0.0.1"])
    result = api.post(f"/api/connections/{response.json()['id']}/test/").json()

    assert result["ok"] is False
    assert result["detail"].startswith("rebind.example is not a public address")
    assert asked == []


def test_the_transport_connects_to_the_address_it_checked(
    client_for, admin, private_refused, monkeypatch, local_server
):
    # Let the test's loopback server count as public: the request must reach the address that
    # was resolved and checked, under the host name it was made for.
    port, asked = local_server
    monkeypatch.setattr(http, "resolve", lambda host, port: ["127.0.0.1"])
    monkeypatch.setattr(http, "is_public", lambda address: address == "127.0.0.1")
    connection = Connection.objects.create(
        organization=admin.organization,
        kind="sentry",
        name="Sentry",
        base_url=f"http://sentry.acme.example:{port}",
        remote_organization="acme",
        api_token="t",
    )

    result = client_for(admin).post(f"/api/connections/{connection.pk}/test/").json()

    assert result["ok"] is False and "418" in result["detail"]
    assert asked and all(line.startswith(f"sentry.acme.example:{port}/") for line in asked)


def test_a_new_host_needs_the_token_again_and_never_gets_the_old_one(
    client_for, admin, sentry, sentry_fakes
):
    ours, other = sentry_fakes
    api = client_for(admin)
    old_token = sentry.api_token

    response = api.patch(
        f"/api/connections/{sentry.pk}/", {"base_url": OTHER_URL, "api_token": ""}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "api_token": ["Enter the token again: the base URL points at another host."]
    }
    response = api.patch(f"/api/connections/{sentry.pk}/", {"base_url": OTHER_URL}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["api_token"]
    api.post(f"/api/connections/{sentry.pk}/test/")
    assert other.requests == [] and ours.requests

    # Another path on the same host keeps the token; a new host with a new token is fine.
    same_host = api.patch(
        f"/api/connections/{sentry.pk}/", {"base_url": f"{SENTRY_URL}/"}, format="json"
    )
    assert same_host.status_code == 200
    moved = api.patch(
        f"/api/connections/{sentry.pk}/",
        {"base_url": OTHER_URL, "api_token": other.token},
        format="json",
    )
    assert moved.status_code == 200
    assert api.post(f"/api/connections/{sentry.pk}/test/").json()["ok"] is True
    sent = [request.headers.get("Authorization", "") for request in other.requests]
    assert sent and all(old_token not in value for value in sent)
    assert all(other.token in value for value in sent)


def test_the_admin_form_refuses_private_addresses_and_a_new_host_without_the_token(
    client, sentry, sentry_fakes, private_refused
):
    from django.contrib.auth import get_user_model

    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(superuser)
    url = f"/admin/sync/connection/{sentry.pk}/change/"
    form = {
        "organization": sentry.organization_id,
        "kind": "sentry",
        "name": "Sentry",
        "base_url": SENTRY_URL,
        "remote_organization": "acme",
        "account_email": "",
        "api_token": "",
        "webhook_secret": "",
        "is_enabled": "on",
        "sync_enabled": "on",
        "sync_interval": "00:15:00",
    }

    private = client.post(url, {**form, "base_url": "http://169.254.169.254"})
    assert private.status_code == 200
    assert "169.254.169.254 is not a public address" in str(
        private.context["adminform"].form.errors["base_url"]
    )

    moved = client.post(url, {**form, "base_url": OTHER_URL})
    assert moved.status_code == 200
    assert moved.context["adminform"].form.errors == {
        "api_token": ["Enter the token again: the base URL points at another host."]
    }
    sentry.refresh_from_db()
    assert sentry.base_url == SENTRY_URL and sentry.api_token == sentry_fakes[0].token

    saved = client.post(url, {**form, "base_url": OTHER_URL, "api_token": "other-token"})
    assert saved.status_code == 302
    sentry.refresh_from_db()
    assert (sentry.base_url, sentry.api_token) == (OTHER_URL, "other-token")
