"""`manage.py export_customer_data <customer id or e-mail> [--output FILE]`: a subject-access export.

Writes the JSON document of chatbot/privacy/export.py (to standard output without --output) and
records the export in the audit log.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatbot.privacy import export, selectors, services


class Command(BaseCommand):
    help = (
        "Export everything stored about a customer (by public id, or every customer with an e-mail) as JSON."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer", help="The customer's public id (a UUID), or an e-mail address.")
        parser.add_argument(
            "--output", type=Path, help="Write the JSON to this file instead of the terminal."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            customers = selectors.find_customers(options["customer"])
        except selectors.UnknownSubject as error:
            raise CommandError(str(error)) from None
        output: Path | None = options["output"]
        if output is not None and not output.parent.is_dir():
            raise CommandError(f"{output.parent} is not a directory.")
        document = services.do_export_customers(customers=customers, actor=None)
        text = export.to_json(document)
        if output is None:
            self.stdout.write(text)
            return
        output.write_text(text + "\n", encoding="utf-8")
        self.stderr.write(f"Wrote everything stored about {len(customers)} customer(s) to {output}.")
