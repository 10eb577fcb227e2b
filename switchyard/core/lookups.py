"""``field__any=values``: membership in a list of values sent as one array on PostgreSQL.

``field__in`` writes one placeholder per value, and psycopg quotes each value into the statement
on the client: for the hundreds of keys of a stored batch that costs several times what the
database takes to answer (bench/README.md). PostgreSQL plans ``IN (...)`` as ``= ANY(array)``
anyway, so the two read the same rows the same way; on other databases ``any`` is ``in``.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, IntegerField
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In

from switchyard.core.bulk import array_parameter


class _AsArray:
    """``IN`` written as ``= ANY(%s)`` on PostgreSQL, for a list of values given directly."""

    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        field = self.lhs.output_field
        db_type = field.db_type(connection)
        if not self.rhs_is_direct_value() or db_type is None:
            return super().as_sql(compiler, connection)
        # In order, once each; NULL equals nothing.
        values = [value for value in dict.fromkeys(self.rhs) if value is not None]
        if not values:
            raise EmptyResultSet
        lhs, lhs_params = self.process_lhs(compiler, connection)
        array = array_parameter(values)
        if isinstance(array, str):
            # Integer keys, the usual case, are also bounded by their range, which the planner
            # weighs from the index alone, where the statistics of a table filling up would have
            # it scan the whole table for a few hundred keys.
            return (
                f"({lhs} BETWEEN %s AND %s AND {lhs} = ANY(%s::{db_type}[]))",
                (*lhs_params, min(values), max(values), *lhs_params, array),
            )
        array = [field.get_db_prep_value(value, connection, prepared=True) for value in values]
        return f"{lhs} = ANY(%s::{db_type}[])", (*lhs_params, array)


@Field.register_lookup
class AnyOf(_AsArray, In):
    """``field__any=values``."""

    def get_prep_lookup(self):
        # An integer field prepares an int as itself: thousands of keys skip the call per value.
        if (
            isinstance(self.lhs.output_field, IntegerField)
            and isinstance(self.rhs, list | tuple)
            and all(type(value) is int for value in self.rhs)
        ):
            return list(self.rhs)
        return super().get_prep_lookup()


@ForeignObject.register_lookup
class RelatedAnyOf(_AsArray, RelatedIn):
    """The same on a foreign key (``organization_id__any``), which has lookups of its own."""
