"""Admin for Sentry projects and issues: figures, filters, links, mapping and status actions."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from switchyard.accounts.admin import OrganizationScopedAdmin
from switchyard.core.exceptions import DomainError
from switchyard.monitoring import services
from switchyard.monitoring.figures import project_figures
from switchyard.monitoring.handlers import SENTRY_PROJECTS
from switchyard.monitoring.models import IssueStatus, SentryIssue, SentryProject
from switchyard.products.admin import priority_badge
from switchyard.products.admin_mapping import assign_to_product_action, remove_product_action


def product_link(product):
    if product is None:
        return "—"
    url = reverse("admin:products_product_change", args=[product.pk])
    return format_html(
        '<a href="{}">{}</a> {}',
        url,
        product.full_path,
        priority_badge(product.priority, product.get_priority_display()),
    )


class UnassignedFilter(admin.SimpleListFilter):
    title = "product assignment"
    parameter_name = "unassigned"
    product_lookup = "product"

    def lookups(self, request, model_admin):
        return [("yes", "Unassigned"), ("no", "Assigned")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.product_lookup}__isnull": self.value() == "yes"})
        return queryset


class IssueUnassignedFilter(UnassignedFilter):
    product_lookup = "project__product"


@admin.register(SentryProject)
class SentryProjectAdmin(OrganizationScopedAdmin):
    organization_field = "connection__organization"
    list_display = [
        "slug",
        "name",
        "platform",
        "sentry_organization",
        "product_column",
        "team",
        "unresolved_issues",
        "unresolved_events",
        "issues_link",
    ]
    list_filter = [
        UnassignedFilter,
        "platform",
        "product__priority",
        "product__owning_team",
        "product",
        "is_deleted",
    ]
    search_fields = ["slug", "name", "product__full_path"]
    list_select_related = ["product", "product__owning_team"]
    readonly_fields = [
        "connection",
        "external_id",
        "slug",
        "name",
        "platform",
        "status",
        "sentry_organization",
        "is_deleted",
        "synced_at",
    ]
    actions = [
        assign_to_product_action(SENTRY_PROJECTS, description="Bulk assign to product"),
        remove_product_action(SENTRY_PROJECTS),
    ]

    def get_queryset(self, request):
        # The figures the project list of the API shows, kept per project (``monitoring.figures``)
        # rather than counted over every issue of every project on the page.
        figures = project_figures()
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_issues=figures["unresolved_issues"],
                open_events=figures["unresolved_events"],
            )
        )

    def has_add_permission(self, request):
        return False

    @admin.display(description="Product", ordering="product__path")
    def product_column(self, project):
        return product_link(project.product)

    @admin.display(description="Team", ordering="product__owning_team__name")
    def team(self, project):
        return (
            project.product.owning_team if project.product and project.product.owning_team else "—"
        )

    @admin.display(description="Unresolved issues", ordering="open_issues")
    def unresolved_issues(self, project):
        return project.open_issues

    @admin.display(description="Unresolved events", ordering="open_events")
    def unresolved_events(self, project):
        return project.open_events or 0

    @admin.display(description="Issues")
    def issues_link(self, project):
        url = (
            reverse("admin:monitoring_sentryissue_changelist") + f"?project__id__exact={project.pk}"
        )
        return format_html('<a href="{}">issues</a>', url)


def _issue_projects(queryset):
    return queryset.values_list("project_id", flat=True).distinct()


@admin.register(SentryIssue)
class SentryIssueAdmin(OrganizationScopedAdmin):
    organization_field = "connection__organization"
    list_display = [
        "short_id",
        "title",
        "level",
        "status",
        "event_count",
        "user_count",
        "last_seen",
        "project_link",
        "product_column",
    ]
    list_filter = [
        "level",
        "status",
        "last_seen",
        IssueUnassignedFilter,
        "project__platform",
        "project__product__priority",
        "project__product__owning_team",
        "project__product",
        "project",
    ]
    search_fields = ["title", "culprit", "short_id"]
    list_select_related = ["project", "project__product"]
    date_hierarchy = "last_seen"
    readonly_fields = [f.name for f in SentryIssue._meta.fields]
    actions = [
        assign_to_product_action(
            SENTRY_PROJECTS,
            description="Assign their projects to product",
            rows_to_ids=_issue_projects,
        ),
        "resolve",
        "ignore",
        "unresolve",
    ]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Project", ordering="project__slug")
    def project_link(self, issue):
        url = reverse("admin:monitoring_sentryproject_change", args=[issue.project_id])
        return format_html('<a href="{}">{}</a>', url, issue.project.slug)

    @admin.display(description="Product", ordering="project__product__path")
    def product_column(self, issue):
        return product_link(issue.project.product)

    def _set_status(self, request, queryset, status):
        changed = 0
        for issue in queryset:
            try:
                services.sentry_issue_set_status(issue=issue, status=status)
                changed += 1
            except DomainError as error:
                self.message_user(request, f"{issue.short_id}: {error.message}", messages.ERROR)
        self.message_user(request, f"{changed} issue(s) set to {status}; Sentry follows shortly.")

    @admin.action(description="Resolve (in Sentry too)")
    def resolve(self, request, queryset):
        self._set_status(request, queryset, IssueStatus.RESOLVED)

    @admin.action(description="Ignore (in Sentry too)")
    def ignore(self, request, queryset):
        self._set_status(request, queryset, IssueStatus.IGNORED)

    @admin.action(description="Reopen (in Sentry too)")
    def unresolve(self, request, queryset):
        self._set_status(request, queryset, IssueStatus.UNRESOLVED)
