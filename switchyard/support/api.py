"""The issue-tracking REST contract: customers raise and follow; staff triage, assign, resolve, reopen.

Paths, field names and response shapes are what the existing web front end speaks: keep them.
"""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from switchyard.accounts.models import Order, Organization, Vendor
from switchyard.accounts.selectors import organizations_visible_to
from switchyard.core.api import IdField, IsOrgAdmin, IsOrgStaff
from switchyard.core.filters import FilterSet
from switchyard.support import selectors, services
from switchyard.support.models import (
    CustomerIssue,
    IssueCategory,
    IssueComment,
    IssuePriority,
    IssueStatus,
    IssueStatusChange,
)


class IsCustomer(BasePermission):
    message = "Only customers may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_customer)


def _name(user) -> str | None:
    return user.display_name if user else None


class IssueSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    vendor_name = serializers.CharField(
        source="vendor.name", default=None, read_only=True, allow_null=True
    )
    order_number = serializers.CharField(
        source="order.number", default=None, read_only=True, allow_null=True
    )
    linear_issue_url = serializers.CharField(read_only=True, help_text="A URL, or empty.")
    assigned_to_name = serializers.SerializerMethodField()
    created_by_name = serializers.SerializerMethodField()
    raised_by_customer_name = serializers.SerializerMethodField()
    raised_by_customer_email = serializers.EmailField(
        source="raised_by_customer.email", default=None, read_only=True, allow_null=True
    )
    resolved_by_name = serializers.SerializerMethodField()

    class Meta:
        model = CustomerIssue
        fields = [
            "id",
            "issue_number",
            "title",
            "description",
            "organization",
            "organization_name",
            "status",
            "priority",
            "category",
            "vendor",
            "vendor_name",
            "order",
            "order_number",
            "assigned_to",
            "assigned_to_name",
            "created_by",
            "created_by_name",
            "is_client_issue",
            "raised_by_customer",
            "raised_by_customer_name",
            "raised_by_customer_email",
            "resolved_at",
            "resolved_by",
            "resolved_by_name",
            "resolution_notes",
            "linear_issue_id",
            "linear_issue_url",
            "linear_team_id",
            "synced_to_linear",
            "last_synced_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_assigned_to_name(self, issue) -> str | None:
        return _name(issue.assigned_to)

    def get_created_by_name(self, issue) -> str | None:
        return _name(issue.created_by)

    def get_raised_by_customer_name(self, issue) -> str | None:
        return _name(issue.raised_by_customer)

    def get_resolved_by_name(self, issue) -> str | None:
        return _name(issue.resolved_by)


class CommentSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = IssueComment
        fields = ["id", "author", "author_name", "text", "created_at"]
        read_only_fields = fields

    def get_author_name(self, comment) -> str:
        return comment.author.display_name if comment.author else comment.author_name


class StatusChangeSerializer(serializers.ModelSerializer):
    changed_by_name = serializers.SerializerMethodField()
    from_status = serializers.CharField(
        read_only=True, help_text="A customer issue status; empty for the first entry."
    )

    class Meta:
        model = IssueStatusChange
        fields = [
            "id",
            "changed_by",
            "changed_by_name",
            "from_status",
            "to_status",
            "via",
            "changed_at",
        ]
        read_only_fields = fields

    def get_changed_by_name(self, change) -> str | None:
        return _name(change.changed_by)


class IssueDetailSerializer(IssueSerializer):
    comments = CommentSerializer(many=True, read_only=True)
    status_history = StatusChangeSerializer(source="history", many=True, read_only=True)

    class Meta(IssueSerializer.Meta):
        fields = [*IssueSerializer.Meta.fields, "comments", "status_history"]
        read_only_fields = fields


LinearDataSerializer = inline_serializer(
    "LinearData",
    {
        "id": serializers.CharField(),
        "identifier": serializers.CharField(),
        "url": serializers.URLField(),
        "title": serializers.CharField(),
        "state": serializers.CharField(),
    },
    allow_null=True,
)


def linear_data(link) -> dict | None:
    ticket = link.ticket if link else None
    if ticket is None or ticket.connection.kind != "linear":
        return None
    return {
        "id": ticket.external_id,
        "identifier": ticket.key,
        "url": ticket.url,
        "title": ticket.summary,
        "state": ticket.status,
    }


# -- customers ---------------------------------------------------------------------------------


class RaiseSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.filter(is_active=True)
    )
    title = serializers.CharField(max_length=300)
    description = serializers.CharField()
    priority = serializers.ChoiceField(choices=IssuePriority.choices, default=IssuePriority.MEDIUM)
    category = serializers.ChoiceField(choices=IssueCategory.choices, default=IssueCategory.GENERAL)
    vendor = serializers.PrimaryKeyRelatedField(
        queryset=Vendor.objects.all(), required=False, allow_null=True
    )
    order = serializers.PrimaryKeyRelatedField(
        queryset=Order.objects.all(), required=False, allow_null=True
    )


class ClientIssueRaiseApi(APIView):
    """A customer raises an issue against an organization; it goes to the organization's Linear team."""

    permission_classes = [IsCustomer]

    @extend_schema(
        request=RaiseSerializer,
        responses={
            201: inline_serializer(
                "IssueRaised",
                {
                    "message": serializers.CharField(),
                    "issue": IssueSerializer(),
                    "linear_data": LinearDataSerializer,
                },
            )
        },
    )
    def post(self, request):
        serializer = RaiseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        raised = services.issue_raise(customer=request.user, **serializer.validated_data)
        tracker = (
            raised.link.tracker_project.connection.get_kind_display() if raised.link else "Linear"
        )
        if raised.link is None:
            message = "Issue raised successfully. The organization has no Linear team yet, so it was not synced to Linear."
        elif raised.synced:
            message = f"Issue raised successfully and synced to {tracker}"
        else:
            message = f"Issue raised successfully. {tracker} could not be reached; it will be synced automatically."
        issue = selectors.issues_visible_to(user=request.user).get(pk=raised.issue.pk)
        return Response(
            {
                "message": message,
                "issue": IssueSerializer(issue).data,
                "linear_data": linear_data(raised.link) if raised.synced else None,
            },
            status=status.HTTP_201_CREATED,
        )


class ClientIssueDetailApi(APIView):
    """One of the customer's own issues, with its comments and status history."""

    permission_classes = [IsCustomer]

    @extend_schema(responses=IssueDetailSerializer)
    def get(self, request, pk):
        issues = selectors.issue_with_thread(selectors.issues_visible_to(user=request.user))
        return Response(IssueDetailSerializer(get_object_or_404(issues, pk=pk)).data)


class CommentInputSerializer(serializers.Serializer):
    comment = serializers.CharField()


class ClientIssueCommentApi(APIView):
    """A customer comments on one of their issues."""

    permission_classes = [IsCustomer]

    @extend_schema(request=CommentInputSerializer, responses={201: CommentSerializer})
    def post(self, request, pk):
        issue = get_object_or_404(selectors.issues_visible_to(user=request.user), pk=pk)
        serializer = CommentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        comment = services.issue_comment(
            issue=issue, author=request.user, text=serializer.validated_data["comment"]
        )
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


# -- everyone's list, staff's actions -----------------------------------------------------------


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
        synced = services.issue_deliver_soon(issue=issue)
        return Response(
            {
                "message": f"Issue {issue.issue_number} resolved",
                "issue": self._issue_data(issue),
                "previous_status": previous,
                "linear_synced": synced,
            }
        )

    @extend_schema(request=None, responses=IssueActionResult)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        issue = self.get_object()
        previous = services.issue_reopen(issue=issue, actor=request.user)
        synced = services.issue_deliver_soon(issue=issue)
        return Response(
            {
                "message": f"Issue {issue.issue_number} reopened",
                "issue": self._issue_data(issue),
                "previous_status": previous,
                "linear_synced": synced,
            }
        )

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


def remote_ticket_json(ticket) -> dict:
    return {
        "id": ticket.external_id,
        "identifier": ticket.key,
        "title": ticket.summary,
        "description": ticket.description,
        "state": ticket.status,
        "state_type": ticket.status_category,
        "priority": ticket.priority,
        "url": ticket.url,
        "assignee_email": ticket.assignee_email or None,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
    }


# -- organizations: the Linear team ------------------------------------------------------------


class OrganizationSupportSerializer(serializers.ModelSerializer):
    linear_team_id = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "is_active", "created_at", "linear_team_id"]
        read_only_fields = fields

    def get_linear_team_id(self, organization) -> str | None:
        return services.organization_linear_team_id(organization=organization)


class LinearTeamSerializer(serializers.Serializer):
    linear_team_id = serializers.CharField(max_length=100, allow_blank=True)


class OrganizationDetailApi(APIView):
    """An organization (GET, anyone who can see it); its Linear team (PATCH, its admins)."""

    def get_permissions(self):
        return [IsOrgAdmin()] if self.request.method == "PATCH" else super().get_permissions()

    @extend_schema(responses=OrganizationSupportSerializer)
    def get(self, request, pk):
        organization = get_object_or_404(organizations_visible_to(user=request.user), pk=pk)
        return Response(OrganizationSupportSerializer(organization).data)

    @extend_schema(request=LinearTeamSerializer, responses=OrganizationSupportSerializer)
    def patch(self, request, pk):
        organization = get_object_or_404(organizations_visible_to(user=request.user), pk=pk)
        serializer = LinearTeamSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.organization_set_linear_team(
            organization=organization, **serializer.validated_data
        )
        return Response(OrganizationSupportSerializer(organization).data)
