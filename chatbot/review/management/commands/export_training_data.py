"""`manage.py export_training_data --output corrections.jsonl [--since 2025-01-31]`: the reviewers'
corrected replies as training pairs, in the JSONL format `train_model --data` reads
(chatbot/review/exports/training.py).
"""

import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from chatbot.audit.services import record
from chatbot.review.exports.training import write_training_file


def parse_since(value: str) -> datetime.datetime:
    """A day (from its midnight in TIME_ZONE) or an ISO date and time."""
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since: “{value}” is not a date like 2025-01-31 or 2025-01-31T09:00") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "Write every corrected bot reply (saved in the transcript review) as a training pair to a JSONL "
        "file: the dialogue the model saw, the corrected reply and its intent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, help="the .jsonl file to write (replaced if present)")
        parser.add_argument(
            "--since", help="only corrections saved on or after this day (YYYY-MM-DD) or time (ISO 8601)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"])
        if output.suffix != ".jsonl":
            raise CommandError("--output must end in .jsonl: train_model reads training pairs by the suffix.")
        if not output.parent.is_dir():
            raise CommandError(f"--output: the directory {output.parent} does not exist.")
        since = parse_since(options["since"]) if options["since"] else None
        count = write_training_file(output, since=since)
        record(
            actor=None,
            action="review.export_training_data",
            summary=f"Wrote {count} training pair{'' if count == 1 else 's'} to {output.name}",
            details={"output": str(output), "since": since, "pairs": count},
        )
        self.stdout.write(f"Wrote {count} training pair{'' if count == 1 else 's'} to {output}.")
        if count == 0:
            self.stdout.write("No corrections yet: review replies in the admin (Conversations) first.")
