"""Charts of insights' tables: each one a Chart.js configuration and the same numbers as a table.

Nothing is computed here: a chart only picks columns of the rows the insights dashboards return
(``switchyard.insights.dashboards``) and lays them out as labels and data sets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from switchyard.insights.models import Source

SOURCE_NAMES = {
    Source.SENTRY: "Sentry issues",
    Source.TICKET: "Tickets",
    Source.CUSTOMER: "Customer issues",
}
SOURCE_COLOURS = {Source.SENTRY: "#c2410c", Source.TICKET: "#2563eb", Source.CUSTOMER: "#15803d"}
MEASURE_NAMES = {
    "to_ticket": "to the ticket",
    "to_ticket_closed": "to the ticket's close",
    "to_issue_resolved": "to the issue's resolution",
}


@dataclass
class Chart:
    """One chart: what Chart.js draws (``config``) and the table of its numbers (``rows``)."""

    key: str  # unique on the page: the id of its canvas and of its data
    title: str
    kind: str  # a Chart.js type: "line" or "bar"
    axis: str  # what the labels are (the table's first column)
    labels: list[str]
    datasets: list[dict] = field(default_factory=list)  # {"label": str, "data": [number|None]}
    stacked: bool = False
    horizontal: bool = False
    note: str = ""
    most: int | None = None  # the value axis' end, when the figure has one (a score's 100)

    def add(self, label: str, data: list, colour: str = "", dashed: bool = False) -> Chart:
        self.datasets.append({"label": label, "data": data, "colour": colour, "dashed": dashed})
        return self

    @property
    def data_id(self) -> str:
        return f"chart-data-{self.key}"

    @property
    def height(self) -> int:
        """Pixels: horizontal bars get room for each label."""
        return max(180, 26 * len(self.labels) + 70) if self.horizontal else 260

    @property
    def empty(self) -> bool:
        return not any(value for dataset in self.datasets for value in dataset["data"])

    @property
    def rows(self) -> list[tuple[str, list]]:
        return [
            (label, [dataset["data"][n] for dataset in self.datasets])
            for n, label in enumerate(self.labels)
        ]

    @property
    def config(self) -> dict:
        return {
            "kind": self.kind,
            "labels": self.labels,
            "datasets": self.datasets,
            "stacked": self.stacked,
            "horizontal": self.horizontal,
            "most": self.most,
        }


def _period(day: date, interval: str) -> str:
    return f"week of {day:%d %b}" if interval == "week" else f"{day:%d %b}"


def _by_source(series: list[dict]) -> tuple[list[date], dict[str, list[dict]]]:
    rows: dict[str, list[dict]] = {}
    for row in series:
        rows.setdefault(row["source"], []).append(row)
    periods = [row["period"] for row in rows.get(Source.SENTRY, [])]
    return periods, rows


def trend_charts(prefix: str, series: list[dict], interval: str) -> list[Chart]:
    """New against resolved per source, the open backlog, events and tickets made from Sentry
    issues, over the periods of a dashboard's ``series`` table."""
    periods, rows = _by_source(series)
    labels = [_period(day, interval) for day in periods]
    flow = Chart(f"{prefix}-flow", "New against resolved", "line", "Period", labels)
    backlog = Chart(f"{prefix}-backlog", "Open backlog", "line", "Period", labels)
    for source, name in SOURCE_NAMES.items():
        colour, source_rows = SOURCE_COLOURS[source], rows.get(source, [])
        flow.add(f"{name}: new", [row["new"] for row in source_rows], colour)
        flow.add(f"{name}: resolved", [row["resolved"] for row in source_rows], colour, True)
        backlog.add(name, [row["open_at_end"] for row in source_rows], colour)
    sentry = rows.get(Source.SENTRY, [])
    events = Chart(
        f"{prefix}-events",
        "Events seen",
        "bar",
        "Period",
        labels,
        note="Growth of each Sentry issue's event count between pulls and webhooks.",
    ).add("Events", [row["events"] for row in sentry])
    tickets = Chart(
        f"{prefix}-tickets",
        "Tickets made from Sentry issues",
        "bar",
        "Period",
        labels,
        stacked=True,
    )
    for how in ["manual", "bulk", "rule"]:
        name = {"manual": "By hand", "bulk": "In bulk", "rule": "By rule"}[how]
        tickets.add(name, [row[f"tickets_{how}"] for row in sentry])
    return [flow, backlog, events, tickets]


def health_chart(key: str, title: str, health: list[dict]) -> Chart:
    return Chart(
        key,
        title,
        "bar",
        "Product",
        [row["full_path"] for row in health],
        horizontal=True,
        most=100,
    ).add("Health score", [row["score"] for row in health])


def movers_chart(movers: list[dict]) -> Chart:
    return Chart(
        "movers",
        "Biggest movers this week",
        "bar",
        "Product",
        [row["full_path"] for row in movers],
        horizontal=True,
        note="Change of the open backlog over the last 7 days.",
    ).add("Open items, change", [row["open_change_7d"] for row in movers])


def health_history_chart(history: list[dict]) -> Chart:
    labels = [f"{row['day']:%d %b}" for row in history]
    return Chart("health-history", "Health score by day", "line", "Day", labels, most=100).add(
        "Health score", [row["score"] for row in history]
    )


def open_now_chart(key: str, open_now: list[dict]) -> Chart:
    return Chart(
        key,
        "Open now by level and priority",
        "bar",
        "Level or priority",
        [f"{SOURCE_NAMES[row['source']]}: {row['bucket']}" for row in open_now],
        horizontal=True,
    ).add("Open", [row["open"] for row in open_now])


def resolution_chart(key: str, resolution: list[dict], group: str) -> Chart:
    """Hours from a Sentry issue's first seen to its ticket, the ticket's close and the issue's
    resolution: median and p90 of one group (the product itself, or a team)."""
    rows = [row for row in resolution if row["group"] == group]
    chart = Chart(
        key,
        "Hours from first seen, for issues with a ticket",
        "bar",
        "From first seen",
        [MEASURE_NAMES[row["measure"]] for row in rows],
        horizontal=True,
    )
    chart.add("Median hours", [row["median_hours"] for row in rows])
    return chart.add("p90 hours", [row["p90_hours"] for row in rows])


def workload_charts(workload: list[dict]) -> list[Chart]:
    """Open and closed tickets and customer issues per assignee and per product."""
    charts = []
    for key, title, axis, column in [
        ("workload-people", "Workload per assignee", "Assignee", "assignee"),
        ("workload-products", "Workload per product", "Product", "full_path"),
    ]:
        totals: dict[str, dict[str, int]] = {}
        for row in workload:
            name = row[column] or "(nobody)"
            cell = totals.setdefault(name, {"open": 0, "closed": 0})
            cell["open"] += row["open"]
            cell["closed"] += row["closed"]
        names = sorted(totals, key=lambda name: (-totals[name]["open"], name))
        chart = Chart(key, title, "bar", axis, names, horizontal=True, stacked=True)
        chart.add("Open", [totals[name]["open"] for name in names])
        charts.append(chart.add("Closed in the period", [totals[name]["closed"] for name in names]))
    return charts
