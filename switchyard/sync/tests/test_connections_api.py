import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection as db

from switchyard.accounts.tests.factories import AdminFactory, UserFactory
from switchyard.core.exceptions import RemoteUnauthorized
from switchyard.sync.models import Connection, SyncRun

pytestmark = pytest.mark.django_db


def test_create_never_returns_secrets_and_stores_them_encrypted(client_for, admin):
    response = client_for(admin).post(
        "/api/connections/",
        {
            "kind": "sentry",
            "name": "Sentry",
            "remote_organization": "acme",
            "api_token": "sntrys_very_secret",
            "webhook_secret": "whsec_123",
            "sync_interval_minutes": 5,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert "sntrys_very_secret" not in response.content.decode()
    assert "whsec_123" not in response.content.decode()
    assert body["has_api_token"] is True and body["has_webhook_secret"] is True
    assert body["base_url"] == "https://sentry.io"
    assert body["sync_interval_minutes"] == 5
    assert body["webhook_url"].endswith(f"/api/webhooks/sentry/{body['uuid']}/")

    with db.cursor() as cursor:
        cursor.execute("SELECT api_token, webhook_secret FROM sync_connection")
        stored_token, stored_secret = cursor.fetchone()
    assert "sntrys_very_secret" not in stored_token and "whsec_123" not in stored_secret
    assert Connection.objects.get().api_token == "sntrys_very_secret"


def test_each_kind_names_what_it_is_missing(client_for, admin):
    api = client_for(admin)
    response = api.post(
        "/api/connections/",
        {"kind": "jira", "name": "Jira", "base_url": "https://acme.atlassian.net"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "account_email": ["This field is required for a Jira Cloud connection."],
        "api_token": ["This field is required for a Jira Cloud connection."],
    }
    response = api.post("/api/connections/", {"kind": "gitlab", "name": "x"}, format="json")
    assert response.json() == {"kind": ['"gitlab" is not a valid choice.']}
    response = api.post(
        "/api/connections/",
        {"kind": "linear", "name": "L", "api_token": "k", "sync_interval_minutes": 0},
        format="json",
    )
    assert response.json() == {
        "sync_interval_minutes": ["Ensure this value is greater than or equal to 1."]
    }
    assert not Connection.objects.exists()


def test_updating_with_a_blank_token_keeps_the_stored_one(client_for, admin, connection):
    response = client_for(admin).patch(
        f"/api/connections/{connection.pk}/", {"api_token": "", "name": "Jira Cloud"}, format="json"
    )
    assert response.status_code == 200, response.json()
    connection.refresh_from_db()
    assert connection.api_token == "secret-token" and connection.name == "Jira Cloud"


def test_only_org_admins_manage_connections_and_only_their_own(client_for, connection):
    assert (
        client_for(UserFactory(organization=connection.organization))
        .get("/api/connections/")
        .status_code
        == 403
    )
    outsider = client_for(AdminFactory())
    assert outsider.get(f"/api/connections/{connection.pk}/").status_code == 404
    assert outsider.post(f"/api/connections/{connection.pk}/sync/").status_code == 404
    staff = client_for(UserFactory(organization=connection.organization))
    health = staff.get("/api/sync-health/").json()
    assert [row["name"] for row in health] == ["Jira"]
    assert "api_token" not in health[0]


def test_test_connection_says_who_or_why(client_for, admin, remote, connection):
    api = client_for(admin)
    assert api.post(f"/api/connections/{connection.pk}/test/").json() == {
        "ok": True,
        "detail": "bot@example.com",
    }
    remote.failures = [RemoteUnauthorized("Jira answered 401 to GET /rest/api/3/myself")]
    assert api.post(f"/api/connections/{connection.pk}/test/").json() == {
        "ok": False,
        "detail": "The token was refused: check or replace it. Jira answered 401 to GET /rest/api/3/myself",
    }


def test_sync_now_queues_a_pull(
    client_for, admin, remote, connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post(
            f"/api/connections/{connection.pk}/sync/", {"full": True}, format="json"
        )
    assert response.status_code == 202
    run = SyncRun.objects.get()
    assert (run.trigger, run.full, run.status) == ("manual", True, "succeeded")
    runs = client_for(admin).get("/api/sync-runs/").json()
    assert runs["results"][0]["created"] == 5


def test_sync_command_runs_tests_and_dry_runs(remote, connection, capsys):
    call_command("sync", "--test-connection")
    assert "OK, authenticated as bot@example.com" in capsys.readouterr().out

    call_command("sync", "--dry-run")
    assert "would create 5" in capsys.readouterr().out
    assert not SyncRun.objects.exists()

    call_command("sync", "--kind", "jira")
    assert "Succeeded: 5 created" in capsys.readouterr().out
    assert SyncRun.objects.get().trigger == "command"

    remote.failures = [RemoteUnauthorized("Jira answered 401")]
    with pytest.raises(CommandError):
        call_command("sync", "--test-connection")
