"""The tracker project list pages in a stable order."""

import warnings

import pytest
from django.core.paginator import UnorderedObjectListWarning

from switchyard.accounts.tests.factories import AdminFactory
from switchyard.sync.models import Connection
from switchyard.trackers.models import TrackerProject

pytestmark = pytest.mark.django_db


def test_tracker_projects_are_listed_by_key(client_for):
    admin = AdminFactory()
    jira = Connection.objects.create(
        organization=admin.organization, kind="jira", name="Jira", base_url="https://a.test"
    )
    for key in ["WEB", "API", "OPS"]:
        TrackerProject.objects.create(connection=jira, external_id=key, key=key, name=key)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnorderedObjectListWarning)
        body = client_for(admin).get("/api/tracker-projects/?page_size=2").json()
    assert [row["key"] for row in body["results"]] == ["API", "OPS"]
