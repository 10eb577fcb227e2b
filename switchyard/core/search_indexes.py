"""Trigram indexes behind the API's ``?search=`` on PostgreSQL (a migration operation).

DRF's search filter asks for case-insensitive substrings (``icontains``), which Django writes as
``UPPER(column::text) LIKE UPPER('%term%')``: a btree cannot help, a GIN trigram index over that
same expression can. SQLite has no trigram index and keeps scanning with ``LIKE``.
"""

from __future__ import annotations

from django.db.migrations.operations.base import Operation


class TrigramSearchIndex(Operation):
    """Create (PostgreSQL only) a GIN trigram index over ``UPPER(column::text)``."""

    reversible = True

    def __init__(self, *, table: str, column: str, name: str) -> None:
        self.table, self.column, self.name = table, column, name

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"table": self.table, "column": self.column, "name": self.name},
        )

    def state_forwards(self, app_label, state) -> None:
        """Invisible to the models: an index on an expression of a backend's own kind."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{self.name}" ON "{self.table}"'
            f' USING gin ((UPPER("{self.column}"::text)) gin_trgm_ops)'
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f'DROP INDEX IF EXISTS "{self.name}"')

    def describe(self) -> str:
        return f"Trigram search index {self.name} on {self.table}.{self.column} (PostgreSQL)"
