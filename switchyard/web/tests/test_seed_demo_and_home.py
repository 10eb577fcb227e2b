import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command

from switchyard.accounts.models import Role, User
from switchyard.products.models import Product

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_an_empty_database_once(capsys):
    call_command("seed_demo")
    output = capsys.readouterr().out
    assert "Demo data created." in output
    for username in ["admin", "employee", "vendor", "customer"]:
        assert username in output
    assert {u.role for u in User.objects.exclude(is_superuser=True)} == set(Role.values)
    assert Product.objects.filter(depth=4).exists()  # realistic depth
    assert Product.objects.get(name="Card Processing").full_path == (
        "E-commerce Platform > Checkout > Payments > Card Processing"
    )
    products = Product.objects.count()

    call_command("seed_demo")
    assert "nothing seeded" in capsys.readouterr().out
    assert Product.objects.count() == products


def test_demo_logins_work_on_the_api_and_home_page(api_client, client, capsys):
    call_command("seed_demo")
    response = api_client.post(
        "/api/auth/login/", {"username": "admin", "password": "demo-admin-pass"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["user"]["role"] == "admin"

    assert client.get("/").status_code == 302  # to the login page
    response = client.post(
        "/login/", {"username": "employee", "password": "demo-employee-pass"}, follow=True
    )
    html = response.content.decode()
    assert "Acme Retail: products" in html
    assert "Card Processing" in html


def test_org_admin_reaches_the_django_admin(client):
    call_command("seed_demo")
    client.login(username="admin", password="demo-admin-pass")
    assert client.get("/admin/products/product/").status_code == 200


def test_server_refuses_to_start_without_a_secret_key_when_debug_is_off():
    env = {"PATH": "/usr/bin:/bin", "DEBUG": "false", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr
