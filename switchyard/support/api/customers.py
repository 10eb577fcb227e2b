"""Customers raise issues, follow them and comment on them."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from switchyard.accounts.models import Order, Organization, Vendor
from switchyard.support import selectors, services
from switchyard.support.api.serializers import (
    CommentSerializer,
    IssueDetailSerializer,
    IssueSerializer,
    LinearDataSerializer,
    linear_data,
)
from switchyard.support.models import IssueCategory, IssuePriority


class IsCustomer(BasePermission):
    message = "Only customers may do this."

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_customer)


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


def _raised_message(raised: services.Raised) -> str:
    if raised.link is None:
        return "Issue raised successfully. The organization has no Linear team yet, so it was not synced to Linear."
    tracker = raised.link.tracker_project.connection.get_kind_display()
    if raised.synced:
        return f"Issue raised successfully and synced to {tracker}"
    return f"Issue raised successfully. {tracker} could not be reached; it will be synced automatically."


class ClientIssueRaiseApi(APIView):
    """A customer raises an issue against an organization; it goes to the organization's tracker."""

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
        message = _raised_message(raised)
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
