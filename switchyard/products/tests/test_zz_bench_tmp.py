import time
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from switchyard.accounts.models import AuditEntry
from switchyard.accounts.tests.factories import AdminFactory
from switchyard.monitoring.tests.factories import SentryProjectFactory
from switchyard.products.mapping import mappable, product_map, product_unmap
from switchyard.products.tests.factories import ProductFactory
from auditlog.context import set_actor

@pytest.mark.django_db
def test_bench():
    admin = AdminFactory()
    product = ProductFactory(organization=admin.organization)
    projects = SentryProjectFactory.create_batch(500, connection__organization=admin.organization)
    ids = [p.pk for p in projects]
    m = mappable("sentry-projects")
    with set_actor(admin):
        for name, fn in [("map", lambda: product_map(mappable=m, product=product, ids=ids)),
                         ("unmap", lambda: product_unmap(mappable=m, organization=admin.organization, ids=ids))]:
            with CaptureQueriesContext(connection) as q:
                t = time.perf_counter(); fn(); dt = time.perf_counter() - t
            print(f"\n{name} 500: {len(q)} queries, {dt:.3f}s")
    assert AuditEntry.objects.filter(actor=admin).count() == 1000
