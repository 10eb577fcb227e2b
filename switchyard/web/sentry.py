"""Sentry issues of a product or project: filters, and for the selected: new tickets, an existing
ticket linked, resolve or ignore."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Q
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_POST

from switchyard.core.exceptions import DomainError
from switchyard.core.http import fail_fast
from switchyard.monitoring import services as monitoring
from switchyard.monitoring.models import IssueLevel, IssueStatus, SentryIssue
from switchyard.monitoring.selectors import sentry_issue_list, sentry_projects
from switchyard.products.selectors import product_list, product_subtree
from switchyard.trackers import services as trackers
from switchyard.trackers.selectors import links_by_source, tracker_projects, with_ticket_flag
from switchyard.web.access import staff_only
from switchyard.web.paging import page_of

# How long linking waits for a tracker asked about a ticket not yet known here.
LINK_TIMEOUT_SECONDS = 8.0
LAST_SEEN = {"today": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


class SentryIssueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    product = django_filters.ModelChoiceFilter(
        queryset=None, method="in_product", empty_label="Any product", label="Product"
    )
    project = django_filters.ModelChoiceFilter(queryset=None, empty_label="Any project")
    level = django_filters.ChoiceFilter(choices=IssueLevel.choices, empty_label="Any")
    status = django_filters.ChoiceFilter(choices=IssueStatus.choices, empty_label="Any")
    last_seen = django_filters.ChoiceFilter(
        choices=[("today", "Today"), ("week", "Past 7 days"), ("month", "Past 30 days")],
        method="seen_within",
        empty_label="Any time",
        label="Last seen",
    )
    ticket = django_filters.ChoiceFilter(
        choices=[("yes", "With a ticket"), ("no", "Without a ticket")],
        method="by_ticket",
        empty_label="Any",
        label="Ticket",
    )

    class Meta:
        model = SentryIssue
        fields = ["q", "product", "project", "level", "status", "last_seen", "ticket"]

    def __init__(self, *args, organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.filters["product"].queryset = product_list(organization=organization)
        self.filters["project"].queryset = sentry_projects(organization=organization).order_by(
            "slug"
        )
        self.form.fields["q"].widget.input_type = "search"

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(short_id__icontains=value) | Q(title__icontains=value) | Q(culprit__icontains=value)
        )

    def in_product(self, queryset, name, product):
        return queryset.filter(project__product__in=product_subtree(product=product))

    def seen_within(self, queryset, name, value):
        return queryset.filter(last_seen__gte=timezone.now() - LAST_SEEN[value])

    def by_ticket(self, queryset, name, value):
        # Only here: as a column of every page, the flag makes PostgreSQL hash every link first.
        return with_ticket_flag(queryset).filter(has_ticket=value == "yes")


class SelectionForm(forms.Form):
    """What to do with the selected issues."""

    issues = forms.ModelMultipleChoiceField(queryset=SentryIssue.objects.none())
    action = forms.ChoiceField(
        choices=[
            ("tickets", "Create tickets"),
            ("link", "Link an existing ticket"),
            ("resolved", "Resolve"),
            ("ignored", "Ignore"),
        ]
    )
    tracker_project = forms.ModelChoiceField(queryset=None, required=False)
    ticket = forms.CharField(required=False, max_length=500, label="Ticket")

    def __init__(self, *args, organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issues"].queryset = sentry_issue_list(organization=organization)
        self.fields["tracker_project"].queryset = tracker_projects(
            organization=organization
        ).filter(is_deleted=False)
        self.fields["tracker_project"].label_from_instance = lambda p: f"{p.key} · {p.name}"

    def clean(self):
        data = super().clean()
        if data.get("action") == "tickets" and not data.get("tracker_project"):
            self.add_error("tracker_project", "Choose the tracker project for the tickets.")
        if data.get("action") == "link" and not data.get("ticket"):
            self.add_error("ticket", "Give the key of the ticket to link, such as PAY-7.")
        return data


def _preselected_project(filters: SentryIssueFilter, projects):
    """The product's (or its nearest ancestor's) tracker project, when the list is of one product."""
    product = filters.form.cleaned_data.get("product") if filters.form.is_valid() else None
    if product is None:
        return None
    for ancestor_path in reversed(
        [
            product.path[:end]
            for end in range(product.steplen, len(product.path) + 1, product.steplen)
        ]
    ):
        for project in projects:
            if project.product_id and project.product.path == ancestor_path:
                return project.pk
    return None


@staff_only
def issue_list(request):
    organization = request.user.organization
    issues = sentry_issue_list(organization=organization).order_by("-last_seen", "-id")
    filters = SentryIssueFilter(request.GET, queryset=issues, organization=organization)
    page = page_of(request, filters.qs)
    tickets = links_by_source(model=SentryIssue, source_ids=[issue.pk for issue in page])
    rows = [(issue, tickets.get(issue.pk, [])) for issue in page]
    selection = SelectionForm(organization=organization)
    field = selection.fields["tracker_project"]
    projects = list(field.queryset)
    # The choices from the projects already read: the field would read its queryset again.
    field.choices = [
        ("", field.empty_label),
        *((p.pk, field.label_from_instance(p)) for p in projects),
    ]
    selection.initial["tracker_project"] = _preselected_project(filters, projects)
    context = {"filters": filters, "page": page, "rows": rows, "selection": selection}
    template = "web/sentry/_rows.html" if request.htmx else "web/sentry/issues.html"
    return render(request, template, context)


@staff_only
@require_POST
def act_on_selection(request):
    """Create tickets for, link a ticket to, resolve or ignore the selected issues."""
    form = SelectionForm(request.POST, organization=request.user.organization)
    back = request.POST.get("next", "")
    target = f"/sentry/{back}" if back.startswith("?") else "/sentry/"
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label or field if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}".strip(": "))
        return redirect(target)
    issues, action = list(form.cleaned_data["issues"]), form.cleaned_data["action"]
    if action == "tickets":
        project = form.cleaned_data["tracker_project"]
        try:
            result = trackers.tickets_create_for_sources(sources=issues, tracker_project=project)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(target)
        messages.success(request, f"{len(result.queued)} tickets created in {project.key}.")
        if result.already_linked:
            messages.warning(
                request, f"{len(result.already_linked)} already had a ticket there: skipped."
            )
    elif action == "link":
        _link_existing(request, issues, form.cleaned_data["ticket"])
    else:
        for issue in issues:
            monitoring.sentry_issue_set_status(issue=issue, status=action)
        messages.success(request, f"{len(issues)} issues marked {action}.")
    return redirect(target)


def _link_existing(request, issues: list[SentryIssue], key_or_url: str) -> None:
    """Link one existing ticket to every selected issue; issues already linked there are skipped."""
    linked, skipped = [], 0
    try:
        with fail_fast(timeout=LINK_TIMEOUT_SECONDS), transaction.atomic():
            for issue in issues:
                try:
                    linked.append(
                        trackers.ticket_link_existing(source=issue, key_or_url=key_or_url)
                    )
                except trackers.AlreadyLinked:
                    skipped += 1
    except DomainError as error:
        said = [message for messages_ in error.fields.values() for message in messages_]
        messages.error(request, " ".join(said) or error.message)
        return
    if linked:
        ticket = linked[0].ticket
        messages.success(
            request, f"{ticket.key} linked to {len(linked)} issue{pluralize(len(linked))}."
        )
    if skipped:
        messages.warning(
            request, f"{skipped} already had a ticket in that tracker project: skipped."
        )
