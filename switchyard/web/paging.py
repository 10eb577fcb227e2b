"""Pages of a list: `?page=` and `?page_size=` (up to 200), the same two queries at any size.

The count is the API's: exact up to ``ESTIMATE_ABOVE`` rows, PostgreSQL's estimate past it (an exact
count of a million rows would cost more than the page)."""

from __future__ import annotations

from django.core.paginator import Page

from switchyard.core.pagination import EstimatingPaginator

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 200


def page_of(request, queryset, *, default_size: int = DEFAULT_PAGE_SIZE) -> Page:
    """The requested page of ``queryset``; bad or out-of-range numbers give the nearest page."""
    try:
        size = int(request.GET.get("page_size", default_size))
    except ValueError:
        size = default_size
    size = min(max(size, 1), MAX_PAGE_SIZE)
    return EstimatingPaginator(queryset, size).get_page(request.GET.get("page"))
