"""The rule engine: which issues a rule matches, and what becomes of each match.

One path serves every trigger. ``plan`` decides (matched, already linked, over the hourly
ceiling) without writing; ``apply`` records the decisions and creates the tickets, all of them at
once, through the trackers' ticket service (so through the outbox, with idempotent creates). A
stored batch asks every active rule at once (the first by position wins an issue; the statement
lives in ``matching``); a preview plans one rule over the organization's issues, and a manual run
applies exactly that plan.

At most one automatic ticket per issue: a ``RuleMatch`` row per issue, unique, is inserted before
the ticket is queued, in the same transaction, every rule's matches of a batch in one statement
that skips the rows already there; a second worker or rule that gets there later finds the row and
leaves the issue alone. The rule rows are locked while a batch is applied (all of them in one
transaction, in the order of their keys), so the hourly ceiling is counted exactly whatever the
number of workers.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from switchyard.automation.matching import (
    BatchMatches,
    matches_by_rule,
    open_links,
    scope_project_ids,
    unmatched,
)
from switchyard.automation.models import AutomationRule, RuleMatch
from switchyard.automation.outcomes import rule_record_failures
from switchyard.automation.sources import Source, source_of
from switchyard.automation.templates import render
from switchyard.core.bulk import insert_rows_skipping_conflicts
from switchyard.trackers import services as trackers
from switchyard.trackers.models import TicketLink, TrackerProject
from switchyard.trackers.sources import TicketDraft, source_for

logger = logging.getLogger(__name__)

Outcome = RuleMatch.Outcome
# A manual run (and its preview) looks at this many matching issues at most.
RUN_LIMIT = 1000
MATCH_COLUMNS = [
    "rule_id",
    "source_type_id",
    "source_id",
    "outcome",
    "error",
    "matched_at",
    "decided_at",
]


@dataclass
class Decision:
    """What a rule would do with one issue."""

    issue: models.Model
    reference: str
    outcome: str
    project: TrackerProject | None = None
    error: str = ""


@dataclass
class Tally:
    """What an evaluation did, per outcome (``claimed``: issues another worker took first)."""

    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] += n

    def as_dict(self) -> dict[str, int]:
        return {name: self.counts.get(name, 0) for name in [*Outcome.values, "claimed"]}


def hour_start(moment: datetime | None = None) -> datetime:
    return (moment or timezone.now()).replace(minute=0, second=0, microsecond=0)


def _open_linked(source: Source, issue_ids: list[int]) -> set[int]:
    """Of these issues, those with a live link to a ticket that is not closed (or being made)."""
    return set(
        open_links(source).filter(source_id__any=issue_ids).values_list("source_id", flat=True)
    )


def created_this_hour(rule: AutomationRule) -> int:
    if rule.pk is None:
        return 0  # an unsaved rule (a preview) has made nothing yet
    return RuleMatch.objects.filter(
        rule=rule, outcome=Outcome.CREATED, decided_at__gte=hour_start()
    ).count()


def _created_this_hour_by_rule(rules: list[AutomationRule]) -> dict[int, int]:
    return dict(
        RuleMatch.objects.filter(
            rule__in=rules, outcome=Outcome.CREATED, decided_at__gte=hour_start()
        )
        .values("rule_id")
        .annotate(n=models.Count("pk"))
        .values_list("rule_id", "n")
    )


def target_project(
    rule: AutomationRule, source: Source, issue
) -> tuple[TrackerProject | None, str]:
    """Where the rule's ticket for ``issue`` goes, or why it cannot go anywhere."""
    project = rule.tracker_project or source.default_project(issue)
    if project is None:
        return None, "No tracker project is mapped to the issue's product."
    if not project.rules_may_create:
        return None, f"Rules may not create tickets in {project.key} (see the tracker project)."
    if project.is_deleted:
        return None, f"{project.key} no longer exists in the tracker."
    return project, ""


def plan(
    rule: AutomationRule,
    issues: list[models.Model],
    *,
    already_created: int | None = None,
    linked: set[int] | None = None,
) -> list[Decision]:
    """What ``rule`` does with issues it matched and no rule has claimed (no writes).

    ``already_created`` (tickets this hour) and ``linked`` (issues with an open ticket) are read
    here unless the caller read them for several rules at once."""
    source = source_of(rule)
    if linked is None:
        linked = _open_linked(source, [issue.pk for issue in issues])
    room = rule.hourly_ceiling - (
        created_this_hour(rule) if already_created is None else already_created
    )
    decisions = []
    for issue in issues:
        reference = source.reference(issue)
        if issue.pk in linked:
            decisions.append(Decision(issue, reference, Outcome.SKIPPED))
            continue
        project, error = target_project(rule, source, issue)
        if project is None:
            decisions.append(Decision(issue, reference, Outcome.FAILED, error=error))
        elif room > 0:
            room -= 1
            decisions.append(Decision(issue, reference, Outcome.CREATED, project))
        else:
            decisions.append(Decision(issue, reference, Outcome.THROTTLED, project))
    return decisions


def _draft(rule: AutomationRule, source: Source, issue) -> TicketDraft:
    own = source_for(source.model).draft(issue)
    values = source.template_values(issue)
    return TicketDraft(
        summary=(render(rule.title_template, values) if rule.title_template else own.summary)[:250],
        description=render(rule.description_template, values)
        if rule.description_template
        else own.description,
        priority=rule.priority or own.priority,
        labels=tuple(rule.labels) or own.labels,
        assignee_email=rule.assignee_email,
    )


def _claim(plans: list[tuple[AutomationRule, list[Decision]]]) -> dict[int, tuple]:
    """Insert a match per decision of every rule in one statement; the rows this call won (its
    ``MATCH_COLUMNS`` with the new key in front), by issue.

    The unique row per issue decides: rows another rule or worker inserted first are left alone
    and not returned; a worker inserting the same issue at the same time is waited for.
    """
    now = timezone.now()
    rows = []
    for rule, decisions in plans:
        content_type = ContentType.objects.get_for_model(source_of(rule).model).pk
        rows += [
            (
                rule.pk,
                content_type,
                decision.issue.pk,
                decision.outcome,
                decision.error,
                now,
                now if decision.outcome == Outcome.FAILED else None,
            )
            for decision in decisions
        ]
    won = insert_rows_skipping_conflicts(RuleMatch, MATCH_COLUMNS, rows, ["id", "source_id"])
    by_issue = {row[2]: row for row in rows}
    return {source_id: (pk, *by_issue[source_id]) for pk, source_id in won}


def _make_tickets(making: list[tuple[AutomationRule, int, Decision]]) -> dict[int, RuleMatch]:
    """Create the tickets of the matches won with a decision to create one (rule, match key,
    decision), all at once through the trackers' bulk service; record on each match what came of
    it (one update). The matches by key."""
    results = trackers.tickets_create_for_orders(
        orders=[
            trackers.TicketOrder(
                source=decision.issue,
                tracker_project=decision.project,
                draft=_draft(rule, source_of(rule), decision.issue),
                issue_type=rule.issue_type,
            )
            for rule, _, decision in making
        ],
        via=TicketLink.CreatedVia.RULE,
    )
    now = timezone.now()
    matches = {}
    for (_, pk, _), result in zip(making, results, strict=True):
        match = RuleMatch(pk=pk, link_id=result.link_id, error=result.refused, decided_at=now)
        if result.link_id is not None:
            match.outcome = Outcome.CREATED
        elif result.already_linked:
            match.outcome = Outcome.SKIPPED
        else:
            match.outcome = Outcome.FAILED
        matches[pk] = match
    RuleMatch.objects.bulk_update(matches.values(), ["outcome", "link", "error", "decided_at"])
    return matches


def _tally_rule(
    rule: AutomationRule,
    decisions: list[Decision],
    won: dict[int, tuple],
    made: dict[int, RuleMatch],
    tally: Tally,
) -> bool:
    """Count what came of each of the rule's decisions; record its failures. Whether it made a
    ticket."""
    failures, fired, errors = 0, False, []
    for decision in decisions:
        row = won.get(decision.issue.pk)
        if row is None:
            tally.add("claimed")  # another rule or worker has it
            continue
        outcome, error = decision.outcome, decision.error
        if row[0] in made:
            outcome, error = made[row[0]].outcome, made[row[0]].error
        tally.add(outcome)
        fired |= outcome == Outcome.CREATED
        failures += outcome == Outcome.FAILED
        errors += [error] if error else []
    if failures:
        rule_record_failures(rule=rule, count=failures, reason=errors[-1] if errors else "")
    return fired


def apply(plans: list[tuple[AutomationRule, list[Decision]]], tally: Tally) -> None:
    """Record each rule's decisions and queue the tickets (call inside a transaction holding
    the rules): the matches in one insert, the tickets of those this call won in one go."""
    plans = [(rule, decisions) for rule, decisions in plans if decisions]
    if not plans:
        return
    won = _claim(plans)
    making = [
        (rule, won[decision.issue.pk][0], decision)
        for rule, decisions in plans
        for decision in decisions
        if decision.outcome == Outcome.CREATED and decision.issue.pk in won
    ]
    made = _make_tickets(making) if making else {}
    fired = [rule.pk for rule, decisions in plans if _tally_rule(rule, decisions, won, made, tally)]
    if fired:
        now = timezone.now()
        AutomationRule.objects.filter(pk__in=fired).update(last_fired_at=now)
        for rule, _ in plans:
            if rule.pk in fired:
                rule.last_fired_at = now


def decisions_error(decisions: list[Decision]) -> str:
    return next((d.error for d in reversed(decisions) if d.error), "")


def _locked(rule_ids: list[int]) -> list[AutomationRule]:
    """Those of the rules that may still act, locked for this transaction (in the order of their
    keys, the same in every worker), in the order given."""
    locked = {
        rule.pk: rule
        for rule in AutomationRule.objects.select_for_update(of=("self",))
        .filter(pk__in=rule_ids, active=True, pause_reason="")
        .select_related("organization", "tracker_project__connection", "product")
        .order_by("pk")
    }
    return [locked[pk] for pk in rule_ids if pk in locked]


# -- triggers ----------------------------------------------------------------------------------


def _loaded(source: Source, organization_id: int, pks: set[int]) -> dict[int, models.Model]:
    """The issues themselves in place of their stand-ins (those deleted meanwhile are absent)."""
    return {issue.pk: issue for issue in source.issues(organization_id).filter(pk__any=list(pks))}


def _plan_batch(
    source: Source, organization_id: int, rules: list[AutomationRule], batch: BatchMatches
) -> list[tuple[AutomationRule, list[Decision]]]:
    """Every rule's decisions over its matches of a batch (inside the transaction holding the
    rules). A rule without its own tracker project reads each issue's product to find one; the
    others need an issue only to make its ticket. An issue deleted since it matched is left out.

    An issue linked since the match query read it is decided as not linked: its ticket is then
    refused by the one-live-link rule (counted as skipped), or its held match skipped on release."""
    created = _created_this_hour_by_rule(rules)
    by_rule = batch.by_rule
    for rule in rules:
        if rule.tracker_project_id is None:
            loaded = _loaded(source, organization_id, {i.pk for i in by_rule[rule.pk]})
            by_rule[rule.pk] = [loaded[i.pk] for i in by_rule[rule.pk] if i.pk in loaded]
    plans = [
        (
            rule,
            plan(
                rule,
                by_rule[rule.pk],
                already_created=created.get(rule.pk, 0),
                linked=batch.linked,
            ),
        )
        for rule in rules
    ]
    making = {d.issue.pk for _, ds in plans for d in ds if d.outcome == Outcome.CREATED}
    loaded = _loaded(source, organization_id, making)
    for _, decisions in plans:
        for decision in decisions:
            if decision.outcome == Outcome.CREATED:
                decision.issue = loaded.get(decision.issue.pk)
        decisions[:] = [decision for decision in decisions if decision.issue is not None]
    return plans


def evaluate_issues(*, source: Source, organization_id: int, issue_ids: list[int]) -> Tally:
    """Run every active rule of the organization over issues that came in or changed."""
    tally = Tally()
    batch = matches_by_rule(source, organization_id, issue_ids)
    matched = [pk for pk in batch.rule_ids if batch.by_rule.get(pk)]
    if not matched:
        return tally
    with transaction.atomic():
        apply(_plan_batch(source, organization_id, _locked(matched), batch), tally)
    if any(tally.counts.values()):
        logger.info(
            "automation.evaluated",
            extra={"organization": organization_id, "outcomes": tally.as_dict()},
        )
    return tally


def selection(rule: AutomationRule, project_ids: list[int]) -> tuple[list[models.Model], bool]:
    """The organization's issues ``rule`` matches that no rule has claimed (at most RUN_LIMIT)."""
    source = source_of(rule)
    queryset = unmatched(source, source.issues(rule.organization_id)).filter(
        source.rule_filter(rule, project_ids)
    )
    issues = list(queryset.order_by("pk")[: RUN_LIMIT + 1])
    return issues[:RUN_LIMIT], len(issues) > RUN_LIMIT


def rule_preview(*, rule: AutomationRule, project_ids: list[int]) -> tuple[list[Decision], bool]:
    """What running ``rule`` (saved or not) would do now; nothing is written."""
    issues, truncated = selection(rule, project_ids)
    return plan(rule, issues), truncated


def rule_run(*, rule: AutomationRule) -> tuple[list[Decision], bool, Tally]:
    """Run a saved rule over the organization's existing issues now: the preview, applied."""
    tally = Tally()
    with transaction.atomic():
        locked = AutomationRule.objects.select_for_update().get(pk=rule.pk)
        decisions, truncated = rule_preview(rule=locked, project_ids=scope_project_ids(locked))
        apply([(locked, decisions)], tally)
    return decisions, truncated, tally


def rule_release(*, rule: AutomationRule, by_person: bool) -> int:
    """Create the tickets of held matches: all of them for a person, else up to this hour's room.
    A held issue gone or linked since is skipped; one with nowhere to go fails."""
    with transaction.atomic():
        rule = AutomationRule.objects.select_for_update().get(pk=rule.pk)
        source = source_of(rule)
        held = list(
            RuleMatch.objects.filter(rule=rule, outcome=Outcome.THROTTLED).order_by(
                "matched_at", "pk"
            )
        )
        if not by_person:
            held = held[: max(0, rule.hourly_ceiling - created_this_hour(rule))]
        issues = _loaded(source, rule.organization_id, {match.source_id for match in held})
        linked = _open_linked(source, list(issues))
        now = timezone.now()
        making, settled = [], []
        for match in held:
            issue = issues.get(match.source_id)
            if issue is None or issue.pk in linked:
                match.outcome = Outcome.SKIPPED
            else:
                project, match.error = target_project(rule, source, issue)
                if project is not None:
                    decision = Decision(issue, source.reference(issue), Outcome.CREATED, project)
                    making.append((rule, match.pk, decision))
                    continue
                match.outcome = Outcome.FAILED
            match.decided_at = now
            settled.append(match)
        RuleMatch.objects.bulk_update(settled, ["outcome", "error", "decided_at"])
        made = _make_tickets(making) if making else {}
        released = sum(match.outcome == Outcome.CREATED for match in made.values())
        if released:
            rule.last_fired_at = now
            rule.save(update_fields=["last_fired_at"])
    return released


def rules_with_due_holds() -> list[int]:
    """Rules holding matches from an hour that has ended (the ceiling has room again)."""
    return list(
        RuleMatch.objects.filter(outcome=Outcome.THROTTLED, matched_at__lt=hour_start())
        .values_list("rule_id", flat=True)
        .distinct()
    )
