"""Emails to the customer who raised an issue: its status changed, or staff commented."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from switchyard.accounts.models import User
from switchyard.support.models import CustomerIssue, NotificationSettings

logger = logging.getLogger(__name__)


def wants_issue_emails(user: User) -> bool:
    choice = NotificationSettings.objects.filter(user=user).first()
    return choice is None or choice.email_on_issue_updates


@transaction.atomic
def notifications_set(*, user: User, email_on_issue_updates: bool) -> NotificationSettings:
    """Turn the person's issue emails on or off."""
    choice, _ = NotificationSettings.objects.update_or_create(
        user=user, defaults={"email_on_issue_updates": email_on_issue_updates}
    )
    return choice


def notify_customer(*, issue: CustomerIssue, subject: str, body: str) -> None:
    """Email the issue's customer once the change is committed (call inside its transaction)."""
    if not issue.raised_by_customer_id:
        return
    from switchyard.support.tasks import send_issue_email_task

    transaction.on_commit(lambda: send_issue_email_task.enqueue(issue.pk, subject, body))


def issue_email_send(*, issue_id: int, subject: str, body: str) -> bool:
    """Send one issue email, unless the customer has none or turned them off; True when sent."""
    issue = CustomerIssue.objects.select_related("raised_by_customer").filter(pk=issue_id).first()
    customer = issue.raised_by_customer if issue else None
    if customer is None or not customer.email or not wants_issue_emails(customer):
        return False
    send_mail(
        f"[{issue.issue_number}] {subject}",
        f"{body}\n\n{issue.title}\n",
        settings.DEFAULT_FROM_EMAIL,
        [customer.email],
    )
    logger.info("support.email.sent", extra={"issue": issue.pk})
    return True
