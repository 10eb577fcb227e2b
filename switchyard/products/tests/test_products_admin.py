import pytest

from switchyard.accounts.roles import org_admin_group
from switchyard.accounts.tests.factories import AdminFactory, OrganizationFactory, TeamFactory
from switchyard.products.models import Product
from switchyard.products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_admin():
    admin = AdminFactory(organization=OrganizationFactory(name="Acme"))
    admin.groups.add(org_admin_group())
    return admin


@pytest.fixture
def tree(org_admin):
    root = ProductFactory(
        organization=org_admin.organization, name="E-commerce Platform", priority="critical"
    )
    checkout = ProductFactory(parent=root, name="Checkout")
    return {"root": root, "checkout": checkout}


def test_changelist_shows_tree_badges_and_only_own_organization(client, org_admin, tree):
    ProductFactory(name="Someone Else's Product")
    client.force_login(org_admin)
    response = client.get("/admin/products/product/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "E-commerce Platform &gt; Checkout" in html
    assert "background:#c62828" in html  # the critical badge
    assert "Someone Else" not in html


def test_changelist_filters_and_search(client, org_admin, tree):
    client.force_login(org_admin)
    html = client.get("/admin/products/product/?priority__exact=critical").content.decode()
    assert "└ Checkout" not in html and "E-commerce Platform" in html
    html = client.get("/admin/products/product/?q=Checkout").content.decode()
    assert "└ Checkout" in html


def test_admin_creates_and_moves_through_the_service(client, org_admin, tree):
    team = TeamFactory(organization=org_admin.organization)
    client.force_login(org_admin)
    response = client.post(
        "/admin/products/product/add/",
        {
            "name": "Payments",
            "slug": "",
            "description": "",
            "priority": "high",
            "owning_team": team.pk,
            "parent": tree["checkout"].pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    payments = Product.objects.get(name="Payments")
    assert payments.full_path == "E-commerce Platform > Checkout > Payments"
    assert payments.organization == org_admin.organization

    response = client.post(
        f"/admin/products/product/{payments.pk}/change/",
        {
            "name": "Payments",
            "slug": "payments",
            "description": "",
            "priority": "high",
            "owning_team": team.pk,
            "parent": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Product.objects.get(pk=payments.pk).full_path == "Payments"


def test_deleting_a_product_with_children_is_refused_in_admin(client, org_admin, tree):
    client.force_login(org_admin)
    response = client.post(
        f"/admin/products/product/{tree['root'].pk}/delete/", {"post": "yes"}, follow=True
    )
    assert "still has 1 sub-products" in response.content.decode()
    assert Product.objects.filter(pk=tree["root"].pk).exists()
