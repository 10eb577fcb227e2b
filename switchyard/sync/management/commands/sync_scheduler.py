"""Enqueue due pulls, due outbox deliveries and webhooks left behind, every few seconds."""

import time

from django.core.management.base import BaseCommand

from switchyard.sync.scheduler import schedule_due_work


class Command(BaseCommand):
    help = "Run the sync scheduler (one tick with --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run one tick and exit")
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between ticks")

    def handle(self, *args, once: bool, interval: float, **options):
        while True:
            work = schedule_due_work()
            if work.pulls or work.deliveries or work.webhooks or work.events or once:
                self.stdout.write(
                    f"queued {work.pulls} pulls, {work.deliveries} deliveries, "
                    f"{work.webhooks} webhooks, {work.events} event retries"
                )
            if once:
                return
            time.sleep(interval)
