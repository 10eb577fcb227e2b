"""Failed logins lock the address and the account, on every login form and the API."""

import datetime

import pytest
from django.test import Client
from freezegun import freeze_time

from switchyard.accounts.tests.factories import PASSWORD, AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture(autouse=True)
def _low_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)


def api_login(username, password=PASSWORD, **headers):
    return Client(**headers).post(
        "/api/auth/login/",
        {"username": username, "password": password},
        content_type="application/json",
    )


def test_a_locked_account_is_refused_even_with_the_right_password_until_the_lock_expires():
    user = UserFactory()
    for _ in range(LIMIT - 1):
        assert api_login(user.username, "wrong").status_code == 400
    assert api_login(user.username, "wrong").status_code == 429  # the failure that locks

    response = api_login(user.username)
    assert response.status_code == 429
    assert response.json() == {
        "code": "login_locked",
        "message": "Too many failed logins. Try again later.",
    }
    assert int(response["Retry-After"]) == 15 * 60

    with freeze_time(datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=16)):
        assert api_login(user.username).status_code == 200


def test_the_account_stays_locked_whatever_address_the_attempts_come_from():
    user = UserFactory()
    for n in range(LIMIT):
        api_login(user.username, "wrong", REMOTE_ADDR=f"198.51.100.{n}")
    assert api_login(user.username, REMOTE_ADDR="203.0.113.9").status_code == 429


def test_an_address_that_failed_on_many_accounts_is_locked_for_every_account():
    for n in range(LIMIT):
        api_login(f"guess{n}", "wrong")
    assert api_login(UserFactory().username).status_code == 429


def test_a_new_x_forwarded_for_on_each_attempt_does_not_reset_the_count():
    user = UserFactory()
    for n in range(LIMIT):
        api_login(f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = api_login(user.username, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert response.status_code == 429


def test_behind_a_configured_proxy_the_forwarded_client_address_is_the_one_locked(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    user = UserFactory()
    # The proxy appends the address it saw; what the client wrote before it is not trusted.
    for n in range(LIMIT):
        api_login(f"guess{n}", "wrong", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 192.0.2.1")
    assert api_login(user.username, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 429
    assert api_login(user.username, HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 200


def test_successful_logins_do_not_count():
    user = UserFactory()
    for _ in range(LIMIT * 3):
        assert api_login(user.username).status_code == 200
    for _ in range(LIMIT - 1):
        api_login(user.username, "wrong")
    assert api_login(user.username).status_code == 200


def test_the_web_sign_in_page_locks_out_and_signs_nobody_in():
    user = UserFactory()
    browser = Client()
    for _ in range(15):
        browser.post("/login/", {"username": user.username, "password": "wrong"})
    response = browser.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in browser.session
    assert browser.get("/").status_code == 302  # still sent to sign in


def test_the_admin_sign_in_page_locks_out_and_signs_nobody_in():
    admin = AdminFactory()
    browser = Client()
    for _ in range(15):
        browser.post("/admin/login/", {"username": admin.username, "password": "wrong"})
    response = browser.post("/admin/login/", {"username": admin.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in browser.session
    assert browser.get("/admin/").status_code == 302


def test_failures_on_one_form_count_on_the_others():
    user = UserFactory()
    for _ in range(LIMIT):
        Client().post("/login/", {"username": user.username, "password": "wrong"})
    assert api_login(user.username).status_code == 429


def test_a_login_without_a_request_still_checks_the_password(client):
    user = UserFactory()
    assert client.login(username=user.username, password="wrong") is False
    assert client.login(username=user.username, password=PASSWORD) is True
