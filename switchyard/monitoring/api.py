"""REST endpoints for Sentry projects and issues, their product mapping and product figures."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from switchyard.core.api import IdField, IsOrgAdmin, IsOrgStaff
from switchyard.core.filters import FilterSet, IdFilter
from switchyard.monitoring import selectors, services
from switchyard.monitoring.handlers import SENTRY_PROJECTS
from switchyard.monitoring.models import IssueLevel, IssueStatus, SentryIssue, SentryProject
from switchyard.products.api import MappingResultSerializer
from switchyard.products.filters import ProductSubtreeFilter
from switchyard.products.mapping import OnConflict, product_map
from switchyard.products.models import Priority, Product
from switchyard.products.selectors import product_list


class ProductBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "full_path", "priority"]
        read_only_fields = fields


class SentryProjectSerializer(serializers.ModelSerializer):
    product = ProductBriefSerializer(read_only=True, allow_null=True)
    unresolved_issues = serializers.IntegerField(read_only=True)
    unresolved_events = serializers.IntegerField(read_only=True)

    class Meta:
        model = SentryProject
        fields = [
            "id",
            "connection",
            "external_id",
            "slug",
            "name",
            "platform",
            "status",
            "sentry_organization",
            "product",
            "is_deleted",
            "unresolved_issues",
            "unresolved_events",
            "synced_at",
        ]
        read_only_fields = fields


class SentryProjectFilter(FilterSet):
    product = IdFilter(field_name="product_id")
    unassigned = django_filters.BooleanFilter(field_name="product", lookup_expr="isnull")
    platform = django_filters.CharFilter()
    priority = django_filters.MultipleChoiceFilter(
        field_name="product__priority", choices=Priority.choices, distinct=False
    )
    team = IdFilter(field_name="product__owning_team_id")

    class Meta:
        model = SentryProject
        fields = [
            "product",
            "unassigned",
            "platform",
            "priority",
            "team",
            "connection",
            "is_deleted",
        ]


class SentryProjectViewSet(viewsets.ReadOnlyModelViewSet):
    """Sentry projects of the caller's organization, with unresolved issues and events."""

    permission_classes = [IsOrgStaff]
    queryset = SentryProject.objects.none()
    serializer_class = SentryProjectSerializer
    filterset_class = SentryProjectFilter
    search_fields = ["slug", "name", "sentry_organization", "product__full_path"]
    ordering_fields = ["slug", "name", "platform", "unresolved_issues", "unresolved_events"]
    ordering = ["sentry_organization", "slug"]

    def get_queryset(self):
        return selectors.sentry_project_list(organization=self.request.user.organization)


class SentryIssueSerializer(serializers.ModelSerializer):
    assignee_email = serializers.CharField(read_only=True, help_text="An email address, or empty.")
    project_slug = serializers.CharField(source="project.slug", read_only=True)
    product = ProductBriefSerializer(source="project.product", read_only=True, allow_null=True)

    class Meta:
        model = SentryIssue
        fields = [
            "id",
            "external_id",
            "short_id",
            "title",
            "culprit",
            "level",
            "status",
            "substatus",
            "event_count",
            "user_count",
            "first_seen",
            "last_seen",
            "permalink",
            "assignee_email",
            "project",
            "project_slug",
            "product",
            "synced_at",
        ]
        read_only_fields = fields


class SentryIssueFilter(FilterSet):
    level = django_filters.MultipleChoiceFilter(choices=IssueLevel.choices, distinct=False)
    status = django_filters.MultipleChoiceFilter(choices=IssueStatus.choices, distinct=False)
    product = ProductSubtreeFilter(field_name="project__product")
    priority = django_filters.MultipleChoiceFilter(
        field_name="project__product__priority", choices=Priority.choices, distinct=False
    )
    team = IdFilter(field_name="project__product__owning_team_id")
    platform = django_filters.CharFilter(field_name="project__platform")
    unassigned = django_filters.BooleanFilter(field_name="project__product", lookup_expr="isnull")
    last_seen_after = django_filters.IsoDateTimeFilter(field_name="last_seen", lookup_expr="gte")

    class Meta:
        model = SentryIssue
        fields = [
            "level",
            "status",
            "product",
            "priority",
            "team",
            "platform",
            "project",
            "unassigned",
            "last_seen_after",
        ]


class SentryIssueViewSet(viewsets.ReadOnlyModelViewSet):
    """Sentry issues; resolving, ignoring or reopening one reaches Sentry through the outbox."""

    permission_classes = [IsOrgStaff]
    queryset = SentryIssue.objects.none()
    serializer_class = SentryIssueSerializer
    filterset_class = SentryIssueFilter
    search_fields = ["title", "culprit", "short_id"]
    ordering_fields = ["last_seen", "first_seen", "event_count", "user_count", "level"]
    ordering = ["-last_seen"]

    def get_queryset(self):
        return selectors.sentry_issue_list(organization=self.request.user.organization)

    def _set_status(self, status: str) -> Response:
        issue = services.sentry_issue_set_status(issue=self.get_object(), status=status)
        return Response(SentryIssueSerializer(self.get_queryset().get(pk=issue.pk)).data)

    @extend_schema(request=None, responses=SentryIssueSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._set_status(IssueStatus.RESOLVED)

    @extend_schema(request=None, responses=SentryIssueSerializer)
    @action(detail=True, methods=["post"])
    def ignore(self, request, pk=None):
        return self._set_status(IssueStatus.IGNORED)

    @extend_schema(request=None, responses=SentryIssueSerializer)
    @action(detail=True, methods=["post"])
    def unresolve(self, request, pk=None):
        return self._set_status(IssueStatus.UNRESOLVED)


class IssueProjectsMappingSerializer(serializers.Serializer):
    issue_ids = serializers.ListField(child=IdField(), allow_empty=False)
    product = IdField()
    on_conflict = serializers.ChoiceField(choices=OnConflict.choices, default=OnConflict.SKIP)


class SentryIssueProjectsAssignApi(APIView):
    """Map the distinct projects behind the selected issues to a product."""

    permission_classes = [IsOrgAdmin]

    @extend_schema(
        request=IssueProjectsMappingSerializer,
        responses=inline_serializer(
            "IssueProjectsMappingResult",
            {
                "project_ids": serializers.ListField(child=serializers.IntegerField()),
                "result": MappingResultSerializer,
            },
        ),
    )
    def post(self, request):
        serializer = IssueProjectsMappingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        organization = request.user.organization
        product = product_list(organization=organization).filter(pk=data["product"]).first()
        if product is None:
            return Response(
                {"product": [f'Invalid pk "{data["product"]}" - object does not exist.']},
                status=400,
            )
        project_ids = services.sentry_issue_project_ids(
            organization=organization, issue_ids=data["issue_ids"]
        )
        result = product_map(
            mappable=SENTRY_PROJECTS,
            product=product,
            ids=project_ids,
            on_conflict=data["on_conflict"],
        )
        return Response({"project_ids": project_ids, "result": result.as_dict()})
