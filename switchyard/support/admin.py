"""Customer issues (read here, changed through the web app or the API) and support settings."""

from __future__ import annotations

from django.contrib import admin

from switchyard.accounts.admin import OrganizationScopedAdmin
from switchyard.support.models import (
    CustomerIssue,
    IssueComment,
    IssueStatusChange,
    SupportSettings,
)
from switchyard.support.services import support_settings_update


class ViewOnly:
    """Shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ViewOnly, admin.TabularInline):
    extra = 0

    def get_readonly_fields(self, request, obj=None):
        return self.fields  # the timestamps cannot be form fields at all


class CommentInline(ReadOnlyInline):
    model = IssueComment
    fields = ["created_at", "author", "author_name", "text"]


class StatusChangeInline(ReadOnlyInline):
    model = IssueStatusChange
    fields = ["changed_at", "changed_by", "from_status", "to_status", "via"]
    verbose_name_plural = "status history"


@admin.register(CustomerIssue)
class CustomerIssueAdmin(ViewOnly, OrganizationScopedAdmin):
    """View only: a status change here would skip the history and the tracker that follow it."""

    list_display = [
        "issue_number",
        "title",
        "status",
        "priority",
        "category",
        "raised_by_customer",
        "assigned_to",
        "created_at",
    ]
    list_filter = ["status", "priority", "category", "assigned_to"]
    search_fields = ["issue_number", "title"]
    list_select_related = ["raised_by_customer", "assigned_to"]
    inlines = [StatusChangeInline, CommentInline]


@admin.register(SupportSettings)
class SupportSettingsAdmin(OrganizationScopedAdmin):
    """Where the organization's customer issues go (one row per organization)."""

    list_display = ["organization", "linear_team_id", "tracker_project"]
    fields = ["organization", "linear_team_id", "tracker_project"]

    def has_add_permission(self, request):
        if request.user.is_superuser:
            return True
        return not SupportSettings.objects.filter(
            organization_id=request.user.organization_id
        ).exists()

    def save_model(self, request, obj, form, change):
        organization = obj.organization if request.user.is_superuser else request.user.organization
        saved = support_settings_update(
            organization=organization,
            linear_team_id=obj.linear_team_id,
            tracker_project=obj.tracker_project,
        )
        obj.pk, obj.organization = saved.pk, organization  # the admin logs and redirects to it
