"""The organization's tracker tickets (Jira and Linear), with what each tracks, filtered through the URL."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.shortcuts import render

from switchyard.products.selectors import product_list, product_subtree
from switchyard.trackers.models import LocalPriority, Ticket
from switchyard.trackers.selectors import (
    ticket_table,
    tickets_in_products,
    tickets_of_priority,
    tickets_open,
    tickets_with_source,
    tracker_projects,
)
from switchyard.web.access import staff_only
from switchyard.web.paging import page_of

ORDERINGS = [
    ("-remote_updated_at", "Recently updated"),
    ("-remote_created_at", "Newest"),
    ("remote_created_at", "Oldest"),
    ("key", "Key"),
    ("status_category", "Status"),
]


class TicketFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    product = django_filters.ModelChoiceFilter(
        queryset=None, method="in_product", empty_label="Any product", label="Product"
    )
    project = django_filters.ModelChoiceFilter(
        queryset=None, field_name="tracker_project", empty_label="Any project", label="Project"
    )
    status = django_filters.ChoiceFilter(
        choices=[("open", "Open"), ("closed", "Closed")],
        method="by_status",
        empty_label="Any",
        label="Status",
    )
    priority = django_filters.ChoiceFilter(
        choices=LocalPriority.choices, method="by_priority", empty_label="Any", label="Priority"
    )
    source = django_filters.ChoiceFilter(
        choices=[("yes", "With a source"), ("no", "Without a source")],
        method="by_source",
        empty_label="Any",
        label="Source",
    )
    ordering = django_filters.OrderingFilter(
        fields=[name.lstrip("-") for name, _ in ORDERINGS], empty_label=None, label="Order"
    )

    class Meta:
        model = Ticket
        fields = ["q", "product", "project", "status", "priority", "source"]

    def __init__(self, *args, organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.filters["product"].queryset = product_list(organization=organization)
        self.filters["project"].queryset = tracker_projects(organization=organization).order_by(
            "key", "pk"
        )
        self.filters["ordering"].extra["choices"] = ORDERINGS
        self.form.fields["q"].widget.input_type = "search"

    def search(self, queryset, name, value):
        return queryset.filter(Q(key__icontains=value) | Q(summary__icontains=value))

    def in_product(self, queryset, name, product):
        return tickets_in_products(queryset, products=product_subtree(product=product))

    def by_status(self, queryset, name, value):
        return tickets_open(queryset, is_open=value == "open")

    def by_priority(self, queryset, name, value):
        return tickets_of_priority(queryset, organization=self.organization, priority=value)

    def by_source(self, queryset, name, value):
        return tickets_with_source(queryset, linked=value == "yes")


@staff_only
def ticket_list(request):
    """Tickets of the organization's tracker projects, newest activity first."""
    organization = request.user.organization
    tickets = ticket_table(organization=organization).order_by("-remote_updated_at", "-id")
    filters = TicketFilter(request.GET, queryset=tickets, organization=organization)
    context = {"filters": filters, "page": page_of(request, filters.qs)}
    template = "web/tickets/_rows.html" if request.htmx else "web/tickets/tickets.html"
    return render(request, template, context)
