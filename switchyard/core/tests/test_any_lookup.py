"""``field__any``: the rows ``field__in`` finds, with the values sent as one array on PostgreSQL."""

import pytest
from django.db import connection

from switchyard.accounts.models import Organization, Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizations():
    return [Organization.objects.create(name=f"Org {n}", slug=f"org-{n}") for n in range(4)]


def slugs(queryset) -> list[str]:
    return sorted(queryset.values_list("slug", flat=True))


def test_finds_what_in_finds(organizations):
    wanted = ["org-2", "org-0", "org-2", None, "missing"]
    assert slugs(Organization.objects.filter(slug__any=wanted)) == ["org-0", "org-2"]
    assert slugs(Organization.objects.filter(slug__any=wanted)) == slugs(
        Organization.objects.filter(slug__in=wanted)
    )
    assert slugs(Organization.objects.exclude(slug__any=wanted)) == ["org-1", "org-3"]


def test_keys_and_foreign_keys(organizations):
    first, second = organizations[:2]
    Team.objects.create(organization=first, name="Core", slug="core")
    Team.objects.create(organization=second, name="Web", slug="web")
    assert slugs(Organization.objects.filter(pk__any=[first.pk, second.pk])) == ["org-0", "org-1"]
    teams = Team.objects.filter(organization_id__any=[second.pk])
    assert list(teams.values_list("slug", flat=True)) == ["web"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in teams.query.sql_with_params()[0]


def test_no_values_finds_nothing(organizations):
    assert not Organization.objects.filter(slug__any=[]).exists()
    assert not Organization.objects.filter(slug__any=[None]).exists()
    assert Organization.objects.exclude(slug__any=[]).count() == 4


def test_a_subquery_is_read_as_in(organizations):
    inner = Organization.objects.filter(slug__in=["org-1", "org-3"]).values("pk")
    assert slugs(Organization.objects.filter(pk__any=inner)) == ["org-1", "org-3"]


def test_one_parameter_on_postgresql_whatever_the_number_of_values(organizations):
    wanted = [f"org-{n}" for n in range(300)]
    sql, params = Organization.objects.filter(slug__any=wanted).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
        assert params == (wanted,)
    else:
        assert len(params) == 300
    assert Organization.objects.filter(slug__any=wanted).count() == 4
