"""Sync Linear connections: ``manage.py sync_linear [--connection NAME] [--test-connection] [--dry-run] [--force]``."""

from switchyard.sync.command import SyncCommand


class Command(SyncCommand):
    help = "Sync Linear projects and tickets now."
    kind = "linear"
