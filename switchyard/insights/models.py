"""Daily figures per organization, product and source, and the per-item record they are kept from.

``product_key`` is a product's id, or 0 for items mapped to no product. It is a plain integer (not
a foreign key) so that one unique key covers "no product" too and rollups can be incremented with
one ``INSERT ... ON CONFLICT`` per key.
"""

from __future__ import annotations

from django.db import models

from switchyard.accounts.models import Organization


def _owner() -> models.ForeignKey:
    """The owning organization, with no index of its own: every read goes through a key or index
    that begins with it (or by item), and every index is written by a pull's observations; an
    organization's deletion scans these tables instead."""
    return models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )


class Source(models.TextChoices):
    SENTRY = "sentry", "Sentry issues"
    TICKET = "ticket", "Tickets"
    CUSTOMER = "customer", "Customer issues"


class Kind(models.TextChoices):
    NEW = "new", "New"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    EVENTS = "events", "Events seen"
    TICKET_MANUAL = "ticket_manual", "Ticket made from a Sentry issue by hand"
    TICKET_BULK = "ticket_bulk", "Ticket made from Sentry issues in bulk"
    TICKET_RULE = "ticket_rule", "Ticket made from a Sentry issue by a rule"


class TrackedItem(models.Model):
    """What insights last counted for one source item (a Sentry issue, a ticket, a customer issue)."""

    organization = _owner()
    source = models.CharField(max_length=10, choices=Source.choices)
    item_id = models.PositiveBigIntegerField()
    product_key = models.PositiveBigIntegerField(default=0)
    container_key = models.PositiveBigIntegerField(
        default=0, help_text="Sentry project or tracker project; 0 for customer issues."
    )
    bucket = models.CharField(max_length=16, help_text="Level (Sentry) or priority.")
    is_open = models.BooleanField()
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    events = models.BigIntegerField(default=0)
    users = models.BigIntegerField(default=0)
    assignee = models.CharField(max_length=254, blank=True)
    # Its first sight, counted from these rather than stored as transitions (see
    # ``insights.transitions``). Items observed before these columns have them zero and empty:
    # their first close and events are stored transitions (their "new" is implied all the same).
    first_closed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it closed, if it was closed when first observed."
    )
    first_events = models.BigIntegerField(default=0, help_text="Events when first observed.")
    observed_on = models.DateField(null=True, blank=True, help_text="Day first observed (UTC).")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "item_id"], name="tracked_item_unique")
        ]
        # No index over every item: what is open now is read from the stored counts, and each
        # index here is written by every observation of a pull's batch.
        indexes = [
            # Workload's closed items in a window, grouped index-only on PostgreSQL (open ones
            # are the stored workload counts); Sentry issues are not in it.
            models.Index(
                fields=["organization", "source", "closed_at", "product_key", "assignee"],
                condition=models.Q(is_open=False, source__in=["ticket", "customer"]),
                name="tracked_item_workload_closed",
            ),
            # The health score's overdue tickets: one index-only range per priority (open before
            # the moment it allows), counted per product.
            models.Index(
                fields=["organization", "bucket", "opened_at", "product_key"],
                condition=models.Q(is_open=True, source="ticket"),
                name="tracked_item_open_tickets",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.item_id}"


class Transition(models.Model):
    """One counted change of an item after its first sight, on a day; rollups are the sum of
    these and of every item's first sight. Read by item (a moved or gone item's history) or all
    at once (a rebuild), so only the item is indexed."""

    item = models.ForeignKey(TrackedItem, on_delete=models.CASCADE, related_name="transitions")
    organization = _owner()
    product_key = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=10, choices=Source.choices)
    bucket = models.CharField(max_length=16)
    day = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.BigIntegerField(default=1, help_text="1, or the events seen.")
    seconds = models.BigIntegerField(null=True, blank=True, help_text="Time to resolve or close.")

    def __str__(self) -> str:
        return f"{self.kind} {self.source} {self.item_id} {self.day}"


class DailyCounters(models.Model):
    """The figures of a day (``rollups.COUNTERS``), summed from its transitions."""

    new = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    open_change = models.IntegerField(
        default=0, help_text="Opened minus closed; open at the end of a day sums it up to the day."
    )
    events = models.BigIntegerField(default=0)
    tickets_manual = models.IntegerField(default=0)
    tickets_bulk = models.IntegerField(default=0)
    tickets_rule = models.IntegerField(default=0)
    resolve_seconds = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class DailyRollup(DailyCounters):
    """An organization's figures of one source, product and level/priority on one day."""

    organization = _owner()
    product_key = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=10, choices=Source.choices)
    bucket = models.CharField(max_length=16)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "product_key", "source", "bucket", "day"],
                name="daily_rollup_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.product_key} {self.bucket} {self.day}"


class DailyTotal(DailyCounters):
    """The daily rollups' figures with every level/priority together: one row per product (as
    ``product_key`` in ``DailyRollup``) and source a day, and one per source a day for the
    organization as a whole (``whole``, ``product_key`` 0). Kept by the same increments as the
    daily rows, so the series of the organization or of a product tree read one row per source
    (and product) and day rather than every product's every level and priority."""

    organization = _owner()
    whole = models.BooleanField(default=False, help_text="The organization's total (product 0).")
    product_key = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=10, choices=Source.choices)
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "whole", "product_key", "source", "day"],
                name="daily_total_unique",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "whole", "day"], name="daily_total_org_day")
        ]

    def __str__(self) -> str:
        return f"{self.source} {'all' if self.whole else self.product_key} {self.day}"


class OpenCount(models.Model):
    """How many items of one source, product, container (Sentry or tracker project) and
    level/priority an organization has open now, and (Sentry) the events and users of those open
    items: the figures of the product pages and of the Sentry project list."""

    organization = _owner()
    product_key = models.PositiveBigIntegerField(default=0)
    container_key = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=10, choices=Source.choices)
    bucket = models.CharField(max_length=16)
    open = models.BigIntegerField(default=0)
    events = models.BigIntegerField(default=0)
    users = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "product_key", "container_key", "source", "bucket"],
                name="open_count_unique",
            )
        ]
        indexes = [models.Index(fields=["source", "container_key"], name="open_count_container")]

    def __str__(self) -> str:
        return f"{self.source} {self.product_key} {self.bucket}: {self.open}"


class WorkloadCount(models.Model):
    """How many tickets or customer issues of one product an assignee has open now ("" for
    nobody): the teams' workload, kept with the open counts."""

    organization = _owner()
    product_key = models.PositiveBigIntegerField(default=0)
    source = models.CharField(max_length=10, choices=Source.choices)
    assignee = models.CharField(max_length=254, blank=True)
    open = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "product_key", "source", "assignee"],
                name="workload_count_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.product_key} {self.assignee or 'nobody'}: {self.open}"


class HealthSnapshot(models.Model):
    """A product's health score as recorded once on a day (at the day's first scheduler tick)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(
        "products.Product", on_delete=models.CASCADE, related_name="health_snapshots"
    )
    day = models.DateField()
    score = models.PositiveSmallIntegerField()
    parts = models.JSONField(default=dict)

    class Meta:
        ordering = ["product", "day"]
        constraints = [
            models.UniqueConstraint(fields=["product", "day"], name="health_snapshot_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.day}: {self.score}"


class LinkSpan(models.Model):
    """For a ticket made from a Sentry issue (one link): when the link was made and how long after
    the issue's first seen the ticket was created, closed and the issue resolved, as the tracked
    items say now; kept when either item or the link is observed, so resolution times read one
    row per link instead of joining the links to both items on each request."""

    organization = _owner()
    link = models.OneToOneField(
        "trackers.TicketLink", on_delete=models.CASCADE, related_name="+", primary_key=True
    )
    product_key = models.PositiveBigIntegerField(default=0, help_text="The ticket's product.")
    day = models.DateField(help_text="The day the link was made (UTC).")
    to_ticket = models.BigIntegerField(help_text="Seconds from first seen to the ticket.")
    to_ticket_closed = models.BigIntegerField(null=True, blank=True)
    to_issue_resolved = models.BigIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            # Resolution times read a window of an organization's rows, index-only on PostgreSQL.
            models.Index(
                fields=[
                    "organization",
                    "day",
                    "product_key",
                    "to_ticket",
                    "to_ticket_closed",
                    "to_issue_resolved",
                ],
                name="link_span_window",
            )
        ]

    def __str__(self) -> str:
        return f"link {self.link_id} on {self.day}"
