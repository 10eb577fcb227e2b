import pytest

from switchyard.accounts.tests.factories import (
    PASSWORD,
    CustomerFactory,
    UserFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


def login(client, username, password=PASSWORD):
    return client.post(
        "/api/auth/login/", {"username": username, "password": password}, format="json"
    )


def test_login_returns_a_token_and_the_user_with_role_and_organization(api_client):
    vendor = VendorFactory(name="Swift Couriers")
    user = UserFactory(role="vendor", organization=vendor.organization, vendor=vendor)
    response = login(api_client, user.username)
    assert response.status_code == 200
    body = response.json()
    assert len(body["token"]) == 64
    assert body["user"]["role"] == "vendor"
    assert body["user"]["organization"] == {
        "id": vendor.organization.pk,
        "name": vendor.organization.name,
        "slug": vendor.organization.slug,
    }
    assert body["user"]["vendor"] == {"id": vendor.pk, "name": "Swift Couriers"}

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api_client.get("/api/auth/me/").json()["username"] == user.username


def test_customer_login_has_no_organization(api_client):
    customer = CustomerFactory()
    body = login(api_client, customer.username).json()
    assert body["user"]["role"] == "customer"
    assert body["user"]["organization"] is None


def test_wrong_password_and_missing_fields_are_400(api_client):
    user = UserFactory()
    response = login(api_client, user.username, "nope")
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Unable to log in with the provided credentials."]
    }
    response = api_client.post("/api/auth/login/", {"username": user.username}, format="json")
    assert response.status_code == 400
    assert response.json() == {"password": ["This field is required."]}


def test_logout_revokes_the_token(api_client):
    user = UserFactory()
    token = login(api_client, user.username).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.post("/api/auth/logout/").status_code == 204
    assert api_client.get("/api/auth/me/").status_code == 401
    assert login(api_client.__class__(), user.username).json()["token"] != token


def test_requests_without_credentials_are_401(api_client):
    assert api_client.get("/api/auth/me/").status_code == 401
    assert api_client.post("/api/auth/logout/").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api_client.get("/api/auth/me/").status_code == 401


def test_organizations_endpoint_scopes_by_role(client_for):
    staff = UserFactory()
    UserFactory()  # another organization
    own = client_for(staff).get("/api/organizations/").json()
    assert [org["id"] for org in own["results"]] == [staff.organization_id]
    everyone = client_for(CustomerFactory()).get("/api/organizations/").json()
    assert everyone["count"] == 2
