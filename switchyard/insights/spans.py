"""Resolution spans: one row per ticket made from a Sentry issue, with the times from the issue's
first seen to the ticket's creation, to its close and to the issue's resolution, as the two tracked
items say now.

A span is rewritten whenever the link, its ticket's item or its issue's item is observed (in the
transaction that observes them), and all are recomputed by a rebuild; a link whose ticket or issue
is not tracked (gone, or not yet observed) has no span.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from switchyard.core.bulk import insert_rows
from switchyard.insights.models import LinkSpan, Source, TrackedItem
from switchyard.monitoring.models import SentryIssue
from switchyard.trackers.models import TicketLink

COLUMNS = [
    "link_id",
    "organization_id",
    "product_key",
    "day",
    "to_ticket",
    "to_ticket_closed",
    "to_issue_resolved",
]
CHUNK = 2000


def sentry_links() -> QuerySet:
    """Links from a Sentry issue to an existing ticket: the pairs resolution times measure."""
    return TicketLink.objects.filter(
        source_type=ContentType.objects.get_for_model(SentryIssue), ticket__isnull=False
    )


def _seconds(moment, first_seen) -> int | None:
    if moment is None:
        return None
    return max(0, round((moment - first_seen).total_seconds()))


def _tracked(source: str, item_ids: Iterable[int]) -> dict[int, tuple]:
    return {
        item_id: rest
        for item_id, *rest in TrackedItem.objects.filter(
            source=source, item_id__any=list(set(item_ids))
        ).values_list("item_id", "product_key", "opened_at", "closed_at")
    }


def _write(links: list[tuple]) -> int:
    """Spans of these links (id, ticket, issue, made at, organization) rewritten from the items."""
    if not links:
        return 0
    LinkSpan.objects.filter(link_id__any=[link[0] for link in links]).delete()
    tickets = _tracked(Source.TICKET, (link[1] for link in links))
    issues = _tracked(Source.SENTRY, (link[2] for link in links))
    rows = []
    for link_id, ticket_id, issue_id, made_at, organization_id in links:
        ticket, issue = tickets.get(ticket_id), issues.get(issue_id)
        if ticket is None or issue is None:
            continue
        product_key, ticket_opened, ticket_closed = ticket
        _, first_seen, issue_resolved = issue
        rows.append(
            (
                link_id,
                organization_id,
                product_key,
                made_at.astimezone(UTC).date(),
                _seconds(ticket_opened, first_seen),
                _seconds(ticket_closed, first_seen),
                _seconds(issue_resolved, first_seen),
            )
        )
    insert_rows(LinkSpan, COLUMNS, rows)
    return len(rows)


def _read(links: QuerySet) -> list[tuple]:
    return list(
        links.order_by("pk").values_list(
            "pk",
            "ticket_id",
            "source_id",
            "created_at",
            "tracker_project__connection__organization_id",
        )
    )


def refresh(*, source: str, item_ids: Iterable[int]) -> int:
    """The spans of the links of these tickets or Sentry issues, rewritten."""
    item_ids = list(item_ids)
    if not item_ids or source == Source.CUSTOMER:
        return 0
    column = "ticket_id__any" if source == Source.TICKET else "source_id__any"
    return _write(_read(sentry_links().filter(**{column: item_ids})))


def refresh_link(*, link_id: int) -> int:
    """The span of one link, rewritten (a link made for a ticket both items already count)."""
    return _write(_read(sentry_links().filter(pk=link_id)))


def recompute() -> int:
    """Every span recomputed from the links and the tracked items."""
    LinkSpan.objects.all().delete()
    links = _read(sentry_links())
    return sum(_write(links[start : start + CHUNK]) for start in range(0, len(links), CHUNK))
