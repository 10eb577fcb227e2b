"""The header: the signed-in person's real role and the pages that role can use."""

from __future__ import annotations

from django.urls import reverse


def role_label(user) -> str:
    """A platform superuser outside any organization is named as such, not by the default role."""
    if user.is_superuser and not user.is_org_staff:
        return "Platform admin"
    return user.get_role_display()


def nav_items(user) -> list[tuple[str, str]]:
    if not user.is_authenticated:
        return []
    if user.is_org_staff:
        items = [
            ("Inbox", reverse("web:inbox")),
            ("Products", reverse("web:products")),
            ("Sentry issues", reverse("web:sentry_issues")),
            ("Tickets", reverse("web:tickets")),
            ("Insights", reverse("web:insights")),
        ]
        if user.is_org_admin:
            items.append(("Sync health", reverse("web:sync_health")))
        return items
    if user.is_superuser:
        return []
    return [("My issues", reverse("web:portal")), ("Raise an issue", reverse("web:portal_raise"))]


def current_item(items: list[tuple[str, str]], path: str) -> str | None:
    """The item a page belongs to: the longest item URL that starts its path (sub-pages too)."""
    urls = [url for _, url in items if path.startswith(url)]
    return max(urls, key=len, default=None)


def navigation(request) -> dict:
    """Context processor: the navigation and role label of the person signed in."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "nav_current": None, "role_label": ""}
    items = nav_items(user)
    return {
        "nav_items": items,
        "nav_current": current_item(items, request.path),
        "role_label": role_label(user),
    }
