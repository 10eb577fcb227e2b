"""Rows written from plain tuples, for the hot paths where building a model instance per row
costs more than the database does: ``COPY`` on PostgreSQL, multi-row ``INSERT`` elsewhere; or
straight from a query's rows (``insert_selected``), which never leave the database.

Nothing here validates: the caller passes column values ready to store, in column order. The
statements go through Django's connection (its transaction), but a ``COPY`` is not a query
Django logs.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models
from psycopg import sql

COUNTER_ROWS_PER_STATEMENT = 500  # 7,000 parameters at 14 columns: under SQLite's limit


def _chunks(rows: Sequence[tuple], width: int) -> list[Sequence[tuple]]:
    limit = connection.features.max_query_params
    size = max(1, limit // width) if limit else len(rows)
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def _copy(table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


def _values(table: str, columns: Sequence[str], count: int) -> str:
    row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    quote = connection.ops.quote_name
    return (
        f"INSERT INTO {quote(table)} ({', '.join(map(quote, columns))}) "
        f"VALUES {', '.join([row] * count)}"
    )


def _parameters(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple]):
    """The rows' values as the backend stores them (SQLite keeps datetimes as naive UTC text)."""
    if connection.vendor == "postgresql":
        return [value for row in rows for value in row]
    fields = {field.column: field for field in model._meta.concrete_fields}
    prepare = [fields[column].get_db_prep_save for column in columns]
    return [
        prep(value, connection) for row in rows for prep, value in zip(prepare, row, strict=True)
    ]


def array_parameter(values: Sequence) -> str | list:
    """A PostgreSQL array parameter: integers as the array's text, one string for psycopg to
    quote where a list costs it a value-by-value dump (more, for a batch's thousands, than the
    database takes to read them); other values as a list."""
    if all(type(value) is int for value in values):
        return "{" + ",".join(map(str, values)) + "}"
    return list(values)


def _unnest(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple], suffix: str
) -> list[tuple]:
    """PostgreSQL: the rows sent as one array per column, so the statement has as many
    parameters as columns whatever the number of rows."""
    fields = {field.column: field for field in model._meta.concrete_fields}
    arrays = ", ".join(f"%s::{fields[column].db_type(connection)}[]" for column in columns)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) "
            f"SELECT * FROM unnest({arrays}) {suffix}",
            [array_parameter(values) for values in zip(*rows, strict=True)],
        )
        return cursor.fetchall() if cursor.description else []


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert ``rows`` (tuples of ``columns``' values) into ``model``'s table."""
    if not rows:
        return
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        _copy(table, columns, rows)
        return
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, len(columns)):
            cursor.execute(_values(table, columns, len(chunk)), _parameters(model, columns, chunk))


def insert_selected(
    model: type[models.Model],
    columns: Sequence[str],
    rows: models.QuerySet,
    returning: Sequence[str],
) -> list[tuple]:
    """Insert the rows a query selects (``values_list`` in ``columns``' order) into ``model``'s
    table, without reading them out of the database; the ``returning`` columns of each."""
    select, params = rows.query.sql_with_params()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))})"
            f" {select} RETURNING {', '.join(map(quote, returning))}",
            params,
        )
        return cursor.fetchall()


def insert_rows_skipping_conflicts(
    model: type[models.Model],
    columns: Sequence[str],
    rows: Sequence[tuple],
    returning: Sequence[str],
) -> list[tuple]:
    """Insert ``rows`` except those a unique constraint refuses (already there, or being inserted
    by another transaction, which is waited for); the ``returning`` columns of those inserted."""
    table = model._meta.db_table
    quote = connection.ops.quote_name
    conflicts = f"ON CONFLICT DO NOTHING RETURNING {', '.join(map(quote, returning))}"
    if connection.vendor == "postgresql":
        return _unnest(model, columns, rows, conflicts)
    inserted = []
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, len(columns)):
            cursor.execute(
                f"{_values(table, columns, len(chunk))} {conflicts}",
                _parameters(model, columns, chunk),
            )
            inserted += cursor.fetchall()
    return inserted


def add_to_counters(
    model: type[models.Model], key: Sequence[str], counters: Sequence[str], rows: Sequence[tuple]
) -> None:
    """Add each row's counter values (``key`` columns, then ``counters``) to the row of its key,
    inserting the rows no key has yet: ``INSERT ... ON CONFLICT DO UPDATE``, one statement of an
    array per column on PostgreSQL (a statement of thousands of placeholders costs psycopg more
    to parse than the database to run), 500 rows a statement elsewhere.

    Give the rows sorted by key: two transactions adding to the same rows then lock them in the
    same order and cannot deadlock."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(map(quote, [*key, *counters]))
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in counters)
    conflict = f"ON CONFLICT ({', '.join(map(quote, key))}) DO UPDATE SET {updates}"
    if connection.vendor == "postgresql":
        # Arrays keep the rows' order, so the rows are still locked in key order.
        _unnest(model, [*key, *counters], rows, conflict)
        return
    row = "(" + ", ".join(["%s"] * (len(key) + len(counters))) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), COUNTER_ROWS_PER_STATEMENT):
            chunk = rows[start : start + COUNTER_ROWS_PER_STATEMENT]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row] * len(chunk))} {conflict}",
                [value for values in chunk for value in values],
            )
