"""The receipt of a webhook delivery as three statements written once.

Accepting a delivery is the hottest path there is (a burst of errors in Sentry is a burst of
deliveries, and Sentry retries what is not answered within a second). Compiling its statements
through the ORM cost about half the CPU of an acceptance (bench/README.md), for statements whose
shape never changes; so they are built from the models' metadata once per process and only their
values change. Values are prepared by the fields themselves (encryption, JSON, SQLite's datetimes).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from django.db import connection as db
from django.db.models import Field

from switchyard.sync.models import Connection, WebhookDelivery

INSERTED_COLUMNS = (
    "connection_id",
    "delivery_id",
    "event_type",
    "headers",
    "body",
    "content_digest",
    "status",
    "attempts",
    "received_at",
    "error",
    "task_id",
    "enqueued_at",
)


@dataclass(frozen=True)
class Statements:
    lock: str
    earlier: str
    insert: str
    fields: tuple[Field, ...]


@functools.cache
def _statements(vendor: str) -> Statements:
    quote = db.ops.quote_name
    connections, deliveries = Connection._meta, WebhookDelivery._meta

    def column(meta, name: str) -> str:
        return quote(meta.get_field(name).column)

    locking = " FOR UPDATE" if db.features.has_select_for_update else ""
    fields = tuple(
        next(f for f in deliveries.concrete_fields if f.column == name) for name in INSERTED_COLUMNS
    )
    return Statements(
        lock=(
            f"SELECT {column(connections, 'is_enabled')}, {column(connections, 'webhook_secret')} "
            f"FROM {quote(connections.db_table)} WHERE {column(connections, 'id')} = %s{locking}"
        ),
        earlier=(
            f"SELECT {column(deliveries, 'id')}, {column(deliveries, 'delivery_id')} "
            f"FROM {quote(deliveries.db_table)} WHERE {column(deliveries, 'connection')} = %s AND "
            f"({column(deliveries, 'delivery_id')} = %s OR "
            f"({column(deliveries, 'content_digest')} = %s "
            f"AND {column(deliveries, 'received_at')} >= %s)) LIMIT 1"
        ),
        insert=(
            f"INSERT INTO {quote(deliveries.db_table)} ({', '.join(map(quote, INSERTED_COLUMNS))}) "
            f"VALUES ({', '.join(['%s'] * len(INSERTED_COLUMNS))}) "
            f"RETURNING {column(deliveries, 'id')}"
        ),
        fields=fields,
    )


def locked_switch_and_secret(connection_pk: int) -> tuple[bool, str] | None:
    """The connection's switch and webhook secret, read under a row lock held to the end of the
    transaction (SQLite's writer lock serves instead); None when the row is gone."""
    statements = _statements(db.vendor)
    with db.cursor() as cursor:
        cursor.execute(statements.lock, [connection_pk])
        row = cursor.fetchone()
    if row is None:
        return None
    secret_field = Connection._meta.get_field("webhook_secret")
    return bool(row[0]), secret_field.from_db_value(row[1], None, db)


def earlier_copy(
    *, connection_pk: int, delivery_id: str, digest: str, since: datetime
) -> tuple[int, str] | None:
    """The id and delivery id of the same delivery, or of the same body received since ``since``."""
    received_at = WebhookDelivery._meta.get_field("received_at")
    with db.cursor() as cursor:
        cursor.execute(
            _statements(db.vendor).earlier,
            [connection_pk, delivery_id, digest, received_at.get_db_prep_value(since, db)],
        )
        return cursor.fetchone()


def insert_delivery(**values) -> int:
    """Store a received delivery (``values`` by column name, as in ``INSERTED_COLUMNS``); its id."""
    statements = _statements(db.vendor)
    parameters = [field.get_db_prep_save(values[field.column], db) for field in statements.fields]
    with db.cursor() as cursor:
        cursor.execute(statements.insert, parameters)
        return cursor.fetchone()[0]
