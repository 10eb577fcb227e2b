"""Pull every connection (or those of one kind) now, in this process."""

from switchyard.sync.command import SyncCommand


class Command(SyncCommand):
    help = "Sync every enabled connection of every kind now (--kind to narrow)."
    kind = None
