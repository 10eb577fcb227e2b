"""The customer portal: my issues, raise an issue, an issue's page with its timeline and comments."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from switchyard.accounts.models import Order, Organization, Vendor
from switchyard.accounts.selectors import customer_orders, organizations_visible_to, vendor_list
from switchyard.core.exceptions import DomainError
from switchyard.support import selectors, services
from switchyard.support.models import CustomerIssue, IssueCategory, IssuePriority, IssueStatus
from switchyard.support.notifications import notifications_set, wants_issue_emails
from switchyard.web.access import customer_only
from switchyard.web.forms import show_domain_error
from switchyard.web.paging import page_of
from switchyard.web.timeline import issue_timeline


class MyIssuesFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=IssueStatus.choices, empty_label="Any status")

    class Meta:
        model = CustomerIssue
        fields = ["status"]


@customer_only
def my_issues(request):
    """The customer's issues, the newest activity first, filtered by status through the URL."""
    issues = selectors.issues_visible_to(user=request.user).order_by("-updated_at", "-id")
    filters = MyIssuesFilter(request.GET, queryset=issues)
    page = page_of(request, filters.qs)
    template = "web/portal/_issue_rows.html" if request.htmx else "web/portal/my_issues.html"
    return render(request, template, {"filters": filters, "page": page})


class OrderChoice(forms.ModelChoiceField):
    def label_from_instance(self, order: Order) -> str:
        return (
            f"Order {order.number} · {order.ordered_on:%d %b %Y} · {order.amount} {order.currency}"
        )


class RaiseForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none())
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}))
    priority = forms.ChoiceField(choices=IssuePriority.choices, initial=IssuePriority.MEDIUM)
    category = forms.ChoiceField(choices=IssueCategory.choices, initial=IssueCategory.GENERAL)
    vendor = forms.ModelChoiceField(queryset=Vendor.objects.none(), required=False)
    order = OrderChoice(queryset=Order.objects.none(), required=False)

    def __init__(self, *args, customer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        organizations = organizations_visible_to(user=customer)
        self.fields["organization"].queryset = organizations
        self.fields["organization"].widget.attrs.update(
            {
                "hx-get": reverse("web:portal_raise_choices"),
                "hx-target": "#org-choices",
                "hx-swap": "outerHTML",
            }
        )
        # The vendor and order lists are those of the organization chosen (or being chosen).
        chosen = self.data.get("organization") or self.initial.get("organization")
        organization = (
            organizations.filter(pk=chosen).first() if str(chosen or "").isdigit() else None
        )
        if organization is not None:
            self.fields["vendor"].queryset = vendor_list(organization=organization)
            self.fields["order"].queryset = customer_orders(
                customer=customer, organization=organization
            )


@customer_only
def raise_issue(request):
    form = RaiseForm(request.POST if request.method == "POST" else None, customer=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            raised = services.issue_raise(customer=request.user, **form.cleaned_data)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            messages.success(request, f"{raised.issue.issue_number} raised. We'll keep you posted.")
            return redirect("web:portal_issue", pk=raised.issue.pk)
    return render(request, "web/portal/raise.html", {"form": form})


@customer_only
def raise_choices(request):
    """The vendor and order fields for the organization just chosen (an htmx fragment)."""
    form = RaiseForm(
        initial={"organization": request.GET.get("organization")}, customer=request.user
    )
    return render(request, "web/portal/_org_choices.html", {"form": form})


class CommentForm(forms.Form):
    text = forms.CharField(label="Add a comment", widget=forms.Textarea(attrs={"rows": 4}))


@customer_only
def issue_page(request, pk: int):
    """One of the customer's issues: details, timeline, comment box (POST adds a comment)."""
    issues = selectors.issue_with_thread(selectors.issues_visible_to(user=request.user))
    issue = get_object_or_404(issues, pk=pk)
    form = CommentForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.issue_comment(issue=issue, author=request.user, text=form.cleaned_data["text"])
        messages.success(request, "Comment added.")
        return redirect("web:portal_issue", pk=issue.pk)
    return render(
        request,
        "web/portal/issue.html",
        {"issue": issue, "timeline": issue_timeline(issue), "form": form},
    )


class EmailSettingsForm(forms.Form):
    email_on_issue_updates = forms.BooleanField(
        required=False, label="Email me when my issue's status changes or staff reply"
    )


@customer_only
def email_settings(request):
    """The customer turns issue emails on or off."""
    form = EmailSettingsForm(
        request.POST if request.method == "POST" else None,
        initial={"email_on_issue_updates": wants_issue_emails(request.user)},
    )
    if request.method == "POST" and form.is_valid():
        notifications_set(user=request.user, **form.cleaned_data)
        messages.success(request, "Email settings saved.")
        return redirect("web:portal_email")
    return render(request, "web/portal/email.html", {"form": form})
