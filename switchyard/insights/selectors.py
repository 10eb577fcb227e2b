"""Every figure insights serves, as flat rows (one list per table) that charts and CSV both read.

Series read the daily totals (per product, or the organization's as a whole) and the stored open
counts; workload the stored workload counts and insights' records of the items closed in the
window, resolution times the stored spans of tickets made from Sentry issues. Every read takes the
organization explicitly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import median, quantiles

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from switchyard.automation.models import AutomationRule, RuleMatch
from switchyard.insights.models import (
    DailyTotal,
    HealthSnapshot,
    LinkSpan,
    OpenCount,
    Source,
    TrackedItem,
    WorkloadCount,
)
from switchyard.insights.open_counts import WORKLOAD_SOURCES
from switchyard.products.models import Product

SERIES_COUNTERS = [
    "new",
    "resolved",
    "reopened",
    "events",
    "tickets_manual",
    "tickets_bulk",
    "tickets_rule",
    "resolve_seconds",
]


@dataclass(frozen=True)
class Window:
    start: date
    end: date
    interval: str  # "day" or "week"

    def period(self, day: date) -> date:
        return day - timedelta(days=day.weekday()) if self.interval == "week" else day

    def bounds(self) -> tuple[datetime, datetime]:
        """The window as [start, end) moments (UTC days), for indexed comparisons."""
        return (
            datetime.combine(self.start, time.min, tzinfo=UTC),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC),
        )

    def periods(self) -> list[date]:
        step = timedelta(days=7 if self.interval == "week" else 1)
        first, out = self.period(self.start), []
        while first <= self.end:
            out.append(first)
            first += step
        return out


def series(*, organization, window: Window, product_keys: list[int] | None = None) -> list[dict]:
    """Per period and source: new, resolved, reopened, events, tickets made from Sentry issues,
    mean time to resolve and the open backlog at the period's end. Every period is present.

    Read from the daily totals: the organization's own row per source and day, or these
    products' rows (every level and priority together)."""
    rollups = _totals(organization, product_keys)
    opening = _open_before(organization, rollups, window.start, product_keys)
    sums: dict[tuple, dict] = defaultdict(
        lambda: dict.fromkeys(SERIES_COUNTERS + ["open_change"], 0)
    )
    for row in (
        rollups.filter(day__gte=window.start, day__lte=window.end)
        .values("day", "source")
        .annotate(**{c: Sum(c) for c in SERIES_COUNTERS + ["open_change"]})
        .order_by()
    ):
        bucket = sums[(window.period(row["day"]), row["source"])]
        for counter in SERIES_COUNTERS + ["open_change"]:
            bucket[counter] += row[counter]
    rows = []
    for source in Source.values:
        backlog = opening.get(source, 0)
        for period in window.periods():
            figures = sums[(period, source)]
            backlog += figures.pop("open_change")
            seconds = figures.pop("resolve_seconds")
            rows.append(
                {
                    "period": period,
                    "source": source,
                    **figures,
                    "mean_hours_to_resolve": round(seconds / figures["resolved"] / 3600, 1)
                    if figures["resolved"]
                    else None,
                    "open_at_end": backlog,
                }
            )
    return rows


def _totals(organization, product_keys: list[int] | None):
    totals = DailyTotal.objects.filter(organization=organization)
    if product_keys is None:
        return totals.filter(whole=True)
    return totals.filter(whole=False, product_key__in=product_keys)


def _open_now(organization, product_keys: list[int] | None):
    counts = OpenCount.objects.filter(organization=organization)
    if product_keys is not None:
        counts = counts.filter(product_key__in=product_keys)
    return counts


def _open_before(organization, rollups, start: date, product_keys) -> dict[str, int]:
    """Open items per source at the start of ``start``: open now less what opened since.

    The stored open counts are the rollups' ``open_change`` summed over all days, so only the
    days from ``start`` on are read, however long the history."""
    now = dict(
        _open_now(organization, product_keys)
        .values_list("source")
        .annotate(n=Sum("open"))
        .order_by()
    )
    since = (
        rollups.filter(day__gte=start)
        .values_list("source")
        .annotate(n=Sum("open_change"))
        .order_by()
    )
    for source, change in since:
        now[source] = now.get(source, 0) - change
    return now


def open_by_bucket(*, organization, product_keys: list[int] | None = None) -> list[dict]:
    """Open items now per source and level/priority (the stored open counts)."""
    return [
        {"source": source, "bucket": bucket, "open": n}
        for source, bucket, n in _open_now(organization, product_keys)
        .values_list("source", "bucket")
        .annotate(n=Sum("open"))
        .order_by("source", "bucket")
        if n
    ]


def movers(*, organization, products: list[Product], today: date, limit: int = 5) -> list[dict]:
    """Products whose open backlog changed most over the last 7 days (by their own items)."""
    week = DailyTotal.objects.filter(
        organization=organization, whole=False, day__gt=today - timedelta(days=7), day__lte=today
    )
    change = dict(week.values_list("product_key").annotate(n=Sum("open_change")).order_by())
    names = {p.pk: p.full_path for p in products}
    ranked = sorted(
        ((key, n) for key, n in change.items() if n and key in names),
        key=lambda pair: (-abs(pair[1]), pair[0]),
    )
    return [
        {"product": key, "full_path": names[key], "open_change_7d": n} for key, n in ranked[:limit]
    ]


def _spread(values: list[float]) -> dict:
    if not values:
        return {"pairs": 0, "median_hours": None, "p90_hours": None}
    p90 = quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]
    return {
        "pairs": len(values),
        "median_hours": round(median(values) / 3600, 1),
        "p90_hours": round(p90 / 3600, 1),
    }


MEASURES = ["to_ticket", "to_ticket_closed", "to_issue_resolved"]


def resolution_times(
    *, organization, window: Window, product_keys=None, by=("product", "team")
) -> list[dict]:
    """For tickets made from Sentry issues in the window: hours from the issue's first seen to the
    ticket's creation, to its close and to the issue's resolution; median and p90 per product
    and per team (the product's owning team), or only ``by`` one of them.

    Read from the stored spans (one row per link, kept as the link and its two items are
    observed), not from the links and the items."""
    spans = LinkSpan.objects.filter(
        organization=organization, day__gte=window.start, day__lte=window.end
    )
    if product_keys is not None:
        spans = spans.filter(product_key__in=product_keys)
    teams = dict(
        Product.objects.filter(organization=organization).values_list("pk", "owning_team__name")
    )
    measured: dict[tuple, list[list[int]]] = defaultdict(lambda: [[], [], []])
    for product_key, *seconds in spans.values_list("product_key", *MEASURES).order_by():
        groups = [("product", product_key)] if "product" in by else []
        if "team" in by and (team := teams.get(product_key)):
            groups.append(("team", team))
        for group in groups:
            lists = measured[group]
            for position, value in enumerate(seconds):
                if value is not None:
                    lists[position].append(value)
    return [
        {"group": kind, "key": str(key), "measure": name, **_spread(lists[position])}
        for (kind, key), lists in sorted(measured.items(), key=lambda pair: str(pair[0]))
        for position, name in enumerate(MEASURES)
    ]


def _workload_counts(organization, window: Window, product_keys: list[int] | None) -> dict:
    """Open now and closed in the window, per (product key, assignee, source).

    Open items are the stored workload counts; closed ones are one grouped read of the items
    closed in the window, served by a partial index that holds what it groups by."""
    open_now = WorkloadCount.objects.filter(organization=organization, open__gt=0)
    closed = TrackedItem.objects.filter(
        organization=organization, source__in=WORKLOAD_SOURCES, is_open=False
    )
    if product_keys is not None:
        open_now = open_now.filter(product_key__in=product_keys)
        closed = closed.filter(product_key__in=product_keys)
    start, end = window.bounds()
    counts: dict[tuple, dict[str, int]] = defaultdict(lambda: {"open": 0, "closed": 0})
    for key, assignee, source, n in open_now.values_list(
        "product_key", "assignee", "source", "open"
    ):
        counts[(key, assignee, source)]["open"] = n
    for key, assignee, source, n in (
        closed.filter(closed_at__gte=start, closed_at__lt=end)
        .values_list("product_key", "assignee", "source")
        .annotate(n=Count("*"))
        .order_by()
    ):
        counts[(key, assignee, source)]["closed"] = n
    return counts


def _products_with_teams(organization) -> dict[int, tuple[str, str]]:
    """Each product's owning team ("" for none) and full path; ("", "") for no product."""
    return defaultdict(
        lambda: ("", ""),
        {
            pk: (team or "", full_path)
            for pk, full_path, team in Product.objects.filter(
                organization=organization
            ).values_list("pk", "full_path", "owning_team__name")
        },
    )


def workload(*, organization, window: Window, product_keys: list[int] | None = None) -> list[dict]:
    """Tickets and customer issues per team, product and assignee: open now, and closed in the
    window (of these products when given)."""
    products = _products_with_teams(organization)
    counts = _workload_counts(organization, window, product_keys)
    # In order of product, assignee (by code point, as SQLite and a C-collated database sort) and
    # source.
    return [
        {
            "team": products[key][0],
            "product": key or None,
            "full_path": products[key][1],
            "assignee": assignee,
            "source": source,
            **figures,
        }
        for (key, assignee, source), figures in sorted(counts.items())
    ]


def team_workload(*, organization, window: Window) -> dict[str, list[dict]]:
    """The organization's workload in two tables: ``assignees`` (per team, assignee and source,
    over the team's products) and ``products`` (per team, product and source, every assignee
    together). A team's own dashboard has the two crossed (``workload``)."""
    products = _products_with_teams(organization)
    by_assignee: dict[tuple, dict[str, int]] = defaultdict(lambda: {"open": 0, "closed": 0})
    by_product: dict[tuple, dict[str, int]] = defaultdict(lambda: {"open": 0, "closed": 0})
    for (key, assignee, source), figures in _workload_counts(organization, window, None).items():
        team = products[key][0]
        for totals in (by_assignee[(team, assignee, source)], by_product[(team, key, source)]):
            totals["open"] += figures["open"]
            totals["closed"] += figures["closed"]
    return {
        "assignees": [
            {"team": team, "assignee": assignee, "source": source, **figures}
            for (team, assignee, source), figures in sorted(by_assignee.items())
        ],
        "products": [
            {
                "team": team,
                "product": key or None,
                "full_path": products[key][1],
                "source": source,
                **figures,
            }
            for (team, key, source), figures in sorted(by_product.items())
        ],
    }


def automation_series(*, organization, window: Window) -> list[dict]:
    """Per rule and period: matches by outcome."""
    rules = dict(AutomationRule.objects.filter(organization=organization).values_list("pk", "name"))
    counts: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    for rule_id, day, outcome, n in (
        RuleMatch.objects.filter(
            rule_id__in=rules,
            decided_at__date__gte=window.start,
            decided_at__date__lte=window.end,
        )
        .annotate(day=TruncDate("decided_at"))
        .values_list("rule_id", "day", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[(rule_id, window.period(day))][outcome] += n
    outcomes = RuleMatch.Outcome.values
    return [
        {
            "rule": rule_id,
            "name": name,
            "period": period,
            "matches": sum(counts[(rule_id, period)].values()),
            **{outcome: counts[(rule_id, period)][outcome] for outcome in outcomes},
        }
        for rule_id, name in sorted(rules.items())
        for period in window.periods()
    ]


def health_history(*, product: Product, window: Window) -> list[dict]:
    """The product's score as recorded on each day of the window (days not recorded are absent)."""
    return [
        {"day": day, "score": score}
        for day, score in HealthSnapshot.objects.filter(
            product=product, day__gte=window.start, day__lte=window.end
        )
        .order_by("day")
        .values_list("day", "score")
    ]


def open_counts(*, organization, product_ids=None, source: str | None = None) -> list[dict]:
    """The stored open counts (``product_key``, ``source``, ``bucket``, ``open``, ``events``,
    ``users``) of the organization, of these products when given, of one source when given."""
    rows = OpenCount.objects.filter(organization=organization)
    if product_ids is not None:
        rows = rows.filter(product_key__in=product_ids)
    if source is not None:
        rows = rows.filter(source=source)
    return list(rows.values("product_key", "source", "bucket", "open", "events", "users"))
