"""The match query of a stored batch: which of its issues each active rule of the organization
takes, the first rule by position winning an issue.

The statement asks every rule at once, one flag per rule, from the same filters a preview and a
manual run use (``Source.rule_filter``), and whether the issue has an open ticket already.
Django compiling twenty rules' conditions into it costs more than running it over a batch of 500,
so it is compiled once per organization and set of rules and kept, with the batch's issue keys as
its only changing parameter (one array on PostgreSQL, one JSON list on SQLite). Each batch reads
the rules' version instead: every value the statement is built from (each active rule's key,
position, conditions, product and its path, Sentry projects). A rule changed, added, paused or
moved, or its product moved, reads as another version and the statement is compiled again.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import BooleanField, Case, Exists, OuterRef, Q, Value, When
from django.db.models.expressions import RawSQL

from switchyard.automation.models import AutomationRule, RuleMatch
from switchyard.automation.sources import Source
from switchyard.trackers.models import CLOSED_CATEGORIES, TicketLink

# Statements kept, the least recently used dropped first (one per organization and source).
KEPT = 256
_SLOT = object()  # marks the batch's keys among the compiled parameters


@dataclass(frozen=True)
class BatchMatches:
    """What the match query says of a batch."""

    rule_ids: tuple[int, ...]  # the active rules, in the order they are tried
    by_rule: dict[int, list]  # issues no rule has claimed, under the first rule that matches them
    linked: set[int]  # of those, the issues with an open ticket already


@dataclass(frozen=True)
class Statement:
    version: str
    rule_ids: tuple[int, ...]  # in the order the rules are tried
    sql: str
    params: tuple
    slot: int  # the index of the batch's keys in ``params``


_kept: OrderedDict[tuple, Statement] = OrderedDict()
_lock = threading.Lock()


def scope_project_ids(rule: AutomationRule) -> list[int]:
    return [project.pk for project in rule.sentry_projects.all()] if rule.pk else []


def unmatched(source: Source, queryset: models.QuerySet) -> models.QuerySet:
    claimed = RuleMatch.objects.filter(
        source_type=ContentType.objects.get_for_model(source.model), source_id=OuterRef("pk")
    )
    return queryset.exclude(Exists(claimed))


def open_links(source: Source) -> models.QuerySet:
    """Live links of the source's issues to a ticket that is not closed (or is being made)."""
    return TicketLink.objects.filter(
        source_type=ContentType.objects.get_for_model(source.model), is_active=True
    ).filter(Q(ticket__isnull=True) | ~Q(ticket__status_category__in=CLOSED_CATEGORIES))


def _active(organization_id: int, source: Source) -> models.QuerySet:
    return AutomationRule.objects.filter(
        organization_id=organization_id, source=source.key, active=True, pause_reason=""
    )


def active_rules(*, organization_id: int, source: str) -> list[AutomationRule]:
    from switchyard.automation.sources import SOURCES

    return list(
        _active(organization_id, SOURCES[source])
        .select_related("organization", "product", "tracker_project__connection")
        .prefetch_related("sentry_projects")
        .order_by("position", "pk")
    )


def _version(organization_id: int, source: Source) -> str:
    fields = ["pk", "position", "activated_at", "product_id", "product__path", "sentry_projects"]
    rows = (
        _active(organization_id, source)
        .order_by("position", "pk", "sentry_projects")
        .values_list(*fields, *source.condition_fields)
    )
    return repr(list(rows))


def _keys_in(source: Source) -> RawSQL:
    """The issue is one of the batch's (the keys are the one parameter, whatever their number)."""
    quote = connection.ops.quote_name
    column = f"{quote(source.model._meta.db_table)}.{quote(source.model._meta.pk.column)}"
    if connection.vendor == "postgresql":
        return RawSQL(f"{column} = ANY(%s::bigint[])", [_SLOT], output_field=BooleanField())
    return RawSQL(
        f"{column} IN (SELECT value FROM json_each(%s))", [_SLOT], output_field=BooleanField()
    )


def _compile(organization_id: int, source: Source, version: str) -> Statement:
    rules = active_rules(organization_id=organization_id, source=source.key)
    # A rule without scope or conditions takes every issue (When() refuses an empty Q).
    flags = {
        f"rule_{rule.pk}": Case(
            When(
                source.rule_filter(rule, scope_project_ids(rule)) or Q(pk__isnull=False),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
        for rule in rules
    }
    queryset = (
        unmatched(source, source.issues(organization_id))
        .filter(_keys_in(source))
        .annotate(
            has_open_ticket=Exists(open_links(source).filter(source_id=OuterRef("pk"))), **flags
        )
        .order_by("pk")
        .values_list("pk", source.reference_field, "has_open_ticket", *flags)
    )
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    slot = next(n for n, value in enumerate(params) if value is _SLOT)
    return Statement(version, tuple(rule.pk for rule in rules), sql, tuple(params), slot)


def _statement(organization_id: int, source: Source) -> Statement:
    version = _version(organization_id, source)
    if version == "[]":
        return Statement(version, (), "", (), -1)  # no active rule: nothing to ask
    key = (connection.alias, organization_id, source.key)
    with _lock:
        kept = _kept.get(key)
        if kept is not None and kept.version == version:
            _kept.move_to_end(key)
            return kept
    statement = _compile(organization_id, source, version)
    with _lock:
        _kept[key] = statement
        _kept.move_to_end(key)
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return statement


def matches_by_rule(source: Source, organization_id: int, issue_ids: list[int]) -> BatchMatches:
    """Which of ``issue_ids`` each active rule takes. The issues are stand-ins holding their key
    and reference only (a model instance per issue would cost more than the query)."""
    statement = _statement(organization_id, source)
    if not statement.rule_ids or not issue_ids:
        return BatchMatches(statement.rule_ids, {}, set())
    keys = list(issue_ids) if connection.vendor == "postgresql" else json.dumps(list(issue_ids))
    params = list(statement.params)
    params[statement.slot] = keys
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        rows = cursor.fetchall()
    by_rule: dict[int, list] = defaultdict(list)
    linked = set()
    # Issues no rule matches are left out here rather than by a WHERE repeating every condition.
    for pk, reference, has_open_ticket, *matched in rows:
        first = next((r for r, hit in zip(statement.rule_ids, matched, strict=True) if hit), None)
        if first is not None:
            by_rule[first].append(source.stand_in(pk, reference))
            if has_open_ticket:
                linked.add(pk)
    return BatchMatches(statement.rule_ids, by_rule, linked)
