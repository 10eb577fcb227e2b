"""Sync Sentry connections: ``manage.py sync_sentry [--connection NAME] [--test-connection] [--dry-run] [--force]``."""

from switchyard.sync.command import SyncCommand


class Command(SyncCommand):
    help = "Sync Sentry organizations, projects and issues now."
    kind = "sentry"
