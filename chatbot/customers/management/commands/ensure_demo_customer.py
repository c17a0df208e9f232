"""The demo customer of the embedded default: `scripts/run.sh` runs this after `ensure_demo_model`."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from chatbot.conversations.models import Customer
from chatbot.customers.models import Order
from chatbot.customers.selectors import account_customer

USERNAME = "sam"
# Published in the README: the demo account exists only where DEBUG is on (a trial on your own machine).
PASSWORD = "northwind-demo"
NAME = "Sam Walker"
EMAIL = "sam@example.com"
# (number, status, placed so many days ago, summary): the newest is the one "where is my order?" gets.
ORDERS = [
    ("NW-48213", Order.Status.SHIPPED, 1, "Ridgeline 2 tent"),
    ("NW-39920", Order.Status.DELIVERED, 24, "Down jacket, navy, M"),
    ("NW-51877", Order.Status.CANCELLED, 40, "Trail runner shoes, size 43"),
]


class Command(BaseCommand):
    help = (
        f"Create the demo customer {NAME} (sign in as {USERNAME!r}, password {PASSWORD!r}) with three "
        "orders, to try the bot's answers about orders. Does nothing unless DEBUG is on; an existing account "
        "keeps its password, existing orders stay as they are."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            self.stdout.write("DEBUG is off: no demo customer (its password is published).")
            return
        with transaction.atomic():
            user, created = get_user_model().objects.get_or_create(
                username=USERNAME, defaults={"email": EMAIL, "first_name": "Sam", "last_name": "Walker"}
            )
            if created:
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
            customer = account_customer(user=user) or Customer.objects.create(
                user=user, name=NAME, email=EMAIL
            )
            added = 0
            for number, status, days_ago, summary in ORDERS:
                if not Order.objects.filter(number__iexact=number).exists():
                    placed = timezone.now() - timedelta(days=days_ago, hours=3)
                    Order.objects.create(
                        customer=customer, number=number, status=status, placed=placed, summary=summary
                    )
                    added += 1
        self.stdout.write(
            f"Demo customer {NAME}: sign in at /account/login/ as {USERNAME} with password {PASSWORD} "
            f"({added} demo orders added)."
        )
