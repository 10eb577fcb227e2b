"""Deterministic, realistic seed data for the fake Sentry (random.Random(seed), any volume)."""

from __future__ import annotations

import random
from typing import Any

from switchyard.fakes.sentry.model import DAY_MS

PROJECT_CATALOG = [
    ("backend-api", "Backend API", "python-django"),
    ("web-app", "Web App", "javascript-react"),
    ("ios-app", "iOS App", "apple-ios"),
    ("android-app", "Android App", "android"),
    ("payments", "Payments Service", "go"),
    ("worker", "Background Worker", "python-celery"),
    ("checkout-web", "Checkout Web", "javascript-nextjs"),
    ("search-service", "Search Service", "java-spring-boot"),
    ("notifications", "Notifications", "node-express"),
    ("admin-portal", "Admin Portal", "ruby-rails"),
]
ERRORS = {
    "python": [
        ("KeyError", "'customer_id'"),
        ("AttributeError", "'NoneType' object has no attribute 'id'"),
        ("ZeroDivisionError", "division by zero"),
        ("OperationalError", "could not connect to server: Connection refused"),
        ("TimeoutError", "Read timed out. (read timeout=10)"),
        ("IntegrityError", 'duplicate key value violates unique constraint "orders_pkey"'),
        ("ValueError", "invalid literal for int() with base 10: 'abc'"),
    ],
    "javascript": [
        ("TypeError", "Cannot read properties of undefined (reading 'map')"),
        ("ReferenceError", "process is not defined"),
        ("ChunkLoadError", "Loading chunk 742 failed."),
        ("TypeError", "Failed to fetch"),
        ("SyntaxError", "Unexpected token '<', \"<!DOCTYPE \" is not valid JSON"),
    ],
    "node": [
        ("Error", "connect ECONNREFUSED 127.0.0.1:6379"),
        ("TypeError", "Cannot read properties of null (reading 'email')"),
        ("UnhandledPromiseRejection", "Request failed with status code 502"),
    ],
    "apple": [
        ("EXC_BAD_ACCESS", "KERN_INVALID_ADDRESS at 0x0000000000000010"),
        ("NSInvalidArgumentException", "-[__NSCFString count]: unrecognized selector"),
        ("Fatal error", "Unexpectedly found nil while unwrapping an Optional value"),
    ],
    "android": [
        ("NullPointerException", "Attempt to invoke virtual method on a null object reference"),
        ("IllegalStateException", "Fragment not attached to a context."),
        ("OutOfMemoryError", "Failed to allocate a 12582928 byte allocation"),
    ],
    "go": [
        ("runtime.Error", "invalid memory address or nil pointer dereference"),
        ("*errors.errorString", "context deadline exceeded"),
        ("*pq.Error", 'pq: too many connections for role "payments"'),
    ],
    "java": [
        ("NullPointerException", 'Cannot invoke "String.length()" because "s" is null'),
        ("SocketTimeoutException", "Read timed out"),
        ("DataIntegrityViolationException", "could not execute statement"),
    ],
    "ruby": [
        ("NoMethodError", "undefined method `name' for nil:NilClass"),
        ("ActiveRecord::RecordNotFound", "Couldn't find User with 'id'=42"),
        ("Net::ReadTimeout", "Net::ReadTimeout with #<TCPSocket:(closed)>"),
    ],
}
CULPRITS = {
    "python": [
        "orders.views in create_order",
        "billing.tasks in charge_invoice",
        "accounts.api in get_profile",
        "search.indexer in rebuild",
    ],
    "javascript": [
        "components/Cart/index.tsx in handleSubmit",
        "app/routes/checkout in loader",
        "src/hooks/useOrders.ts in fetchOrders",
        "webpack/runtime in __webpack_require__",
    ],
    "node": ["src/queue/consumer.js in processMessage", "src/routes/users.js in getUser"],
    "apple": ["CheckoutViewController.swift in viewDidLoad()", "APIClient.swift in decode(_:)"],
    "android": ["com.acme.checkout.CartFragment in onViewCreated", "com.acme.net.Api in execute"],
    "go": ["payments/internal/charge.(*Service).Charge", "payments/cmd/server.main.func1"],
    "java": ["com.acme.search.IndexService in reindex", "com.acme.search.QueryController in run"],
    "ruby": ["UsersController#show", "InvoicesController#create", "ReportJob#perform"],
}
MESSAGES = [
    "Payment provider returned an unexpected status",
    "Slow query detected on orders",
    "Cache miss rate above threshold",
    "Retrying webhook delivery",
]
MEMBERS = [
    ("Ada Lovelace", "ada@example.com"),
    ("Grace Hopper", "grace@example.com"),
    ("Alan Turing", "alan@example.com"),
    ("Katherine Johnson", "katherine@example.com"),
    ("Margaret Hamilton", "margaret@example.com"),
]
NOTES = [
    "Looking into this now.",
    "Caused by the deploy at 14:02, rolling back.",
    "Customer ticket links here as well.",
    "Can't reproduce locally, need more data.",
    "Fixed in the next release.",
]


def issue_values(
    rng: random.Random, platform: str | None, members: list[int], now: int
) -> dict[str, Any]:
    """Random ``_new_issue`` arguments for one issue first seen in the 60 days before ``now``."""
    family = platform_family(platform)
    first_seen = now - rng.randrange(60 * DAY_MS)
    last_seen = first_seen + rng.randrange(max(1, now - first_seen))
    roll = rng.random()
    status, substatus = (
        ("unresolved", rng.choice(["new", "ongoing", "ongoing", "escalating", "regressed"]))
        if roll < 0.6
        else ("resolved", None)
        if roll < 0.9
        else ("ignored", rng.choice(["archived_until_escalating", "archived_forever"]))
    )
    level = rng.choices(["error", "warning", "fatal", "info"], [70, 15, 5, 10])[0]
    count = int(rng.paretovariate(1.2)) + rng.randrange(3)
    return {
        "level": level,
        "error": None if level == "info" else rng.choice(ERRORS[family]),
        "message": rng.choice(MESSAGES),
        "culprit": rng.choice(CULPRITS[family]),
        "status": status,
        "substatus": substatus,
        "first_seen": first_seen,
        "last_seen": last_seen,
        "count": max(1, count),
        "user_count": rng.randrange(1, max(2, count // 2 + 1)),
        "priority": rng.choice(["low", "medium", "high"]),
        "assignee_id": rng.choice(members) if rng.random() < 0.3 else None,
    }


def platform_family(platform: str | None) -> str:
    """The ERRORS and CULPRITS key of a Sentry platform (python-django: python)."""
    prefix = (platform or "python").split("-")[0]
    return prefix if prefix in ERRORS else "python"
