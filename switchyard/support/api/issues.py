"""Everyone's list of customer issues, and staff's actions on them; every change reaches the
linked tracker."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from switchyard.core.api import IdField, IsOrgStaff
from switchyard.core.filters import FilterSet
from switchyard.support import selectors, services
from switchyard.support.api.serializers import (
    IssueDetailSerializer,
    IssueSerializer,
    LinearDataSerializer,
    linear_data,
    remote_ticket_json,
)
from switchyard.support.models import CustomerIssue, IssueCategory, IssuePriority, IssueStatus


class IssueFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=IssueStatus.choices)
    priority = django_filters.ChoiceFilter(choices=IssuePriority.choices)
    category = django_filters.ChoiceFilter(choices=IssueCategory.choices)

    class Meta:
        model = CustomerIssue
        fields = ["status", "priority", "category", "is_client_issue", "assigned_to"]


class IssueUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=IssueStatus.choices, required=False)
    priority = serializers.ChoiceField(choices=IssuePriority.choices, required=False)
    category = serializers.ChoiceField(choices=IssueCategory.choices, required=False)
    title = serializers.CharField(max_length=300, required=False)
    description = serializers.CharField(required=False)


class ResolveSerializer(serializers.Serializer):
    resolution_notes = serializers.CharField(allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    employee_id = IdField()


IssueActionResult = inline_serializer(
    "IssueActionResult",
    {
        "message": serializers.CharField(),
        "issue": IssueSerializer(),
        "previous_status": serializers.CharField(),
        "linear_synced": serializers.BooleanField(),
    },
)


class IssueViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Customers list their own issues; staff list, change, assign, resolve and reopen their
    organization's, and every change reaches the linked tracker."""

    queryset = CustomerIssue.objects.none()
    serializer_class = IssueSerializer
    filterset_class = IssueFilter
    search_fields = ["issue_number", "title", "description"]
    ordering_fields = ["created_at", "updated_at", "priority", "status", "issue_number"]
    http_method_names = ["get", "patch", "post", "head", "options"]

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return super().get_permissions()
        return [IsOrgStaff()]

    def get_queryset(self):
        issues = selectors.issues_visible_to(user=self.request.user)
        return selectors.issue_with_thread(issues) if self.action == "retrieve" else issues

    def get_serializer_class(self):
        return IssueDetailSerializer if self.action == "retrieve" else IssueSerializer

    def _issue_data(self, issue) -> dict:
        return IssueSerializer(
            selectors.issues_visible_to(user=self.request.user).get(pk=issue.pk)
        ).data

    def _action_result(self, issue, done: str, previous: str) -> Response:
        """The answer to resolve and reopen, once the tracker had its brief chance to follow."""
        synced = services.issue_deliver_soon(issue=issue)
        return Response(
            {
                "message": f"Issue {issue.issue_number} {done}",
                "issue": self._issue_data(issue),
                "previous_status": previous,
                "linear_synced": synced,
            }
        )

    @extend_schema(request=IssueUpdateSerializer, responses=IssueSerializer)
    def partial_update(self, request, *args, **kwargs):
        issue = self.get_object()
        serializer = IssueUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        issue = services.issue_update(issue=issue, actor=request.user, **serializer.validated_data)
        services.issue_deliver_soon(issue=issue)
        return Response(self._issue_data(issue))

    @extend_schema(request=ResolveSerializer, responses=IssueActionResult)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        issue = self.get_object()
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        previous = services.issue_resolve(
            issue=issue, actor=request.user, **serializer.validated_data
        )
        return self._action_result(issue, "resolved", previous)

    @extend_schema(request=None, responses=IssueActionResult)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        issue = self.get_object()
        previous = services.issue_reopen(issue=issue, actor=request.user)
        return self._action_result(issue, "reopened", previous)

    @extend_schema(
        request=AssignSerializer,
        responses=inline_serializer(
            "IssueAssigned", {"message": serializers.CharField(), "issue": IssueSerializer()}
        ),
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        issue = self.get_object()
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        issue = services.issue_assign(issue=issue, actor=request.user, **serializer.validated_data)
        return Response(
            {
                "message": f"Issue {issue.issue_number} assigned to {issue.assigned_to.display_name}",
                "issue": self._issue_data(issue),
            }
        )

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "IssueSynced",
            {
                "message": serializers.CharField(),
                "issue": IssueSerializer(),
                "linear_synced": serializers.BooleanField(),
                "linear_data": LinearDataSerializer,
            },
        ),
    )
    @action(detail=True, methods=["post"])
    def sync_to_linear(self, request, pk=None):
        issue = self.get_object()
        synced = services.issue_sync_to_tracker(issue=issue, actor=request.user)
        link = services.issue_tracker_link(issue=issue)
        message = (
            "Issue synced to Linear"
            if synced
            else "The tracker could not be reached; the sync will be retried."
        )
        return Response(
            {
                "message": message,
                "issue": self._issue_data(issue),
                "linear_synced": synced,
                "linear_data": linear_data(link) if synced else None,
            }
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", OpenApiTypes.INT),
            OpenApiParameter("sync", OpenApiTypes.BOOL),
        ],
        responses=inline_serializer(
            "FetchedFromLinear",
            {
                "message": serializers.CharField(),
                "linear_issues": serializers.ListField(child=serializers.DictField()),
                "synced_issues": serializers.ListField(child=serializers.DictField()),
                "organization": serializers.DictField(),
            },
        ),
    )
    @action(detail=False, methods=["get"])
    def fetch_from_linear(self, request):
        params = FetchSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        organization = request.user.organization
        fetched = services.issues_fetch_from_tracker(
            organization=organization, **params.validated_data
        )
        synced = params.validated_data["sync"]
        return Response(
            {
                "message": f"Fetched {len(fetched.tickets)} issues from {fetched.project.connection.get_kind_display()}"
                + (f"; {len(fetched.synced)} synced" if synced else ""),
                "linear_issues": [remote_ticket_json(ticket) for ticket in fetched.tickets],
                "synced_issues": fetched.synced,
                "organization": {
                    "id": organization.pk,
                    "name": organization.name,
                    "linear_team_id": services.organization_linear_team_id(
                        organization=organization
                    ),
                },
            }
        )

    @extend_schema(
        responses=inline_serializer(
            "IssueStats",
            {
                "total": serializers.IntegerField(),
                "by_status": serializers.DictField(),
                "by_priority": serializers.DictField(),
                "by_source": serializers.DictField(),
                "linear_sync": serializers.DictField(),
            },
        )
    )
    @action(detail=False, methods=["get"])
    def stats(self, request):
        return Response(
            selectors.issue_stats(issues=selectors.issues_visible_to(user=request.user))
        )


class FetchSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=250, default=50)
    sync = serializers.BooleanField(default=False)
