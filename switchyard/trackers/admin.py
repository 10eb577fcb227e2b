"""Admin for tracker projects, their mappings, tickets and links; "Create tickets" on Sentry issues."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.template.response import TemplateResponse
from django.utils.html import format_html

from switchyard.accounts.admin import OrganizationScopedAdmin
from switchyard.monitoring.admin import SentryIssueAdmin, product_link
from switchyard.monitoring.models import SentryIssue
from switchyard.products.admin_mapping import assign_to_product_action, remove_product_action
from switchyard.trackers import services
from switchyard.trackers.handlers import TRACKER_PROJECTS
from switchyard.trackers.models import (
    PriorityMapping,
    StatusMapping,
    Ticket,
    TicketLink,
    TrackerProject,
)


class StatusMappingInline(admin.TabularInline):
    model = StatusMapping
    extra = 0
    fields = ["remote_status", "category", "preferred"]


class PriorityMappingInline(admin.TabularInline):
    model = PriorityMapping
    extra = 0
    fields = ["priority", "remote_priority"]


@admin.register(TrackerProject)
class TrackerProjectAdmin(OrganizationScopedAdmin):
    organization_field = "connection__organization"
    list_display = [
        "key",
        "name",
        "connection",
        "project_type",
        "product_column",
        "rules_may_create",
        "regression_policy",
    ]
    list_filter = ["connection__kind", "product", "rules_may_create", "is_deleted"]
    search_fields = ["key", "name", "product__full_path"]
    list_select_related = ["connection", "product"]
    readonly_fields = [
        "connection",
        "external_id",
        "key",
        "name",
        "project_type",
        "lead",
        "is_deleted",
    ]
    inlines = [StatusMappingInline, PriorityMappingInline]
    actions = [
        assign_to_product_action(TRACKER_PROJECTS, description="Bulk assign to product"),
        remove_product_action(TRACKER_PROJECTS),
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Product", ordering="product__path")
    def product_column(self, project):
        return product_link(project.product)


class TicketLinkInline(admin.TabularInline):
    model = TicketLink
    extra = 0
    fields = [
        "source_type",
        "source_id",
        "created_via",
        "status_to_source",
        "status_to_tracker",
        "is_active",
        "sync_state",
        "last_error",
    ]
    readonly_fields = ["source_type", "source_id", "created_via", "sync_state", "last_error"]
    fk_name = "ticket"

    def has_add_permission(self, request, obj=None):
        return False


def _ticket_projects(queryset):
    return queryset.values_list("tracker_project_id", flat=True).distinct()


@admin.register(Ticket)
class TicketAdmin(OrganizationScopedAdmin):
    organization_field = "connection__organization"
    list_display = [
        "key",
        "summary",
        "status",
        "status_category",
        "priority",
        "assignee_email",
        "tracker_project",
        "remote_updated_at",
        "open_link",
    ]
    list_filter = [
        "status_category",
        "connection__kind",
        "tracker_project",
        "tracker_project__product",
    ]
    search_fields = ["key", "summary"]
    list_select_related = ["tracker_project"]
    readonly_fields = [f.name for f in Ticket._meta.fields]
    inlines = [TicketLinkInline]
    actions = [
        assign_to_product_action(
            TRACKER_PROJECTS,
            description="Assign their projects to product",
            rows_to_ids=_ticket_projects,
        )
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Tracker")
    def open_link(self, ticket):
        return format_html('<a href="{}" target="_blank" rel="noopener">open</a>', ticket.url)


@admin.register(TicketLink)
class TicketLinkAdmin(OrganizationScopedAdmin):
    organization_field = "tracker_project__connection__organization"
    list_display = [
        "__str__",
        "tracker_project",
        "created_via",
        "status_to_source",
        "status_to_tracker",
        "is_active",
        "sync_state",
        "last_error",
    ]
    list_filter = ["sync_state", "created_via", "is_active", "tracker_project__connection__kind"]
    list_select_related = ["ticket", "tracker_project", "source_type"]
    readonly_fields = [
        "ticket",
        "tracker_project",
        "source_type",
        "source_id",
        "created_via",
        "sync_state",
        "last_synced_at",
        "last_error",
        "last_error_at",
    ]

    def has_add_permission(self, request):
        return False


class SentryIssueLinkInline(GenericTabularInline):
    model = TicketLink
    ct_field = "source_type"
    ct_fk_field = "source_id"
    extra = 0
    fields = ["ticket", "tracker_project", "created_via", "sync_state", "last_error"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ChooseTrackerProjectForm(forms.Form):
    tracker_project = forms.ModelChoiceField(queryset=TrackerProject.objects.none())


admin.site.unregister(SentryIssue)


@admin.register(SentryIssue)
class SentryIssueWithTicketsAdmin(SentryIssueAdmin):
    """Sentry issues, with their tickets and the "Create tickets" action."""

    inlines = [SentryIssueLinkInline]
    actions = [*SentryIssueAdmin.actions, "create_tickets"]

    @admin.action(description="Create tickets")
    def create_tickets(self, request, queryset):
        projects = TrackerProject.objects.filter(is_deleted=False).select_related("connection")
        if not request.user.is_superuser:
            projects = projects.filter(connection__organization=request.user.organization_id)
        form = ChooseTrackerProjectForm(request.POST if "apply" in request.POST else None)
        form.fields["tracker_project"].queryset = projects
        if "apply" in request.POST and form.is_valid():
            project = form.cleaned_data["tracker_project"]
            result = services.tickets_create_for_sources(
                sources=queryset.select_related("project"), tracker_project=project
            )
            self.message_user(
                request, f"{len(result.queued)} ticket(s) being created in {project.key}."
            )
            if result.already_linked:
                short_ids = ", ".join(
                    queryset.filter(pk__in=result.already_linked).values_list("short_id", flat=True)
                )
                self.message_user(
                    request,
                    f"{len(result.already_linked)} already linked in {project.key}, "
                    f"skipped: {short_ids}.",
                    messages.WARNING,
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Create tickets",
            "form": form,
            "queryset": queryset,
            "action_name": request.POST.get("action"),
        }
        return TemplateResponse(request, "admin/trackers/choose_tracker_project.html", context)
