"""List pages: ``?page=`` with a count that stays cheap on huge tables, ``?cursor=`` for deep pages.

``count`` is exact up to ``ESTIMATE_ABOVE`` rows. Past it, on PostgreSQL, it is the planner's
estimate of the filtered query (an exact ``COUNT(*)`` of a million rows would cost more than the
page itself); a page that comes back short tells the exact count, and it is used then. Deep
``?page=`` numbers make the database skip every row before them; clients that walk far pass
``?cursor=`` (empty for the first page) and follow ``next``, which seeks instead of skipping.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.response import Response

ESTIMATE_ABOVE = 10_000


def estimated_count(queryset: QuerySet) -> int:
    """The number of rows, exact when small or off PostgreSQL, else the planner's estimate."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return queryset.count()
    # Only the filtered rows matter: no ordering, joins of select_related or annotations to plan.
    try:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # the filters can match nothing (an empty IN list): no query to plan
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    return queryset.count() if estimate < ESTIMATE_ABOVE else estimate


class EstimatingPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        if not isinstance(self.object_list, QuerySet):
            return super().count
        return estimated_count(self.object_list)


class _CursorPages(CursorPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_ordering(self, request, queryset, view):
        # The order the filters left (``?ordering=``, the view's or the model's default).
        ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
        return tuple(str(field) for field in ordering) or ("-pk",)


class StandardPagination(PageNumberPagination):
    """`{"count", "next", "previous", "results"}` pages; `?page_size=` up to 200; `?cursor=`."""

    page_size_query_param = "page_size"
    max_page_size = 200
    django_paginator_class = EstimatingPaginator

    def paginate_queryset(self, queryset, request, view=None):
        if _CursorPages.cursor_query_param in request.query_params:
            self._cursor = _CursorPages()
            self._cursor_count = (
                estimated_count(queryset) if isinstance(queryset, QuerySet) else len(queryset)
            )
            return self._cursor.paginate_queryset(queryset, request, view)
        self._cursor = None
        rows = super().paginate_queryset(queryset, request, view)
        if rows is not None and len(rows) < self.page.paginator.per_page:
            # A short page is the last one: the exact count is at hand.
            self.page.paginator.count = self.page.start_index() - 1 + len(rows) if rows else 0
        return rows

    def get_paginated_response(self, data):
        if self._cursor is None:
            return super().get_paginated_response(data)
        return Response(
            {
                "count": self._cursor_count,
                "next": self._cursor.get_next_link(),
                "previous": self._cursor.get_previous_link(),
                "results": data,
            }
        )

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            *_CursorPages().get_schema_operation_parameters(view)[:1],
        ]
