"""Deterministic, realistic seed data for the fake Jira (random.Random(seed), any volume)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from switchyard.fakes.jira.model import ISSUE_TYPES, PRIORITIES, User, text_to_adf

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=540)
PROJECT_NAMES = (
    ("PAY", "Payments"),
    ("WEB", "Web Storefront"),
    ("API", "Public API"),
    ("OPS", "Operations"),
    ("MOB", "Mobile Apps"),
    ("DATA", "Data Platform"),
    ("AUTH", "Identity"),
    ("SRCH", "Search"),
)
FIRST = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Ken",
    "Margaret",
    "Linus",
    "Radia",
    "Dennis",
    "Frances",
    "Guido",
)
LAST = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Thompson",
    "Hamilton",
    "Torvalds",
    "Perlman",
    "Ritchie",
    "Allen",
    "van Rossum",
)
COMPONENTS = (
    "checkout",
    "login",
    "invoice export",
    "search results",
    "push notifications",
    "refund flow",
    "webhook delivery",
    "CSV import",
    "dashboard",
    "rate limiter",
)
PROBLEMS = (
    "fails with a 500",
    "is slow under load",
    "shows the wrong currency",
    "times out after 30 s",
    "drops the last item",
    "crashes on Android 14",
    "ignores the locale",
    "double-charges on retry",
    "loses the session",
)
ASKS = ("Add pagination to", "Document", "Refactor", "Add metrics to", "Localise", "Cache")
LABELS = (
    "backend",
    "frontend",
    "customer-reported",
    "regression",
    "tech-debt",
    "security",
    "performance",
    "sentry",
)
DESCRIPTIONS = tuple(
    text_to_adf(text)
    for text in (
        "Steps to reproduce:\n1. open the page\n2. click the button\n\nExpected it to work.",
        "Reported by a customer through support. See the linked Sentry issue.",
        "We need this before the next release.",
        "Happens about once an hour in production.\nNo workaround known.",
    )
)
# Weighted status picks for seeded issues: (status name, weight).
STATUS_WEIGHTS = (
    ("To Do", 30),
    ("In Progress", 20),
    ("In Review", 10),
    ("Done", 35),
    ("Won't Do", 5),
)


def account_id(rng: random.Random) -> str:
    """An Atlassian-style account id (``557058:`` prefix and a UUID-like tail)."""
    return "557058:" + "".join(rng.choice("0123456789abcdef") for _ in range(32))


def people(rng: random.Random, count: int = 12) -> list[User]:
    users = []
    for index in range(count):
        first, last = FIRST[index % len(FIRST)], LAST[index % len(LAST)]
        suffix = "" if index < len(FIRST) else str(index)
        users.append(
            User(
                account_id=account_id(rng),
                display_name=f"{first} {last}{suffix}",
                email=f"{first.lower()}.{last.lower().replace(' ', '')}{suffix}@example.com",
                # Some people hide their email, as Atlassian privacy settings allow.
                email_visible=index % 5 != 4,
            )
        )
    return users


def project_names(count: int) -> Iterator[tuple[str, str]]:
    for index in range(count):
        if index < len(PROJECT_NAMES):
            yield PROJECT_NAMES[index]
        else:
            yield f"P{index}", f"Project {index}"


def issue_values(rng: random.Random) -> dict[str, Any]:
    """Random summary, description, type, priority, labels and status name for one issue."""
    if rng.random() < 0.7:
        summary = f"{rng.choice(COMPONENTS).capitalize()} {rng.choice(PROBLEMS)}"
        issue_type = ISSUE_TYPES[1]
    else:
        summary = f"{rng.choice(ASKS)} {rng.choice(COMPONENTS)}"
        issue_type = rng.choice((ISSUE_TYPES[0], ISSUE_TYPES[2]))
    names, weights = zip(*STATUS_WEIGHTS, strict=True)
    return {
        "summary": summary,
        "description": rng.choice(DESCRIPTIONS) if rng.random() < 0.8 else None,
        "issue_type": issue_type,
        "priority": rng.choices(PRIORITIES, weights=(5, 15, 50, 20, 10))[0],
        "labels": sorted(rng.sample(LABELS, rng.choice((0, 0, 1, 1, 2)))),
        "status": rng.choices(names, weights=weights)[0],
    }


def times(rng: random.Random) -> tuple[datetime, datetime]:
    """A created and an updated moment inside the seed window, updated after created."""
    created = EPOCH + timedelta(milliseconds=rng.randrange(int(SPAN.total_seconds() * 1000)))
    updated = created + timedelta(minutes=rng.randrange(0, 60 * 24 * 45))
    return created, min(updated, EPOCH + SPAN)
