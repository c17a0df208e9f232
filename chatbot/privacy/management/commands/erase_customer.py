"""`manage.py erase_customer <customer id or e-mail> [--yes]`: erase customers and everything about them.

Shows what will be deleted and asks first (unless --yes); one transaction, recorded in the audit log.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chatbot.privacy import selectors, services


class Command(BaseCommand):
    help = (
        "Erase a customer (by public id, or every customer with an e-mail) and everything stored about them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("customer", help="The customer's public id (a UUID), or an e-mail address.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            customers = selectors.find_customers(options["customer"])
        except selectors.UnknownSubject as error:
            raise CommandError(str(error)) from None
        rows = selectors.dependent_rows(customers)
        self.stdout.write(f"This erases {len(customers)} customer(s) and every row stored about them:")
        for model, instances in sorted(rows.items(), key=lambda item: item[0]._meta.label_lower):
            self.stdout.write(f"  {model._meta.label_lower}: {len(instances)}")
        if not options["yes"] and input("Type 'erase' to go on: ").strip().lower() != "erase":
            raise CommandError("Nothing was erased.")
        erasure = services.do_erase_customers(customers=customers, actor=None)
        total = sum(erasure.deleted.values())
        accounts = f", and {erasure.accounts} login(s)" if erasure.accounts else ""
        self.stdout.write(f"Erased {len(erasure.customers)} customer(s): {total} rows{accounts}.")
