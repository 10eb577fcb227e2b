"""Sync Jira connections: ``manage.py sync_jira [--connection NAME] [--test-connection] [--dry-run] [--force]``."""

from switchyard.sync.command import SyncCommand


class Command(SyncCommand):
    help = "Sync Jira projects and tickets now."
    kind = "jira"
