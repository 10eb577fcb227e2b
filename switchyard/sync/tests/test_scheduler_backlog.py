"""The scheduler against a backlog: one task per item however many ticks, and old work pruned."""

from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from switchyard.sync.models import EventDelivery, OutboxEntry, WebhookDelivery
from switchyard.sync.outbox import outbox_add, outbox_add_many, outbox_deliver
from switchyard.sync.scheduler import schedule_due_work
from switchyard.sync.subscribers import event_record
from switchyard.sync.tests.test_webhooks_and_pulls import post_webhook

pytestmark = pytest.mark.django_db

BACKLOG = 1_000


@pytest.fixture
def queue(settings):
    """The database task backend, with no worker running: what is enqueued stays queued."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SYNC_SCHEDULER_BATCH = 300


@pytest.fixture
def connection(connection):
    """No scheduled pulls in the queue: only the work under test."""
    connection.sync_enabled = False
    connection.save(update_fields=["sync_enabled"])
    return connection


def tasks_per_item() -> Counter:
    """Tasks queued per item (periodic work, which takes no item, aside)."""
    counts: Counter = Counter()
    for path, arguments in DBTaskResult.objects.values_list("task_path", "args_kwargs"):
        if arguments["args"]:
            counts[(path.rsplit(".", 1)[-1], arguments["args"][0])] += 1
    return counts


def expected_items() -> set:
    return {
        ("process_webhook_task", pk) for pk in WebhookDelivery.objects.values_list("pk", flat=True)
    } | {
        ("deliver_outbox_entry_task", pk) for pk in OutboxEntry.objects.values_list("pk", flat=True)
    }


def age_every_enqueue(minutes: int = 10) -> None:
    long_ago = timezone.now() - timedelta(minutes=minutes)
    WebhookDelivery.objects.exclude(enqueued_at=None).update(enqueued_at=long_ago)
    OutboxEntry.objects.exclude(enqueued_at=None).update(enqueued_at=long_ago)


def make_backlog(client, connection, django_capture_on_commit_callbacks) -> None:
    """Half arrived normally (their task queued on commit), half had their enqueue lost."""
    half = BACKLOG // 2
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(half):
            post_webhook(client, connection, {"event": "thing.updated", "n": n}, delivery=f"d-{n}")
            outbox_add(
                connection=connection, operation_name="test.push", ordering_key=f"o:{n}", payload={}
            )
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(connection=connection, delivery_id=f"lost-{n}", body="{}")
        for n in range(half)
    )
    OutboxEntry.objects.bulk_create(
        OutboxEntry(connection=connection, operation="test.push", ordering_key=f"lost:{n}")
        for n in range(half)
    )


def test_a_backlog_gets_exactly_one_task_per_item_over_many_ticks(
    queue, remote, connection, client, django_capture_on_commit_callbacks
):
    make_backlog(client, connection, django_capture_on_commit_callbacks)
    assert DBTaskResult.objects.count() == BACKLOG  # the normal half

    first = schedule_due_work()
    assert (first.webhooks, first.deliveries) == (300, 300)  # one tick is bounded
    for _ in range(5):
        schedule_due_work()
    assert schedule_due_work().webhooks == 0
    counts = tasks_per_item()
    assert set(counts) == expected_items() and len(counts) == 2 * BACKLOG
    assert set(counts.values()) == {1}

    # The workers fall ten minutes behind: every task still waits, none is queued twice.
    age_every_enqueue()
    for _ in range(8):
        work = schedule_due_work()
        assert (work.webhooks, work.deliveries) == (0, 0)
    assert DBTaskResult.objects.count() == 2 * BACKLOG

    # Tasks that vanished from the queue (or ended without taking their item) are replaced once.
    gone = list(DBTaskResult.objects.order_by("enqueued_at").values_list("pk", flat=True)[:150])
    DBTaskResult.objects.filter(pk__in=gone[:100]).delete()
    DBTaskResult.objects.filter(pk__in=gone[100:]).update(status=TaskResultStatus.SUCCESSFUL)
    age_every_enqueue()
    ticks = [schedule_due_work() for _ in range(4)]
    assert sum(work.webhooks + work.deliveries for work in ticks) == 150
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 2 * BACKLOG
    live = Counter(
        (path.rsplit(".", 1)[-1], arguments["args"][0])
        for path, arguments in DBTaskResult.objects.filter(
            status=TaskResultStatus.READY
        ).values_list("task_path", "args_kwargs")
    )
    assert set(live) == expected_items() and set(live.values()) == {1}


def test_on_the_database_backend_a_delivery_and_its_task_are_stored_together(
    queue, remote, connection, client, django_capture_on_commit_callbacks
):
    # Nothing is left to run after the commit: the task was queued in the receipt's transaction.
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = post_webhook(client, connection, {"event": "thing.updated"}, delivery="d-1")
    assert response.status_code == 202
    assert after_commit == []
    delivery = WebhookDelivery.objects.get()
    task = DBTaskResult.objects.get()
    assert (task.task_path.rsplit(".", 1)[-1], task.args_kwargs["args"]) == (
        "process_webhook_task",
        [delivery.pk],
    )
    assert (task.status, delivery.task_id) == (TaskResultStatus.READY, str(task.id))
    assert delivery.enqueued_at is not None


def test_on_the_database_backend_an_event_delivery_and_its_task_are_stored_together(
    queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        with transaction.atomic():
            event_record(
                subscriber="a.subscriber", event_type="a.Event", payload={}, organization_id=None
            )
            assert DBTaskResult.objects.count() == 1  # in the publishing transaction
    assert after_commit == []
    delivery = EventDelivery.objects.get()
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [delivery.pk]
    assert (task.status, delivery.task_id) == (TaskResultStatus.READY, str(task.id))


def test_changes_added_together_get_one_task_and_never_a_second(
    queue, remote, connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entries = outbox_add_many(
            connection=connection,
            operation_name="test.push",
            entries=[(f"o:{n}", {"n": n}) for n in range(5)],
        )
    assert DBTaskResult.objects.count() == 1  # one task delivers the five
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [[entry.pk for entry in entries]]
    assert set(OutboxEntry.objects.values_list("task_id", flat=True)) == {str(task.pk)}

    # While that task waits, however long, no tick queues another for any of them.
    for _ in range(3):
        assert schedule_due_work().deliveries == 0
    age_every_enqueue()
    assert schedule_due_work().deliveries == 0
    assert DBTaskResult.objects.count() == 1

    # A worker runs it: every entry is delivered once, in its own right.
    task.task.call(*task.task_result.args)
    assert [payload for _, payload in remote.delivered] == [{"n": n} for n in range(5)]
    assert set(OutboxEntry.objects.values_list("status", flat=True)) == {"delivered"}

    # Had the task vanished before taking them, each would be queued again once, on its own.
    OutboxEntry.objects.update(status="pending", enqueued_at=timezone.now() - timedelta(hours=1))
    task.delete()
    assert schedule_due_work().deliveries == 5
    assert schedule_due_work().deliveries == 0
    assert set(tasks_per_item().values()) == {1} and len(tasks_per_item()) == 5


def test_only_the_first_waiting_change_of_an_object_is_queued(
    queue, remote, connection, django_capture_on_commit_callbacks
):
    entries = OutboxEntry.objects.bulk_create(
        OutboxEntry(connection=connection, operation="test.push", ordering_key="o:1", payload={})
        for _ in range(3)
    )
    assert schedule_due_work().deliveries == 1
    assert schedule_due_work().deliveries == 0
    assert tasks_per_item() == Counter({("deliver_outbox_entry_task", entries[0].pk): 1})

    with django_capture_on_commit_callbacks(execute=True):
        outbox_deliver(entry_id=entries[0].pk)  # a worker delivers it and queues the next one
    assert tasks_per_item()[("deliver_outbox_entry_task", entries[1].pk)] == 1
    assert schedule_due_work().deliveries == 0


def test_the_scheduler_prunes_finished_work_past_the_retention(
    queue, remote, connection, settings, django_capture_on_commit_callbacks
):
    settings.SYNC_RETENTION_DAYS = 14
    old = timezone.now() - timedelta(days=15)
    recent = timezone.now() - timedelta(days=13)
    Status = WebhookDelivery.Status
    for n, (status, when) in enumerate(
        [
            (Status.PROCESSED, old),
            (Status.IGNORED, old),
            (Status.FAILED, old),
            (Status.PROCESSED, recent),
        ]
    ):
        delivery = WebhookDelivery.objects.create(
            connection=connection, delivery_id=f"d-{n}", body="{}", status=status, attempts=9
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(received_at=when)
    Entry = OutboxEntry.Status
    for status, when in [(Entry.DELIVERED, old), (Entry.FAILED, old), (Entry.DELIVERED, recent)]:
        OutboxEntry.objects.create(
            connection=connection,
            operation="test.push",
            ordering_key=f"o:{status}:{when:%d}",
            status=status,
            delivered_at=when if status == Entry.DELIVERED else None,
        )
    with django_capture_on_commit_callbacks(execute=True):
        outbox_add(connection=connection, operation_name="test.push", ordering_key="x", payload={})
        outbox_add(connection=connection, operation_name="test.push", ordering_key="y", payload={})
    finished, waiting = DBTaskResult.objects.all()
    DBTaskResult.objects.filter(pk=finished.pk).update(
        status=TaskResultStatus.SUCCESSFUL, finished_at=old
    )

    call_command("sync_scheduler", "--once")

    assert sorted(WebhookDelivery.objects.values_list("status", "received_at")) == [
        (Status.FAILED, old),
        (Status.PROCESSED, recent),
    ]
    assert sorted(OutboxEntry.objects.values_list("ordering_key", flat=True)) == [
        f"o:{Entry.DELIVERED}:{recent:%d}",
        f"o:{Entry.FAILED}:{old:%d}",
        "x",
        "y",
    ]
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [waiting.pk]


def test_event_deliveries_get_one_task_each_over_many_ticks(
    queue, connection, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(100):
            event_record(
                subscriber="tests.subscriber",
                event_type="thing.changed",
                payload={"n": n},
                organization_id=connection.organization_id,
            )
    EventDelivery.objects.bulk_create(  # their enqueue was lost
        EventDelivery(subscriber="tests.subscriber", event_type="thing.changed") for _ in range(100)
    )

    ticks = [schedule_due_work().events for _ in range(6)]
    EventDelivery.objects.update(enqueued_at=timezone.now() - timedelta(minutes=10))
    ticks += [schedule_due_work().events for _ in range(3)]

    assert sum(ticks) == 100
    counts = tasks_per_item()
    expected = {
        ("deliver_event_task", pk) for pk in EventDelivery.objects.values_list("pk", flat=True)
    }
    assert set(counts) == expected and set(counts.values()) == {1}
