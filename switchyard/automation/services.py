"""Every write to automation rules: create, change, delete (with their validation), and the
entry points the tasks call to evaluate, run, release and notify."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from switchyard.accounts.models import Organization, Role, User
from switchyard.automation import engine
from switchyard.automation.models import AutomationRule
from switchyard.automation.sources import SENTRY, SOURCES, Source
from switchyard.automation.templates import template_errors
from switchyard.core.exceptions import ValidationFailed
from switchyard.monitoring.models import SentryIssue, SentryProject
from switchyard.trackers.connectors.registry import CONNECTORS

# Where each rule field sits in the API body (errors name the field where the client wrote it).
GROUPS = {
    "scope": ("product", "sentry_projects"),
    "conditions": (
        "new_issues_only",
        "min_level",
        "min_events",
        "min_users",
        "regressions_only",
        "text_contains",
        "min_priority",
        "categories",
        "client_raised_only",
    ),
    "action": (
        "tracker_project",
        "issue_type",
        "priority",
        "labels",
        "assignee_email",
        "title_template",
        "description_template",
    ),
}
GROUP_OF = {name: group for group, names in GROUPS.items() for name in names}


class RuleErrors:
    """Field errors gathered while checking a rule, nested as the API body is."""

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, name: str, message: str) -> None:
        target = self.errors
        if group := GROUP_OF.get(name):
            target = self.errors.setdefault(group, {})
        target.setdefault(name, []).append(message)

    def raise_any(self) -> None:
        if self.errors:
            raise ValidationFailed("Invalid rule.", fields=self.errors)


def rule_check(
    rule: AutomationRule, *, sentry_projects: list[SentryProject], changed: Iterable[str] = ()
) -> None:
    """Refuse a rule whose references, conditions or templates do not hold together."""
    errors = RuleErrors()
    source = SOURCES[rule.source]
    _check_scope(rule, sentry_projects, source, errors)
    _check_conditions_of_source(rule, source, errors)
    _check_tracker_project(rule, changed, errors)
    for name in ("title_template", "description_template"):
        for message in template_errors(getattr(rule, name), source.placeholders):
            errors.add(name, message)
    errors.raise_any()


def _check_scope(
    rule: AutomationRule, sentry_projects: list[SentryProject], source: Source, errors: RuleErrors
) -> None:
    """The product and Sentry projects are the organization's, and only Sentry rules have them."""
    organization_id = rule.organization_id
    if rule.product_id and rule.product.organization_id != organization_id:
        errors.add("product", "Unknown product.")
    if any(p.connection.organization_id != organization_id for p in sentry_projects):
        errors.add("sentry_projects", "Unknown Sentry project.")
    if source is not SENTRY and (rule.product_id or sentry_projects):
        name = "product" if rule.product_id else "sentry_projects"
        errors.add(name, "Customer issues have no product or Sentry project to scope by.")


def _check_conditions_of_source(rule: AutomationRule, source: Source, errors: RuleErrors) -> None:
    """Conditions of the other sources are left at their defaults."""
    default = AutomationRule()
    for other in SOURCES.values():
        if other is source:
            continue
        for name in other.condition_fields:
            if getattr(rule, name) != getattr(default, name):
                errors.add(name, f"Not a condition of {rule.get_source_display().lower()}.")


def _check_tracker_project(
    rule: AutomationRule, changed: Iterable[str], errors: RuleErrors
) -> None:
    """The target project is the organization's, a tracker's, still there, and open to rules."""
    project = rule.tracker_project
    if project is None:
        return
    if project.connection.organization_id != rule.organization_id:
        errors.add("tracker_project", "Unknown tracker project.")
    elif project.connection.kind not in CONNECTORS:
        errors.add("tracker_project", "Not a tracker project of a Jira or Linear connection.")
    elif project.is_deleted:
        errors.add("tracker_project", "This project no longer exists in the tracker.")
    elif not project.rules_may_create and "tracker_project" in changed:
        errors.add(
            "tracker_project",
            f"Rules may not create tickets in {project.key}: allow it on the tracker project.",
        )


def _name_taken(organization_id: int, name: str, exclude: int | None) -> bool:
    return (
        AutomationRule.objects.filter(organization_id=organization_id, name=name)
        .exclude(pk=exclude)
        .exists()
    )


def rule_build(
    *, organization: Organization, fields: dict[str, Any], rule: AutomationRule | None = None
) -> tuple[AutomationRule, list[SentryProject]]:
    """An unsaved rule with ``fields`` applied (a new one, or a copy of ``rule``), checked."""
    fields = dict(fields)
    if rule is None:
        rule = AutomationRule(organization=organization)
        projects = []
    else:
        projects = list(rule.sentry_projects.select_related("connection"))
    projects = list(fields.pop("sentry_projects", projects))
    was_active = rule.active if rule.pk else False
    for name, value in fields.items():
        setattr(rule, name, value)
    if "name" in fields and _name_taken(organization.pk, rule.name, rule.pk):
        raise ValidationFailed("Name taken.", fields={"name": ["A rule with this name exists."]})
    rule_check(rule, sentry_projects=projects, changed=fields)
    if rule.active and not was_active:
        rule.activated_at, rule.pause_reason, rule.consecutive_failures = timezone.now(), "", 0
    return rule, projects


@transaction.atomic
def rule_create(*, organization: Organization, fields: dict[str, Any]) -> AutomationRule:
    """Create a rule of the organization."""
    rule, projects = rule_build(organization=organization, fields=fields)
    rule.save()
    rule.sentry_projects.set(projects)
    return rule


@transaction.atomic
def rule_update(*, rule: AutomationRule, fields: dict[str, Any]) -> AutomationRule:
    """Change a rule; activating it (again) clears a pause and starts its "new issues" clock."""
    rule, projects = rule_build(organization=rule.organization, fields=fields, rule=rule)
    rule.save()
    if "sentry_projects" in fields:
        rule.sentry_projects.set(projects)
    return rule


@transaction.atomic
def rule_delete(*, rule: AutomationRule) -> None:
    """Delete a rule and its matches; the tickets it made stay (and keep their issues skipped)."""
    rule.delete()


# -- evaluation entry points -------------------------------------------------------------------


def _evaluate(source: Source, issues: QuerySet) -> engine.Tally:
    """Evaluate the rules over these issues, organization by organization."""
    tally = engine.Tally()
    by_organization: dict[int, list[int]] = defaultdict(list)
    for pk, organization_id in issues.values_list("pk", source.organization_lookup):
        by_organization[organization_id].append(pk)
    for organization_id, ids in by_organization.items():
        done = engine.evaluate_issues(source=source, organization_id=organization_id, issue_ids=ids)
        for outcome, n in done.counts.items():
            tally.add(outcome, n)
    return tally


def issues_changed(*, source: Source, issue_ids: list[int]) -> engine.Tally:
    """Evaluate the rules over issues that came in or changed."""
    return _evaluate(source, source.model._default_manager.filter(pk__any=issue_ids))


def sentry_issues_stored(*, connection_id: int, external_ids: list[str]) -> engine.Tally:
    """A stored batch of Sentry issues: evaluate it as one."""
    return _evaluate(
        SENTRY,
        SentryIssue.objects.filter(connection_id=connection_id, external_id__any=external_ids),
    )


def rules_release_due() -> int:
    """Release what the hourly ceilings held in hours that have ended."""
    return sum(
        engine.rule_release(rule=rule, by_person=False)
        for rule in AutomationRule.objects.filter(
            pk__in=engine.rules_with_due_holds(), active=True, pause_reason=""
        )
    )


def rule_notify_paused(*, rule: AutomationRule) -> int:
    """Email the organization's admins that a rule was paused, and why."""
    recipients = list(
        User.objects.filter(organization=rule.organization_id, role=Role.ADMIN, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not recipients:
        return 0
    return send_mail(
        subject=f"Automation rule paused: {rule.name}",
        message=f"{rule.pause_reason}\n\nFix the cause, then activate the rule again.",
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
    )
