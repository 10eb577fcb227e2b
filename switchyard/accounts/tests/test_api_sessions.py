"""API tokens expire (sliding), die with a password change, and can be listed and revoked."""

import datetime

import pytest
from django.test import Client
from freezegun import freeze_time
from rest_framework.test import APIClient

from switchyard.accounts.tests.factories import PASSWORD, AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


def login(user, user_agent="pytest") -> APIClient:
    client = APIClient(HTTP_USER_AGENT=user_agent)
    token = client.post(
        "/api/auth/login/", {"username": user.username, "password": PASSWORD}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def later(**delta):
    return freeze_time(datetime.datetime.now(datetime.UTC) + datetime.timedelta(**delta))


def test_a_token_expires_after_the_idle_period():
    client = login(UserFactory())
    with later(hours=71):
        assert client.get("/api/auth/me/").status_code == 200
    with later(hours=71 + 73):
        assert client.get("/api/auth/me/").status_code == 401


def test_each_use_extends_the_expiry_up_to_the_maximum_age():
    client = login(UserFactory())
    for day in range(1, 30):  # used once a day: never idle for 72 hours
        with later(days=day):
            assert client.get("/api/auth/me/").status_code == 200, day
    with later(days=30, hours=1):
        assert client.get("/api/auth/me/").status_code == 401


def test_a_password_change_revokes_every_token_of_the_user():
    user = UserFactory()
    phone, laptop = login(user), login(user)
    other = login(UserFactory())

    user.set_password("a new and different passphrase")
    user.save()

    assert phone.get("/api/auth/me/").status_code == 401
    assert laptop.get("/api/auth/me/").status_code == 401
    assert other.get("/api/auth/me/").status_code == 200


def test_a_password_change_in_the_admin_revokes_tokens_and_other_browser_sessions():
    admin = AdminFactory(is_superuser=True)
    api = login(admin)
    elsewhere = Client()
    elsewhere.force_login(admin)
    here = Client()
    here.force_login(admin)

    response = here.post(
        f"/admin/accounts/user/{admin.pk}/password/",
        {"password1": "another long passphrase", "password2": "another long passphrase"},
    )
    assert response.status_code == 302
    assert api.get("/api/auth/me/").status_code == 401
    assert elsewhere.get("/admin/").status_code == 302  # signed out
    assert here.get("/admin/").status_code == 200  # the session that changed it stays


def test_a_person_lists_their_sessions_and_revokes_one():
    user = UserFactory()
    phone = login(user, user_agent="Phone")
    laptop = login(user, user_agent="Laptop")
    login(UserFactory(), user_agent="Someone else")

    listed = laptop.get("/api/auth/sessions/").json()
    assert listed["count"] == 2
    by_agent = {row["user_agent"]: row for row in listed["results"]}
    assert set(by_agent) == {"Phone", "Laptop"}
    assert by_agent["Laptop"]["current"] is True
    assert by_agent["Phone"]["current"] is False
    assert by_agent["Phone"]["ip_address"] == "127.0.0.1"
    assert by_agent["Phone"]["expires_at"] > by_agent["Phone"]["created_at"]
    assert "token" not in by_agent["Phone"] and "digest" not in by_agent["Phone"]

    assert laptop.delete(f"/api/auth/sessions/{by_agent['Phone']['id']}/").status_code == 204
    assert phone.get("/api/auth/me/").status_code == 401
    assert laptop.get("/api/auth/sessions/").json()["count"] == 1


def test_nobody_revokes_or_sees_another_persons_sessions():
    victim = login(UserFactory())
    victim_session = victim.get("/api/auth/sessions/").json()["results"][0]["id"]
    intruder = login(AdminFactory())

    assert intruder.delete(f"/api/auth/sessions/{victim_session}/").status_code == 404
    assert intruder.delete("/api/auth/sessions/100000000000000000000/").status_code == 404
    assert victim.get("/api/auth/me/").status_code == 200
    assert [s["id"] for s in intruder.get("/api/auth/sessions/").json()["results"]] != [
        victim_session
    ]


def test_logout_revokes_only_the_token_it_came_with():
    user = UserFactory()
    phone, laptop = login(user), login(user)
    assert phone.post("/api/auth/logout/").status_code == 204
    assert phone.get("/api/auth/me/").status_code == 401
    assert laptop.get("/api/auth/me/").status_code == 200


def test_tokens_are_stored_only_as_digests():
    from switchyard.accounts.models import ApiToken

    user = UserFactory()
    token = (
        APIClient()
        .post("/api/auth/login/", {"username": user.username, "password": PASSWORD}, format="json")
        .json()["token"]
    )
    stored = ApiToken.objects.get(user=user)
    assert token not in (stored.digest, stored.token_key)


def test_logout_through_a_browser_session_ends_that_session():
    user = UserFactory()
    browser = APIClient(enforce_csrf_checks=False)
    browser.force_login(user)
    assert browser.post("/api/auth/logout/").status_code == 204
    assert browser.get("/api/auth/me/").status_code == 401
