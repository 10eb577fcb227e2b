"""python manage.py rebuild_insights [--since DATE]"""

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from switchyard.insights.services import insights_rebuild


class Command(BaseCommand):
    help = (
        "Compare every Sentry issue, ticket and customer issue with what insights counted, record "
        "what differs, and recompute the daily rollups (from --since on) from the transitions."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="First day to recompute (YYYY-MM-DD); all by default.")

    def handle(self, *args, since=None, **options):
        try:
            first = date.fromisoformat(since) if since else None
        except ValueError as error:
            raise CommandError(f"--since: {since!r} is not a date (YYYY-MM-DD).") from error
        result = insights_rebuild(since=first)
        self.stdout.write(
            f"{result['transitions']} transitions recorded, {result['rollups']} rollup rows written."
        )
