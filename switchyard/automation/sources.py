"""What a rule can watch: per source, which issues are in scope, which conditions hold, what the
templates may say and where the ticket goes by default.

A rule's scope and conditions compile to one ``Q`` over the source's model, so the same filter
decides for a stored batch, a preview and a manual run.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from switchyard.monitoring.models import SentryIssue
from switchyard.products.models import Product
from switchyard.support.models import CustomerIssue, IssuePriority
from switchyard.support.services import support_project
from switchyard.trackers.models import TrackerProject

if TYPE_CHECKING:
    from switchyard.automation.models import AutomationRule

LEVELS = ["debug", "info", "warning", "error", "fatal"]
PRIORITIES = list(IssuePriority.values)  # low < medium < high < urgent


def at_least(order: list[str], minimum: str) -> list[str]:
    return order[order.index(minimum) :]


def _when(moment) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


@dataclass(frozen=True)
class Source:
    """How rules see one kind of issue."""

    key: str
    model: type[models.Model]
    organization_lookup: str
    reference_field: str  # how people name an issue (a Sentry short id, a customer issue number)
    placeholders: frozenset[str]
    # Fields of AutomationRule that only make sense for this source.
    condition_fields: tuple[str, ...]

    def issues(self, organization_id: int) -> models.QuerySet:
        raise NotImplementedError

    def rule_filter(self, rule: AutomationRule, project_ids: list[int]) -> Q:
        """The rule's scope and conditions (``project_ids``: its Sentry projects)."""
        raise NotImplementedError

    def template_values(self, issue) -> dict[str, object]:
        raise NotImplementedError

    def reference(self, issue) -> str:
        return getattr(issue, self.reference_field)

    def stand_in(self, pk: int, reference: str) -> SimpleNamespace:
        """An issue known by its key and reference only, for deciding without loading it."""
        return SimpleNamespace(pk=pk, **{self.reference_field: reference})

    def default_project(self, issue) -> TrackerProject | None:
        raise NotImplementedError


class SentrySource(Source):
    def issues(self, organization_id: int) -> models.QuerySet:
        # The connection's secrets are never needed here, and decrypting them per issue is not free.
        return (
            SentryIssue.objects.filter(
                connection__organization_id=organization_id, is_deleted=False
            )
            .select_related("project__product", "connection")
            .defer("connection__api_token", "connection__webhook_secret")
        )

    def rule_filter(self, rule: AutomationRule, project_ids: list[int]) -> Q:
        q = Q()
        if rule.product_id:
            q &= Q(
                project__product__organization_id=rule.organization_id,
                project__product__path__startswith=rule.product.path,
            )
        if project_ids:
            q &= Q(project_id__in=project_ids)
        if rule.new_issues_only:
            # An inactive rule (a preview) counts from now: nothing seen so far is new.
            q &= Q(first_seen__gte=rule.activated_at) if rule.activated_at else Q(pk__in=[])
        if rule.min_level:
            q &= Q(level__in=at_least(LEVELS, rule.min_level))
        if rule.min_events is not None:
            q &= Q(event_count__gte=rule.min_events)
        if rule.min_users is not None:
            q &= Q(user_count__gte=rule.min_users)
        if rule.regressions_only:
            q &= Q(status="unresolved", substatus="regressed")
        if rule.text_contains:
            q &= Q(title__icontains=rule.text_contains) | Q(culprit__icontains=rule.text_contains)
        return q

    def template_values(self, issue: SentryIssue) -> dict[str, object]:
        product = issue.project.product
        return {
            "title": issue.title,
            "short_id": issue.short_id,
            "level": issue.level,
            "count": issue.event_count,
            "user_count": issue.user_count,
            "product": product.name if product else "",
            "permalink": issue.permalink,
            "first_seen": _when(issue.first_seen),
            "culprit": issue.culprit,
        }

    def default_project(self, issue: SentryIssue) -> TrackerProject | None:
        """The tracker project mapped to the issue's product, or else to its nearest ancestor."""
        product = issue.project.product
        if product is None:
            return None
        lineage = {p.pk: p.depth for p in [product, *Product.objects.get_ancestors(product)]}
        projects = TrackerProject.objects.filter(
            product_id__in=lineage, is_deleted=False
        ).select_related("connection")
        return min(
            projects,
            key=lambda p: (-lineage[p.product_id], not p.rules_may_create, p.key),
            default=None,
        )


class CustomerSource(Source):
    def issues(self, organization_id: int) -> models.QuerySet:
        return CustomerIssue.objects.filter(organization_id=organization_id).select_related(
            "raised_by_customer", "organization"
        )

    def rule_filter(self, rule: AutomationRule, project_ids: list[int]) -> Q:
        q = Q(status__in=["open", "in_progress"])
        if rule.min_priority:
            q &= Q(priority__in=at_least(PRIORITIES, rule.min_priority))
        if rule.categories:
            q &= Q(category__in=rule.categories)
        if rule.client_raised_only:
            q &= Q(is_client_issue=True)
        return q

    def template_values(self, issue: CustomerIssue) -> dict[str, object]:
        customer = issue.raised_by_customer
        return {
            "title": issue.title,
            "issue_number": issue.issue_number,
            "priority": issue.priority,
            "category": issue.category,
            "customer": customer.display_name if customer else "",
        }

    def default_project(self, issue: CustomerIssue) -> TrackerProject | None:
        return support_project(organization=issue.organization)


SENTRY = SentrySource(
    key="sentry",
    model=SentryIssue,
    organization_lookup="connection__organization_id",
    reference_field="short_id",
    placeholders=frozenset(
        "title short_id level count user_count product permalink first_seen culprit".split()
    ),
    condition_fields=(
        "new_issues_only",
        "min_level",
        "min_events",
        "min_users",
        "regressions_only",
        "text_contains",
    ),
)
CUSTOMER = CustomerSource(
    key="customer",
    model=CustomerIssue,
    organization_lookup="organization_id",
    reference_field="issue_number",
    placeholders=frozenset("title issue_number priority category customer".split()),
    condition_fields=("min_priority", "categories", "client_raised_only"),
)
SOURCES = {SENTRY.key: SENTRY, CUSTOMER.key: CUSTOMER}


def source_of(rule: AutomationRule) -> Source:
    return SOURCES[rule.source]
