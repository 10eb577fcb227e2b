"""Background tasks of customer issues."""

from __future__ import annotations

from django_tasks import task

from switchyard.support.notifications import issue_email_send


@task()
def send_issue_email_task(issue_id: int, subject: str, body: str) -> bool:
    return issue_email_send(issue_id=issue_id, subject=subject, body=body)
