"""The demo banner and the platform superuser's notice on the web pages."""

import pytest
from django.core.management import call_command
from django.test import override_settings

pytestmark = pytest.mark.django_db

BANNER = "Demo mode."


@pytest.fixture
def employee_client(client):
    call_command("seed_demo")
    client.login(username="employee", password="demo-employee-pass")
    return client


@override_settings(DEMO=True)
def test_the_demo_says_it_runs_against_fake_remotes_and_how_to_connect_real_ones(employee_client):
    html = employee_client.get("/", follow=True).content.decode()
    assert BANNER in html
    assert "local fake servers" in html
    assert "DEMO=false" in html


@override_settings(DEMO=False)
def test_outside_the_demo_there_is_no_banner(employee_client):
    html = employee_client.get("/", follow=True).content.decode()
    assert BANNER not in html
    assert "platform superuser" not in html


def test_a_platform_superuser_is_shown_as_such(client):
    call_command("seed_demo")
    client.login(username="root", password="demo-root-pass")
    html = client.get("/", follow=True).content.decode()
    assert "a <strong>platform superuser</strong>" in html
    assert "signed in as a customer" not in html
