"""REST under /api/insights/: every dashboard as JSON, and each of its tables as CSV
(``?format=csv`` or ``Accept: text/csv``, ``?table=`` naming the table)."""

from __future__ import annotations

from datetime import timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from switchyard.accounts.selectors import team_list
from switchyard.automation.models import RuleMatch
from switchyard.core.api import IsOrgStaff
from switchyard.insights import dashboards, product_figures
from switchyard.insights.models import Source
from switchyard.insights.renderers import CsvRenderer
from switchyard.insights.selectors import Window
from switchyard.monitoring.api import ProductBriefSerializer, SentryProjectSerializer
from switchyard.products.selectors import product_list
from switchyard.trackers.api import TicketBriefSerializer, TrackerProjectSerializer

SOURCES = "One of: " + ", ".join(Source.values) + "."
DEFAULT_DAYS = 30
MAX_DAYS = 366


class WindowQuerySerializer(serializers.Serializer):
    to = serializers.DateField(required=False, help_text="Last day (UTC); today by default.")
    interval = serializers.ChoiceField(choices=["day", "week"], default="day")
    table = serializers.CharField(required=False, help_text="The table a CSV answer holds.")

    def get_fields(self):
        fields = super().get_fields()
        # "from" is a Python keyword, so the field is added by name.
        fields["from"] = serializers.DateField(
            required=False, help_text="First day (UTC); 30 days before `to` by default."
        )
        return fields

    def validate(self, data):
        end = data.get("to") or timezone.now().date()
        start = data.get("from") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise serializers.ValidationError({"from": ["Must not be after `to`."]})
        if (end - start).days >= MAX_DAYS:
            raise serializers.ValidationError({"from": [f"At most {MAX_DAYS} days before `to`."]})
        return {**data, "window": Window(start, end, data["interval"])}


def _rows(name: str, fields: dict) -> serializers.ListSerializer:
    return type(name, (serializers.Serializer,), fields)(many=True)


def _counts(*names: str) -> dict:
    return {name: serializers.IntegerField() for name in names}


def _hours() -> serializers.FloatField:
    return serializers.FloatField(allow_null=True)


SERIES = {
    "period": serializers.DateField(help_text="The day, or the Monday of the week."),
    "source": serializers.CharField(help_text=SOURCES),
    **_counts("new", "resolved", "reopened", "events", "tickets_manual", "tickets_bulk"),
    **_counts("tickets_rule", "open_at_end"),
    "mean_hours_to_resolve": _hours(),
}
HEALTH = {
    "product": serializers.IntegerField(),
    "full_path": serializers.CharField(),
    "parent": serializers.IntegerField(allow_null=True),
    "priority": serializers.CharField(),
    **_counts("score", "own_score", "unresolved", "regressions_7d", "urgent_customer"),
    **_counts("high_customer", "overdue_tickets", "net_new_7d"),
    "weighted_unresolved": serializers.FloatField(),
    **{
        f"penalty_{part}": serializers.FloatField()
        for part in ["sentry", "regressions", "customer", "overdue", "trend"]
    },
}
OPEN_NOW = {
    "source": serializers.CharField(help_text=SOURCES),
    "bucket": serializers.CharField(help_text="Level (Sentry) or priority."),
    "open": serializers.IntegerField(),
}
RESOLUTION = {
    "group": serializers.ChoiceField(choices=["product", "team"]),
    "key": serializers.CharField(help_text="The product's id or the team's name."),
    "measure": serializers.ChoiceField(
        choices=["to_ticket", "to_ticket_closed", "to_issue_resolved"],
        help_text="Hours from the Sentry issue's first seen to this.",
    ),
    "pairs": serializers.IntegerField(),
    "median_hours": _hours(),
    "p90_hours": _hours(),
}
WORKLOAD = {
    "team": serializers.CharField(),
    "product": serializers.IntegerField(allow_null=True),
    "full_path": serializers.CharField(),
    "assignee": serializers.CharField(),
    "source": serializers.CharField(help_text=SOURCES),
    **_counts("open", "closed"),
}
TEAM_ASSIGNEES = {name: WORKLOAD[name] for name in ["team", "assignee", "source", "open", "closed"]}
TEAM_PRODUCTS = {
    name: WORKLOAD[name] for name in ["team", "product", "full_path", "source", "open", "closed"]
}
RULES = {
    "rule": serializers.IntegerField(),
    "name": serializers.CharField(),
    "period": serializers.DateField(),
    **_counts("matches", *RuleMatch.Outcome.values),
}


class _Dashboard(APIView):
    """Shared by the dashboards: the window from the query, a table as CSV."""

    permission_classes = [IsOrgStaff]
    renderer_classes = [JSONRenderer, CsvRenderer]
    tables: list[str] = []

    def handle_exception(self, exc):
        # An error is JSON whatever format the figures were asked in (and as the schema says).
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def answer(self, request, build) -> Response:
        query = WindowQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        csv = request.accepted_renderer.format == "csv"
        table = query.validated_data.get("table") or self.tables[0]
        if csv and table not in self.tables:
            raise serializers.ValidationError({"table": [f"One of: {', '.join(self.tables)}."]})
        payload = build(query.validated_data["window"])
        return Response(payload[table] if csv else payload)


def _schema(name: str, fields: dict, tables: list[str], operation_id: str | None = None):
    return extend_schema(
        operation_id=operation_id,
        parameters=[
            WindowQuerySerializer,
            OpenApiParameter(
                "format", enum=["json", "csv"], description="csv: one table (see `table`)."
            ),
            OpenApiParameter("table", enum=tables, description=f"Default: {tables[0]}."),
        ],
        responses={
            (200, "application/json"): type(name, (serializers.Serializer,), fields),
            (200, "text/csv"): OpenApiTypes.STR,
        },
    )


class InsightsOverviewApi(_Dashboard):
    """The organization: health of its top-level products, the week's biggest movers, trends."""

    tables = ["products", "movers", "open_now", "series"]

    @_schema(
        "InsightsOverview",
        {
            "organization": type(
                "InsightsOrganization",
                (serializers.Serializer,),
                {"id": serializers.IntegerField(), "name": serializers.CharField()},
            )(),
            "products": _rows("InsightsHealthRow", HEALTH),
            "movers": _rows(
                "InsightsMoverRow",
                {
                    "product": serializers.IntegerField(),
                    "full_path": serializers.CharField(),
                    "open_change_7d": serializers.IntegerField(),
                },
            ),
            "open_now": _rows("InsightsOpenRow", OPEN_NOW),
            "series": _rows("InsightsSeriesRow", SERIES),
        },
        tables,
    )
    def get(self, request):
        organization = request.user.organization
        return self.answer(
            request,
            lambda window: dashboards.organization_overview(
                organization=organization, window=window
            ),
        )


class InsightsProductApi(_Dashboard):
    """A product and its sub-products: health with its parts, open items, trends, resolution
    times."""

    tables = ["series", "health", "health_history", "open_now", "resolution"]

    @_schema(
        "InsightsProduct",
        {
            "product": type(
                "InsightsProductRef",
                (serializers.Serializer,),
                {
                    "id": serializers.IntegerField(),
                    "name": serializers.CharField(),
                    "full_path": serializers.CharField(),
                },
            )(),
            "health": _rows("InsightsProductHealthRow", HEALTH),
            "health_history": _rows(
                "InsightsHealthHistoryRow",
                {"day": serializers.DateField(), "score": serializers.IntegerField()},
            ),
            "open_now": _rows("InsightsProductOpenRow", OPEN_NOW),
            "series": _rows("InsightsProductSeriesRow", SERIES),
            "resolution": _rows("InsightsResolutionRow", RESOLUTION),
        },
        tables,
    )
    def get(self, request, pk):
        product = get_object_or_404(product_list(organization=request.user.organization), pk=pk)
        return self.answer(
            request, lambda window: dashboards.product_dashboard(product=product, window=window)
        )


class InsightsTeamsApi(_Dashboard):
    """Every team: workload per assignee and per product (open now, closed in the window), and
    resolution times per team."""

    tables = ["assignees", "products", "resolution"]

    @_schema(
        "InsightsTeams",
        {
            "assignees": _rows("InsightsTeamAssigneeRow", TEAM_ASSIGNEES),
            "products": _rows("InsightsTeamProductRow", TEAM_PRODUCTS),
            "resolution": _rows("InsightsTeamResolutionRow", RESOLUTION),
        },
        tables,
    )
    def get(self, request):
        organization = request.user.organization
        return self.answer(
            request,
            lambda window: dashboards.teams_dashboard(organization=organization, window=window),
        )


class InsightsTeamApi(_Dashboard):
    """One team's products (those it owns): workload per product and assignee, trends, and the
    team's resolution times."""

    tables = ["workload", "series", "resolution"]

    @_schema(
        "InsightsTeam",
        {
            "team": type(
                "InsightsTeamRef",
                (serializers.Serializer,),
                {"id": serializers.IntegerField(), "name": serializers.CharField()},
            )(),
            "workload": _rows("InsightsWorkloadRow", WORKLOAD),
            "series": _rows("InsightsTeamSeriesRow", SERIES),
            "resolution": _rows("InsightsOneTeamResolutionRow", RESOLUTION),
        },
        tables,
        operation_id="insights_team_retrieve",
    )
    def get(self, request, pk):
        team = get_object_or_404(team_list(organization=request.user.organization), pk=pk)
        return self.answer(
            request, lambda window: dashboards.team_dashboard(team=team, window=window)
        )


class InsightsAutomationApi(_Dashboard):
    """Per automation rule and period, its matches by outcome."""

    tables = ["rules"]

    @_schema("InsightsAutomation", {"rules": _rows("InsightsRuleRow", RULES)}, tables)
    def get(self, request):
        organization = request.user.organization
        return self.answer(
            request,
            lambda window: dashboards.automation_dashboard(
                organization=organization, window=window
            ),
        )


# -- the product stats and overview endpoints (paths and payloads kept) ----------------------

ProductStatsSerializer = inline_serializer(
    "ProductSentryStats",
    {
        "product": inline_serializer(
            "ProductRef",
            {
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "full_path": serializers.CharField(),
            },
        ),
        "sentry_projects": serializers.IntegerField(),
        "unresolved_issues": serializers.IntegerField(),
        "unresolved_by_level": serializers.DictField(child=serializers.IntegerField()),
        "events": serializers.IntegerField(),
        "users_affected": serializers.IntegerField(),
        "newest_issue": serializers.DictField(allow_null=True),
    },
)


class ProductStatsApi(APIView):
    """Sentry figures for a product and all its descendants."""

    permission_classes = [IsOrgStaff]

    @extend_schema(responses=ProductStatsSerializer)
    def get(self, request, pk):
        product = get_object_or_404(product_list(organization=request.user.organization), pk=pk)
        return Response(product_figures.product_sentry_stats(product=product))


class ProductOverviewSerializer(serializers.Serializer):
    product = ProductBriefSerializer()
    sentry_projects = SentryProjectSerializer(many=True)
    tracker_projects = TrackerProjectSerializer(many=True)
    tickets_created_this_week = TicketBriefSerializer(many=True)
    tickets_auto_created_this_week = serializers.IntegerField(
        help_text="Tickets automation rules created this week."
    )


class ProductOverviewApi(APIView):
    """A product and its sub-products across Sentry and the trackers."""

    permission_classes = [IsOrgStaff]

    @extend_schema(responses=ProductOverviewSerializer)
    def get(self, request, pk):
        product = get_object_or_404(product_list(organization=request.user.organization), pk=pk)
        return Response(
            ProductOverviewSerializer(product_figures.product_overview(product=product)).data
        )
