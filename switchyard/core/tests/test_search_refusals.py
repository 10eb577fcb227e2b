"""A search value the API refuses is answered like every other refused filter: the parameter
named, with its message."""

import pytest
from django.contrib.auth import get_user_model

from switchyard.accounts.models import Organization, Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/outbox/", "/api/issues/", "/api/sentry/issues/"])
def test_a_null_character_in_the_search_names_the_search_parameter(client, path):
    organization = Organization.objects.create(name="Acme", slug="acme")
    admin = get_user_model().objects.create_user(
        username="admin", password="x", organization=organization, role=Role.ADMIN
    )
    client.force_login(admin)

    response = client.get(path, {"search": "pay\x00ment"})

    assert response.status_code == 400
    assert response.json() == {"search": ["Null characters are not allowed."]}
    assert client.get(path, {"search": "payment"}).status_code == 200
