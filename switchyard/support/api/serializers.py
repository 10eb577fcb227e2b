"""The customer issue as the REST contract shows it: the issue, its thread, its ticket."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from switchyard.support import services
from switchyard.support.models import CustomerIssue, IssueComment, IssueStatusChange


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
    """The contract's ``linear_data``: a linked ticket that its ``linear_*`` fields describe."""
    ticket = link.ticket if link else None
    if ticket is None or not services.described_by_contract(ticket.connection):
        return None
    return {
        "id": ticket.external_id,
        "identifier": ticket.key,
        "url": ticket.url,
        "title": ticket.summary,
        "state": ticket.status,
    }


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
