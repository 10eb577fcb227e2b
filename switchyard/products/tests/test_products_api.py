import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from switchyard.accounts.tests.factories import (
    AdminFactory,
    CustomerFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
)
from switchyard.products.models import Product
from switchyard.products.services import product_update
from switchyard.products.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return OrganizationFactory(name="Acme")


@pytest.fixture
def admin(org):
    return AdminFactory(organization=org)


@pytest.fixture
def tree(org):
    platform = ProductFactory(organization=org, name="E-commerce Platform", priority="critical")
    checkout = ProductFactory(parent=platform, name="Checkout")
    payments = ProductFactory(parent=checkout, name="Payments")
    catalog = ProductFactory(parent=platform, name="Catalog")
    return {"platform": platform, "checkout": checkout, "payments": payments, "catalog": catalog}


# -- permissions ----------------------------------------------------------------------------


def test_anonymous_gets_401(api_client, tree):
    assert api_client.get("/api/products/").status_code == 401
    assert api_client.post("/api/products/", {"name": "X"}, format="json").status_code == 401
    assert api_client.get("/api/products/tree/").status_code == 401


def test_customer_cannot_write_or_read_products(client_for, tree):
    customer = client_for(CustomerFactory())
    assert customer.post("/api/products/", {"name": "X"}, format="json").status_code == 403
    assert (
        customer.patch(
            f"/api/products/{tree['checkout'].pk}/", {"name": "Y"}, format="json"
        ).status_code
        == 403
    )
    assert customer.delete(f"/api/products/{tree['payments'].pk}/").status_code == 403
    assert customer.get("/api/products/").status_code == 403
    assert Product.objects.get(pk=tree["checkout"].pk).name == "Checkout"


def test_employee_reads_but_cannot_write(client_for, org, tree):
    employee = client_for(UserFactory(organization=org))
    assert employee.get("/api/products/").json()["count"] == 4
    response = employee.post("/api/products/", {"name": "X"}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only organization admins may change this."}


def test_staff_of_another_organization_get_404(client_for, tree):
    outsider_admin = client_for(AdminFactory())
    checkout = tree["checkout"]
    assert outsider_admin.get(f"/api/products/{checkout.pk}/").status_code == 404
    assert (
        outsider_admin.patch(
            f"/api/products/{checkout.pk}/", {"name": "Pwned"}, format="json"
        ).status_code
        == 404
    )
    assert outsider_admin.delete(f"/api/products/{checkout.pk}/").status_code == 404
    assert outsider_admin.get("/api/products/").json()["count"] == 0
    assert outsider_admin.get("/api/products/tree/").json() == []
    assert Product.objects.filter(pk=checkout.pk, name="Checkout").exists()


# -- create, move, delete ----------------------------------------------------------------


def test_admin_creates_a_product_under_a_parent(client_for, admin, org, tree):
    team = TeamFactory(organization=org, name="Payments team")
    response = client_for(admin).post(
        "/api/products/",
        {
            "name": "Refunds",
            "parent": tree["payments"].pk,
            "priority": "high",
            "owning_team": team.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["full_path"] == "E-commerce Platform > Checkout > Payments > Refunds"
    assert body["parent"] == tree["payments"].pk
    assert body["slug"] == "refunds"
    assert body["owning_team_name"] == "Payments team"
    assert body["depth"] == 4


def test_moving_a_product_takes_its_subtree_and_updates_paths(client_for, admin, tree):
    response = client_for(admin).patch(
        f"/api/products/{tree['checkout'].pk}/", {"parent": tree["catalog"].pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["full_path"] == "E-commerce Platform > Catalog > Checkout"
    payments = Product.objects.get(pk=tree["payments"].pk)
    assert payments.full_path == "E-commerce Platform > Catalog > Checkout > Payments"
    assert payments.path.startswith(Product.objects.get(pk=tree["checkout"].pk).path)


def test_moving_to_the_top_level_and_renaming(client_for, admin, tree):
    client = client_for(admin)
    response = client.patch(
        f"/api/products/{tree['checkout'].pk}/",
        {"parent": None, "name": "Checkout v2"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["full_path"] == "Checkout v2"
    assert response.json()["parent"] is None
    assert Product.objects.get(pk=tree["payments"].pk).full_path == "Checkout v2 > Payments"


def test_tree_endpoint_nests_children(client_for, admin, tree):
    roots = client_for(admin).get("/api/products/tree/").json()
    assert [root["name"] for root in roots] == ["E-commerce Platform"]
    children = roots[0]["children"]
    assert [child["name"] for child in children] == ["Catalog", "Checkout"]
    assert children[1]["children"][0]["full_path"] == "E-commerce Platform > Checkout > Payments"


def test_delete_with_children_is_refused_then_reparented_on_request(client_for, admin, tree):
    client = client_for(admin)
    response = client.delete(f"/api/products/{tree['checkout'].pk}/")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "1 sub-products" in response.json()["message"]
    assert Product.objects.filter(pk=tree["checkout"].pk).exists()

    response = client.delete(f"/api/products/{tree['checkout'].pk}/?reparent=true")
    assert response.status_code == 204
    payments = Product.objects.get(pk=tree["payments"].pk)
    assert payments.full_path == "E-commerce Platform > Payments"
    assert not Product.objects.filter(pk=tree["checkout"].pk).exists()


def test_deleting_a_root_with_reparent_makes_children_roots(client_for, admin, tree):
    response = client_for(admin).delete(f"/api/products/{tree['platform'].pk}/?reparent=1")
    assert response.status_code == 204
    assert set(Product.objects.filter(depth=1).values_list("name", flat=True)) == {
        "Catalog",
        "Checkout",
    }
    assert Product.objects.get(pk=tree["payments"].pk).full_path == "Checkout > Payments"


def test_leaf_deletes_plainly(client_for, admin, tree):
    assert client_for(admin).delete(f"/api/products/{tree['payments'].pk}/").status_code == 204
    assert Product.objects.get(pk=tree["checkout"].pk).numchild == 0


# -- validation ------------------------------------------------------------------------------


def test_missing_name(client_for, admin):
    response = client_for(admin).post("/api/products/", {"priority": "high"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["This field is required."]}


def test_unknown_priority(client_for, admin):
    response = client_for(admin).post(
        "/api/products/", {"name": "X", "priority": "urgent"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"priority": ['"urgent" is not a valid choice.']}
    assert not Product.objects.exists()


def test_parent_from_another_organization(client_for, admin):
    foreign = ProductFactory(name="Theirs")
    response = client_for(admin).post(
        "/api/products/", {"name": "X", "parent": foreign.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"parent": [f'Invalid pk "{foreign.pk}" - object does not exist.']}


def test_team_from_another_organization(client_for, admin):
    foreign_team = TeamFactory()
    response = client_for(admin).post(
        "/api/products/", {"name": "X", "owning_team": foreign_team.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "owning_team": [f'Invalid pk "{foreign_team.pk}" - object does not exist.']
    }


@pytest.mark.parametrize("target", ["checkout", "payments"])
def test_cycle_in_the_tree(client_for, admin, tree, target):
    response = client_for(admin).patch(
        f"/api/products/{tree['checkout'].pk}/", {"parent": tree[target].pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "parent": ["A product cannot be moved under itself or one of its descendants."]
    }
    assert (
        Product.objects.get(pk=tree["payments"].pk).full_path
        == "E-commerce Platform > Checkout > Payments"
    )


def test_duplicate_slug(client_for, admin, tree):
    response = client_for(admin).post(
        "/api/products/", {"name": "Other", "slug": "checkout"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"slug": ["A product with this slug already exists."]}


def test_generated_slugs_stay_unique(client_for, admin, tree):
    response = client_for(admin).post("/api/products/", {"name": "Checkout"}, format="json")
    assert response.status_code == 201
    assert response.json()["slug"] == "checkout-2"


# -- filters and query counts ---------------------------------------------------------------


def test_filters(client_for, admin, org, tree):
    team = TeamFactory(organization=org)
    ProductFactory(organization=org, name="Legacy Shop", priority="low").__class__.objects.filter(
        name="Legacy Shop"
    ).update(is_active=False, owning_team=team)
    client = client_for(admin)

    def names(query):
        response = client.get(f"/api/products/?{query}")
        assert response.status_code == 200, response.json()
        return sorted(p["name"] for p in response.json()["results"])

    assert names("priority=critical") == ["E-commerce Platform"]
    assert names("priority=critical&priority=low") == ["E-commerce Platform", "Legacy Shop"]
    assert names(f"team={team.pk}") == ["Legacy Shop"]
    assert names("is_active=false") == ["Legacy Shop"]
    assert names(f"parent={tree['platform'].pk}") == ["Catalog", "Checkout"]
    assert names("is_root=true") == ["E-commerce Platform", "Legacy Shop"]
    assert names("search=Checkout") == ["Checkout", "Payments"]  # full path matches too
    response = client.get("/api/products/?priority=urgent")
    assert response.status_code == 400
    assert "priority" in response.json()


def test_list_query_count_does_not_grow_with_page_size(client_for, admin, org):
    client = client_for(admin)
    team = TeamFactory(organization=org)
    parent = ProductFactory(organization=org, name="Root")
    for index in range(5):
        ProductFactory(parent=parent, name=f"Small {index}", owning_team=team)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/products/?page_size=200")
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    few, total_few = count_queries()
    for index in range(60):
        ProductFactory(parent=parent, name=f"More {index}", owning_team=team)
    many, total_many = count_queries()
    assert (total_few, total_many) == (6, 66)
    assert few == many


# -- organizations share one installation ----------------------------------------------------


def _snapshot(organization) -> list[tuple]:
    return list(
        Product.objects.filter(organization=organization)
        .order_by("pk")
        .values_list("pk", "path", "depth", "numchild", "name", "full_path")
    )


def test_a_rename_in_one_organization_never_breaks_another_organizations_create(client_for):
    """Renaming a root used to leave the shared root level unsorted; the next sorted insert
    elsewhere then collided on ``path`` and answered 500."""
    first, second = OrganizationFactory(name="First"), OrganizationFactory(name="Second")
    first_admin, second_admin = (
        client_for(AdminFactory(organization=first)),
        client_for(AdminFactory(organization=second)),
    )
    for name in ("Alpha", "Gamma", "Omega"):
        assert first_admin.post("/api/products/", {"name": name}, format="json").status_code == 201
    for name in ("Delta", "Zulu"):
        assert second_admin.post("/api/products/", {"name": name}, format="json").status_code == 201
    omega = Product.objects.get(organization=first, name="Omega")
    response = first_admin.patch(f"/api/products/{omega.pk}/", {"name": "Aaa"}, format="json")
    assert response.status_code == 200, response.json()
    first_before = _snapshot(first)

    for name in ("Beta", "Aardvark", "Zz"):
        response = second_admin.post("/api/products/", {"name": name}, format="json")
        assert response.status_code == 201, response.content
    child = second_admin.post(
        "/api/products/",
        {"name": "Child", "parent": Product.objects.get(name="Delta").pk},
        format="json",
    )
    assert child.status_code == 201, child.content

    assert _snapshot(first) == first_before
    assert [root["name"] for root in first_admin.get("/api/products/tree/").json()] == [
        "Aaa",
        "Alpha",
        "Gamma",
    ]
    assert [root["name"] for root in second_admin.get("/api/products/tree/").json()] == [
        "Aardvark",
        "Beta",
        "Delta",
        "Zulu",
        "Zz",
    ]
    assert Product.objects.find_problems() == ([], [], [], [], [])


def test_renames_and_moves_keep_the_tree_consistent(client_for, admin, org, tree):
    client = client_for(admin)
    for product, name in ((tree["platform"], "Zeta"), (tree["catalog"], "Aardvark")):
        response = client.patch(f"/api/products/{product.pk}/", {"name": name}, format="json")
        assert response.status_code == 200
    response = client.patch(
        f"/api/products/{tree['payments'].pk}/", {"parent": None, "name": "Pay"}, format="json"
    )
    assert response.status_code == 200
    assert client.post("/api/products/", {"name": "Beta"}, format="json").status_code == 201
    assert Product.objects.find_problems() == ([], [], [], [], [])
    roots = client.get("/api/products/tree/").json()
    assert [root["name"] for root in roots] == ["Beta", "Pay", "Zeta"]
    assert [child["name"] for child in roots[2]["children"]] == ["Aardvark", "Checkout"]


def test_a_create_racing_another_answers_409_not_500(client_for, admin, org, monkeypatch):
    """Two roots created at once (in any organizations) compete for the next root path; the
    loser's database refusal is a 409 the client can retry, never a 500."""
    first = ProductFactory(organization=org, name="First")
    ProductFactory(name="Another organization's")
    stale = type(Product.objects).get_last_root_node
    monkeypatch.setattr(type(Product.objects), "get_last_root_node", lambda manager: first)
    response = client_for(admin).post("/api/products/", {"name": "Late"}, format="json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "conflict",
        "message": "The change clashed with another change saved meanwhile; try again.",
    }
    monkeypatch.setattr(type(Product.objects), "get_last_root_node", stale)
    assert (
        client_for(admin).post("/api/products/", {"name": "Late"}, format="json").status_code == 201
    )


def test_a_change_naming_no_field_of_the_product_is_refused_not_ignored():
    product = ProductFactory()
    with pytest.raises(TypeError, match="no field fields"):
        product_update(product=product, fields={"priority": "low"})
    product.refresh_from_db()
    assert product.priority == "medium"
