"""The customer data provider: what the shop knows about a customer, for the bot's replies and greeting.

A deployment chooses the class with CHATBOT_CUSTOMER_DATA_PROVIDER (a dotted path); it subclasses
CustomerDataProvider and is made once per process, without arguments. The built-in OrderTableProvider reads
the Customer row, its login and the Order table the admin edits. Another provider (a shop system, a CRM)
identifies the customer by what the Customer carries: `user` (the login: username, e-mail address),
`email`, `public_id`.

The bot asks while it writes a reply (in the reply thread or an inference worker) and when a chat page is
rendered (the greeting); a provider that fails or is slow must not stop either, so callers go through
`customer_profile` and `recent_orders`, which log a failure and carry on knowing nothing.
"""

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError
from django.utils.module_loading import import_string

from chatbot.conversations.models import Customer
from chatbot.customers.models import Order

logger = logging.getLogger(__name__)

T = TypeVar("T")

# How many of a customer's orders a reply may talk about: the newest ones.
RECENT_ORDERS = 20


@dataclass(frozen=True)
class CustomerProfile:
    """Facts about the customer; an empty string is "not known"."""

    name: str = ""
    email: str = ""
    language: str = ""  # a BCP 47 tag ("en", "de-AT") where the provider knows it


@dataclass(frozen=True)
class OrderFacts:
    number: str  # as the shop writes it: "NW-48213"
    status: str  # a phrase completing "Your order NW-48213 is currently …": "in transit"
    placed: datetime | None = None


class CustomerDataProvider(ABC):
    """What a provider answers. Both methods are called with any customer, anonymous ones included (they
    usually have nothing to report), and must never report another customer's data."""

    @abstractmethod
    def profile(self, customer: Customer) -> CustomerProfile:
        """The customer's name, e-mail address and language, as far as known."""

    @abstractmethod
    def orders(self, customer: Customer) -> list[OrderFacts]:
        """The customer's most recent orders, newest first, at most RECENT_ORDERS."""


class OrderTableProvider(CustomerDataProvider):
    """The built-in provider: the Customer row (or its login's names) and the admin's Order table."""

    def profile(self, customer: Customer) -> CustomerProfile:
        user = customer.user
        name = customer.name.strip() or (user.get_full_name().strip() if user is not None else "")
        email = customer.email.strip() or (user.email.strip() if user is not None else "")
        return CustomerProfile(name=name, email=email)

    def orders(self, customer: Customer) -> list[OrderFacts]:
        if customer.pk is None:
            return []
        rows = Order.objects.filter(customer=customer).order_by("-placed", "-id")[:RECENT_ORDERS]
        return [
            OrderFacts(number=row.number, status=row.get_status_display(), placed=row.placed) for row in rows
        ]


@cache
def _provider(path: str) -> CustomerDataProvider:
    provider_class = import_string(path)
    if not (isinstance(provider_class, type) and issubclass(provider_class, CustomerDataProvider)):
        raise TypeError(f"{path} is not a subclass of {CustomerDataProvider.__module__}.CustomerDataProvider")
    return provider_class()


def get_provider() -> CustomerDataProvider:
    """The provider CHATBOT_CUSTOMER_DATA_PROVIDER names, made once per process (and per setting value)."""
    return _provider(settings.CHATBOT_CUSTOMER_DATA_PROVIDER)


def customer_profile(customer: Customer) -> CustomerProfile:
    """The provider's profile of the customer; an empty one when the provider fails."""
    return _ask(lambda provider: provider.profile(customer), customer, "the profile", CustomerProfile())


def recent_orders(customer: Customer) -> list[OrderFacts]:
    """The provider's list of the customer's recent orders; empty when the provider fails."""
    orders = _ask(lambda provider: list(provider.orders(customer)), customer, "the orders", [])
    return orders[:RECENT_ORDERS]


def _ask(question: Callable[[CustomerDataProvider], T], customer: Customer, what: str, nothing: T) -> T:
    try:
        return question(get_provider())
    except DatabaseError:
        raise  # our own database is down: the caller handles that (the reply task waits for it)
    except Exception:
        logger.exception("The customer data provider failed to give %s of customer %s", what, customer.pk)
        return nothing
