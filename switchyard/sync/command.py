"""The shared body of the sync commands (`sync`, and the per-kind `sync_sentry`, `sync_jira`, ...)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from switchyard.core.exceptions import RemoteError
from switchyard.sync import runs
from switchyard.sync.health import describe_error
from switchyard.sync.models import Connection, ConnectionKind, SyncRun


class SyncCommand(BaseCommand):
    """Pull connections synchronously; ``kind`` narrows it to one kind of remote."""

    kind: str | None = None

    def add_arguments(self, parser):
        if self.kind is None:
            parser.add_argument("--kind", choices=ConnectionKind.values)
        parser.add_argument("--connection", help="only the connection with this name")
        parser.add_argument(
            "--test-connection",
            action="store_true",
            help="print who the credentials belong to, and exit (non-zero on failure)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change and write nothing"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="sync even if not due or disabled; a full sync that notices deletions",
        )

    def connections(self, options):
        connections = Connection.objects.filter(is_enabled=True).select_related("organization")
        kind = self.kind or options.get("kind")
        if kind:
            connections = connections.filter(kind=kind)
        if options["connection"]:
            connections = connections.filter(name=options["connection"])
        elif not options["force"]:
            connections = connections.filter(sync_enabled=True)
        if not connections.exists():
            raise CommandError("No matching enabled connection.")
        return list(connections)

    def handle(self, *args, **options):
        failures = 0
        for connection in self.connections(options):
            label = f"{connection.organization.name} / {connection}"
            if options["test_connection"]:
                try:
                    identity = runs.connection_test(connection=connection)
                except RemoteError as error:
                    failures += 1
                    self.stderr.write(f"{label}: FAILED: {describe_error(error)}")
                else:
                    self.stdout.write(f"{label}: OK, authenticated as {identity}")
                continue
            if options["dry_run"]:
                report = runs.connection_pull_dry_run(connection=connection)
                if report.status == SyncRun.Status.FAILED:
                    failures += 1
                    self.stderr.write(f"{label}: dry run failed: {report.error}")
                    continue
                self.stdout.write(
                    f"{label}: would create {report.created}, update {report.updated}, "
                    f"leave {report.unchanged} unchanged (dry run: nothing written)"
                )
                continue
            try:
                run = runs.connection_pull(
                    connection=connection, trigger=SyncRun.Trigger.COMMAND, full=options["force"]
                )
            except runs.SyncAlreadyRunning as error:
                failures += 1
                self.stderr.write(f"{label}: {error.message}")
                continue
            line = (
                f"{label}: {run.get_status_display()}: {run.created} created, {run.updated} updated, "
                f"{run.unchanged} unchanged, {run.deleted} deleted, {run.failed} failed"
            )
            if run.status == SyncRun.Status.FAILED:
                failures += 1
                self.stderr.write(f"{line}. {run.error}")
            else:
                self.stdout.write(line)
        if failures:
            raise CommandError(f"{failures} connection(s) failed.")
