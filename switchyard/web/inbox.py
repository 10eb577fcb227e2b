"""The staff inbox of customer issues: filters, bulk actions, and an issue's page with every action."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from switchyard.accounts.selectors import staff_list
from switchyard.core.exceptions import DomainError
from switchyard.products.selectors import product_list, product_subtree
from switchyard.support import selectors, services
from switchyard.support.models import CustomerIssue, IssueCategory, IssuePriority, IssueStatus
from switchyard.trackers import services as trackers
from switchyard.trackers.selectors import links_of_source, tracker_project_list
from switchyard.web.access import staff_only
from switchyard.web.forms import show_domain_error
from switchyard.web.paging import page_of
from switchyard.web.timeline import issue_timeline

ORDERINGS = [
    ("-updated_at", "Recently updated"),
    ("-created_at", "Newest"),
    ("created_at", "Oldest"),
    ("issue_number", "Number"),
    ("priority", "Priority"),
    ("status", "Status"),
]


class InboxFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.ChoiceFilter(choices=IssueStatus.choices, empty_label="Any")
    priority = django_filters.ChoiceFilter(choices=IssuePriority.choices, empty_label="Any")
    category = django_filters.ChoiceFilter(choices=IssueCategory.choices, empty_label="Any")
    product = django_filters.ModelChoiceFilter(
        queryset=None, method="in_product", empty_label="Any product", label="Product"
    )
    source = django_filters.ChoiceFilter(
        choices=[("client", "Client-raised"), ("internal", "Internal")],
        method="by_source",
        empty_label="Any",
        label="Source",
    )
    assignee = django_filters.ChoiceFilter(
        method="by_assignee", empty_label="Anyone", label="Assignee"
    )
    ordering = django_filters.OrderingFilter(
        fields=[name.lstrip("-") for name, _ in ORDERINGS], empty_label=None, label="Order"
    )

    class Meta:
        model = CustomerIssue
        fields = ["q", "status", "priority", "category", "product", "source", "assignee"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["product"].queryset = product_list(organization=user.organization)
        people = [(str(p.pk), p.display_name) for p in staff_list(organization=user.organization)]
        self.filters["assignee"].extra["choices"] = [
            ("mine", "Mine"),
            ("unassigned", "Unassigned"),
            *people,
        ]
        self.filters["ordering"].extra["choices"] = ORDERINGS
        self.form.fields["q"].widget.input_type = "search"

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(issue_number__icontains=value)
            | Q(title__icontains=value)
            | Q(description__icontains=value)
        )

    def in_product(self, queryset, name, product):
        return selectors.issues_in_products(queryset, products=product_subtree(product=product))

    def by_source(self, queryset, name, value):
        return queryset.filter(is_client_issue=value == "client")

    def by_assignee(self, queryset, name, value):
        if value == "mine":
            return queryset.filter(assigned_to=self.user)
        if value == "unassigned":
            return queryset.filter(assigned_to__isnull=True)
        return queryset.filter(assigned_to_id=value)


def _assignee_field(organization, **kwargs) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        queryset=staff_list(organization=organization), label="Assignee", **kwargs
    )
    field.label_from_instance = lambda user: f"{user.display_name} ({user.get_role_display()})"
    return field


class BulkForm(forms.Form):
    issues = forms.ModelMultipleChoiceField(queryset=CustomerIssue.objects.none())
    action = forms.ChoiceField(choices=[("assign", "Assign"), ("status", "Set status")])
    assignee = forms.ModelChoiceField(queryset=CustomerIssue.objects.none(), required=False)
    status = forms.ChoiceField(choices=[("", "—"), *IssueStatus.choices], required=False)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issues"].queryset = selectors.issues_visible_to(user=user)
        self.fields["assignee"] = _assignee_field(user.organization, required=False)

    def clean(self):
        data = super().clean()
        if data.get("action") == "assign" and not data.get("assignee"):
            self.add_error("assignee", "Choose who to assign the issues to.")
        if data.get("action") == "status" and not data.get("status"):
            self.add_error("status", "Choose a status.")
        return data


@staff_only
def inbox(request):
    """The organization's customer issues, filtered and ordered through the URL."""
    issues = selectors.issues_visible_to(user=request.user).order_by("-updated_at", "-id")
    filters = InboxFilter(request.GET, queryset=issues, user=request.user)
    page = page_of(request, filters.qs)
    context = {"filters": filters, "page": page, "bulk": BulkForm(user=request.user)}
    template = "web/inbox/_rows.html" if request.htmx else "web/inbox/inbox.html"
    return render(request, template, context)


@staff_only
@require_POST
def bulk(request):
    """Assign several issues, or move them to one status, through the same services as one by one."""
    form = BulkForm(request.POST, user=request.user)
    back = request.POST.get("next", "")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(f"/inbox/{back}" if back.startswith("?") else "web:inbox")
    done, refused = 0, []
    for issue in form.cleaned_data["issues"]:
        try:
            if form.cleaned_data["action"] == "assign":
                services.issue_assign(
                    issue=issue, actor=request.user, employee_id=form.cleaned_data["assignee"].pk
                )
            else:
                services.issue_update(
                    issue=issue, actor=request.user, status=form.cleaned_data["status"]
                )
            done += 1
        except DomainError as error:
            refused.append(f"{issue.issue_number}: {error.message}")
    messages.success(request, f"{done} issue{'s' if done != 1 else ''} updated.")
    for message in refused:
        messages.error(request, message)
    return redirect(f"/inbox/{back}" if back.startswith("?") else "web:inbox")


# -- one issue -----------------------------------------------------------------------------


class ChangeForm(forms.Form):
    status = forms.ChoiceField(choices=IssueStatus.choices)
    priority = forms.ChoiceField(choices=IssuePriority.choices)


class AssignForm(forms.Form):
    def __init__(self, *args, organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employee"] = _assignee_field(organization)


class ResolveForm(forms.Form):
    resolution_notes = forms.CharField(
        label="Resolution notes", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class EscalateForm(forms.Form):
    def __init__(self, *args, organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tracker_project"] = forms.ModelChoiceField(
            queryset=tracker_project_list(organization=organization).filter(is_deleted=False),
            label="Tracker project",
        )


class CommentForm(forms.Form):
    text = forms.CharField(label="Reply", widget=forms.Textarea(attrs={"rows": 4}))


def _forms(issue: CustomerIssue, data=None, which: str = "") -> dict:
    """Every form of the issue page; the one named ``which`` is bound to ``data``."""
    org = issue.organization

    def bound(name):
        return data if name == which else None

    return {
        "change": ChangeForm(
            bound("change"), initial={"status": issue.status, "priority": issue.priority}
        ),
        "assign": AssignForm(
            bound("assign"), organization=org, initial={"employee": issue.assigned_to_id}
        ),
        "resolve": ResolveForm(bound("resolve")),
        "escalate": EscalateForm(bound("escalate"), organization=org),
        "comment": CommentForm(bound("comment")),
    }


def _act(request, issue: CustomerIssue, which: str, form: forms.Form) -> str:
    """Run the service behind one form; returns the message to show."""
    data, user = form.cleaned_data, request.user
    if which == "change":
        services.issue_update(issue=issue, actor=user, **data)
        services.issue_deliver_soon(issue=issue)
        return "Issue updated."
    if which == "assign":
        issue = services.issue_assign(issue=issue, actor=user, employee_id=data["employee"].pk)
        return f"Assigned to {issue.assigned_to.display_name}."
    if which == "resolve":
        services.issue_resolve(issue=issue, actor=user, resolution_notes=data["resolution_notes"])
        services.issue_deliver_soon(issue=issue)
        return "Issue resolved."
    if which == "reopen":
        services.issue_reopen(issue=issue, actor=user)
        services.issue_deliver_soon(issue=issue)
        return "Issue reopened."
    if which == "sync":
        synced = services.issue_sync_to_tracker(issue=issue, actor=user)
        return (
            "In sync with the tracker."
            if synced
            else "The tracker could not be reached; the sync will be retried."
        )
    if which == "escalate":
        trackers.ticket_create_for_source(source=issue, tracker_project=data["tracker_project"])
        return f"Escalated to {data['tracker_project'].name}."
    services.issue_comment(issue=issue, author=user, text=data["text"])
    return "Reply added."


ACTIONS = {"change", "assign", "resolve", "reopen", "sync", "escalate", "comment"}
# Service field names that a form shows under another name.
ALIASES = {"employee_id": "employee", "linear_team_id": None}


@staff_only
def issue_page(request, pk: int):
    """An issue with its tracker link and history; each form posts here with ``action``."""
    issues = selectors.issue_with_thread(selectors.issues_visible_to(user=request.user))
    issue = get_object_or_404(issues, pk=pk)
    which = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST" and which not in ACTIONS:
        messages.error(request, "Unknown action.")
        return redirect("web:inbox_issue", pk=issue.pk)
    all_forms = _forms(issue, request.POST, which)
    form = all_forms.get(which, forms.Form(request.POST if request.method == "POST" else None))
    if which and form.is_valid():
        try:
            messages.success(request, _act(request, issue, which, form))
            return redirect("web:inbox_issue", pk=issue.pk)
        except DomainError as error:
            show_domain_error(form, error, aliases=ALIASES)
    return render(
        request,
        "web/inbox/issue.html",
        {
            "issue": issue,
            "timeline": issue_timeline(issue),
            "links": links_of_source(source=issue).select_related("tracker_project__connection"),
            "forms": all_forms,
            "action_form": form,
        },
    )
