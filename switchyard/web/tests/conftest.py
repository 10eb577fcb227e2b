"""People of two organizations, and a customer, for the web pages' tests."""

from __future__ import annotations

import pytest

from switchyard.accounts.models import Role
from switchyard.accounts.tests.factories import (
    AdminFactory,
    CustomerFactory,
    OrganizationFactory,
    UserFactory,
    VendorFactory,
)


@pytest.fixture
def org():
    return OrganizationFactory(name="Acme Retail")


@pytest.fixture
def people(org):
    """One person per role in ``org``, a customer, and an admin of another organization."""
    vendor = VendorFactory(organization=org, name="Swift Couriers")
    return {
        "admin": AdminFactory(organization=org, first_name="Ada", last_name="Admin"),
        "employee": UserFactory(organization=org, first_name="Eli", last_name="Employee"),
        "vendor": UserFactory(
            organization=org, role=Role.VENDOR, vendor=vendor, first_name="Val", last_name="Vendor"
        ),
        "customer": CustomerFactory(first_name="Cory", last_name="Customer"),
        "outsider": AdminFactory(organization=OrganizationFactory(name="Other Co")),
        "vendor_profile": vendor,
    }


@pytest.fixture
def signed_in(client):
    """A test client signed in as the given person."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
