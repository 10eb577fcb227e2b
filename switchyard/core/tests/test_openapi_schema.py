import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_schema_generates_without_warnings(tmp_path):
    """drf-spectacular exits non-zero on any warning (--fail-on-warn) or an invalid schema."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(target))
    schema = target.read_text()
    assert "/api/products/tree/:" in schema
    assert "/api/auth/login/:" in schema


@pytest.mark.django_db
def test_schema_and_docs_are_served(api_client):
    assert api_client.get("/api/schema/").status_code == 200
    response = api_client.get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger-ui" in response.content
