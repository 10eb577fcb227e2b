"""Background work of insights; each task calls one service."""

from __future__ import annotations

from django_tasks import task

from switchyard.insights import services


@task()
def record_health_task() -> int:
    return services.health_record()
