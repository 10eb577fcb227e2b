"""Enqueue due pulls, due outbox deliveries and webhooks left behind, every few seconds.

Once an hour (and on the first tick) it also deletes finished work past its retention.
"""

import time

from django.core.management.base import BaseCommand

from switchyard.sync.retention import prune_finished_work
from switchyard.sync.scheduler import schedule_due_work

PRUNE_EVERY_SECONDS = 3600


class Command(BaseCommand):
    help = "Run the sync scheduler (one tick with --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run one tick and exit")
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between ticks")

    def handle(self, *args, once: bool, interval: float, **options):
        pruned_at = None
        while True:
            work = schedule_due_work()
            if work.pulls or work.deliveries or work.webhooks or work.events or once:
                self.stdout.write(
                    f"queued {work.pulls} pulls, {work.deliveries} deliveries, "
                    f"{work.webhooks} webhooks, {work.events} event retries"
                )
            if pruned_at is None or time.monotonic() - pruned_at >= PRUNE_EVERY_SECONDS:
                pruned = prune_finished_work()
                pruned_at = time.monotonic()
                if pruned.deliveries or pruned.outbox_entries or pruned.task_results or once:
                    self.stdout.write(
                        f"pruned {pruned.deliveries} webhook deliveries, {pruned.outbox_entries}"
                        f" outbox entries, {pruned.task_results} task results"
                    )
            if once:
                return
            time.sleep(interval)
