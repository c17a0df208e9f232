import asyncio
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatbot.conversations import readiness


class Command(BaseCommand):
    help = (
        "Run the readiness checks of /readyz from the command line (database, channel layer, broker, "
        "inference); exits 1 when one fails. The inference worker image's health check."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--worker",
            metavar="HOSTNAME",
            help="Only this inference worker counts (its Celery node name, celery@<host>).",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as /readyz's JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = asyncio.run(readiness.check_readiness(worker=options["worker"]))
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            for check in report.checks:
                status = "ok" if check.ok else "FAILED"
                self.stdout.write(f"{check.name}: {status} ({check.milliseconds} ms) {check.detail}")
        if not report.ready:
            names = ", ".join(check.name for check in report.failures)
            raise CommandError(f"not ready ({report.mode} mode): {names}")
