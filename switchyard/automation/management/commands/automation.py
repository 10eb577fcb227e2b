"""Run the automation rules over existing issues now (what "Run now" does), or preview them."""

from django.core.management.base import BaseCommand, CommandError

from switchyard.automation import engine
from switchyard.automation.models import AutomationRule


class Command(BaseCommand):
    help = (
        "Run every active rule (or the one named) over existing issues now; --dry-run only says "
        "what would happen."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rule", help="The rule's name (any organization); may be inactive.")
        parser.add_argument("--dry-run", action="store_true", help="Preview: create nothing.")

    def handle(self, *args, rule=None, dry_run=False, **options):
        rules = AutomationRule.objects.select_related("organization").order_by(
            "organization", "position", "pk"
        )
        rules = rules.filter(name=rule) if rule else rules.filter(active=True, pause_reason="")
        if rule and not rules:
            raise CommandError(f"No rule is named {rule!r}.")
        for current in rules:
            if dry_run:
                decisions, truncated = engine.rule_preview(
                    rule=current, project_ids=engine.scope_project_ids(current)
                )
                counts = engine.Tally()
                for decision in decisions:
                    counts.add(decision.outcome)
            else:
                decisions, truncated, counts = engine.rule_run(rule=current)
            summary = ", ".join(f"{n} {outcome}" for outcome, n in counts.as_dict().items())
            more = f" (the first {engine.RUN_LIMIT} matches only)" if truncated else ""
            verb = "would do" if dry_run else "did"
            self.stdout.write(
                f"{current.organization} / {current.name}: {len(decisions)} matches{more}; "
                f"{verb}: {summary}"
            )
