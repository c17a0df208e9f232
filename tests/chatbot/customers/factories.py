"""Customers with logins and orders, and a reply engine that fills placeholders as serving does."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from chatbot.conversations.models import Customer
from chatbot.customers.models import Order
from inference.placeholders import extract_entities, fill_placeholders, normalise_slots
from tests.chatbot.fakes import ScriptedEngine

PASSWORD = "a-long-test-password-1"


def make_known_customer(username: str, *, name: str, orders: list[tuple[str, str, int]] = ()) -> Customer:
    """A login and its customer; `orders` are (number, status, placed so many days ago)."""
    user = get_user_model().objects.create_user(username, email=f"{username}@example.com", password=PASSWORD)
    customer = Customer.objects.create(user=user, name=name, email=f"{username}@example.com")
    for number, status, days_ago in orders:
        Order.objects.create(
            customer=customer, number=number, status=status, placed=timezone.now() - timedelta(days=days_ago)
        )
    return customer


class FillingEngine(ScriptedEngine):
    """Writes `raw` (with placeholders) and fills it the way inference/serving.py does: the slots given,
    then the entities found in the turns; records every call."""

    def __init__(self, raw: str) -> None:
        super().__init__()
        self.raw = raw

    def reply(self, turns, *, slots=None, on_delta=None):
        self.text = fill_placeholders(self.raw, {**normalise_slots(slots), **extract_entities(turns)})
        return super().reply(turns, slots=slots, on_delta=on_delta)
