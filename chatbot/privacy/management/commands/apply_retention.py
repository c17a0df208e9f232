"""`manage.py apply_retention [--dry-run]`: delete or anonymise what CHATBOT_RETENTION_DAYS has expired.

The embedded mode runs it from cron; the distributed mode has Celery beat run the same code daily.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chatbot.privacy.retention import apply_retention


class Command(BaseCommand):
    help = (
        "Delete (or anonymise, CHATBOT_RETENTION_ACTION) conversations without activity for "
        "CHATBOT_RETENTION_DAYS days, and customers that old with no conversation left."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would go; change nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = apply_retention(dry_run=options["dry_run"])
        self.stdout.write(report.summary)
        for label, count in sorted(report.rows.items()):
            self.stdout.write(f"  {label}: {count} rows deleted")
