import pytest
import redis
from django.test import override_settings
from django.utils import timezone

from switchyard.sync.models import SyncCursor, SyncRun
from switchyard.sync.tasks import pull_connection_task
from switchyard.sync.upsert import bulk_upsert

pytestmark = pytest.mark.django_db


def test_bulk_upsert_creates_updates_and_skips_unchanged(connection, django_assert_num_queries):
    now = timezone.now()

    def rows(**positions):
        return [
            SyncCursor(connection=connection, stream=name, position=value)
            for name, value in positions.items()
        ]

    with django_assert_num_queries(2):  # one read, one write, whatever the page size
        counts = bulk_upsert(
            SyncCursor,
            rows(a=now, b=now, c=now),
            unique_fields=["connection", "stream"],
            update_fields=["position"],
        )
    assert (counts.created, counts.updated, counts.unchanged) == (3, 0, 0)

    later = now.replace(year=now.year + 1)
    counts = bulk_upsert(
        SyncCursor,
        rows(a=now, b=later, d=now),
        unique_fields=["connection", "stream"],
        update_fields=["position"],
    )
    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 1)
    assert SyncCursor.objects.get(stream="b").position == later

    with django_assert_num_queries(1):  # nothing changed: nothing written
        counts = bulk_upsert(
            SyncCursor,
            rows(a=now, b=later),
            unique_fields=["connection", "stream"],
            update_fields=["position"],
        )
    assert counts.unchanged == 2


def redis_available() -> bool:
    try:
        return redis.Redis.from_url("redis://127.0.0.1:6379/15", socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


@pytest.mark.skipif(not redis_available(), reason="Redis is not running on 127.0.0.1:6379")
def test_the_same_tasks_run_on_the_redis_backend(remote, connection):
    from django_tasks_rq import Job
    from rq import Queue, SimpleWorker

    queues = {"default": {"URL": "redis://127.0.0.1:6379/15", "DEFAULT_TIMEOUT": 60}}
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend"}}, RQ_QUEUES=queues
    ):
        from django_rq import get_connection

        redis_connection = get_connection("default")
        queue = Queue("default", connection=redis_connection, job_class=Job)
        queue.empty()
        result = pull_connection_task.enqueue(connection.pk, SyncRun.Trigger.SCHEDULE)
        assert len(queue) == 1
        # What `manage.py rqworker --job-class django_tasks_rq.Job` runs, in this process.
        SimpleWorker([queue], connection=redis_connection, job_class=Job).work(burst=True)
        assert pull_connection_task.get_result(result.id).return_value == "succeeded"
    assert SyncRun.objects.get().created == 5
