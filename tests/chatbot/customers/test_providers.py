"""The customer data provider (chatbot/customers/providers.py): the built-in one over the Order table, a
provider chosen by the setting, and a provider that fails or is misconfigured."""

import logging
from datetime import timedelta

import pytest
from django.core import checks
from django.utils import timezone

from chatbot.conversations.models import Conversation, Customer
from chatbot.customers import providers
from chatbot.customers.models import Order
from chatbot.customers.providers import CustomerDataProvider, CustomerProfile, OrderFacts, OrderTableProvider
from chatbot.customers.slots import reply_slots
from tests.chatbot.customers.factories import make_known_customer

pytestmark = pytest.mark.django_db


class CrmProvider(CustomerDataProvider):
    """A deployment's own provider, as CHATBOT_CUSTOMER_DATA_PROVIDER would name it."""

    def profile(self, customer):
        return CustomerProfile(name="Ms Lee", email="lee@crm.example", language="de-AT")

    def orders(self, customer):
        return [OrderFacts(number="CRM-1001", status="waiting at the depot")]


class BrokenProvider(CustomerDataProvider):
    def profile(self, customer):
        raise ConnectionError("the CRM is down")

    def orders(self, customer):
        raise TimeoutError("the CRM is slow")


class NotAProvider:
    pass


def test_the_built_in_provider_reports_the_customer_and_their_newest_orders(sam):
    provider = OrderTableProvider()

    assert provider.profile(sam) == CustomerProfile(name="Sam Walker", email="sam@example.com", language="")
    assert [(order.number, order.status) for order in provider.orders(sam)] == [
        ("NW-48213", "in transit"),
        ("NW-60214", "being prepared"),
        ("NW-39920", "delivered"),
    ]


def test_the_built_in_provider_falls_back_to_the_logins_names(sam):
    Customer.objects.filter(pk=sam.pk).update(name="", email="")
    sam.refresh_from_db()
    sam.user.first_name, sam.user.last_name = "Sam", "W."
    sam.user.save()

    assert OrderTableProvider().profile(sam) == CustomerProfile(name="Sam W.", email="sam@example.com")


def test_the_built_in_provider_reports_only_the_customers_own_recent_orders(sam):
    kim = make_known_customer("kim", name="Kim", orders=[("NW-11111", "shipped", 1)])
    for number in range(providers.RECENT_ORDERS + 5):
        Order.objects.create(
            customer=kim, number=f"OLD-{number:04}", placed=timezone.now() - timedelta(days=400)
        )

    assert "NW-11111" not in [order.number for order in OrderTableProvider().orders(sam)]
    kims = [order.number for order in OrderTableProvider().orders(kim)]
    assert len(kims) == providers.RECENT_ORDERS and kims[0] == "NW-11111"
    assert OrderTableProvider().orders(Customer()) == []


def test_the_setting_chooses_the_provider_and_replies_use_it(settings, customer):
    settings.CHATBOT_CUSTOMER_DATA_PROVIDER = f"{__name__}.CrmProvider"
    conversation = Conversation.objects.create(customer=customer)
    slots = reply_slots(conversation=conversation, dialogue=[("customer", "where is my order")])

    assert isinstance(providers.get_provider(), CrmProvider)
    assert (slots["Customer Name"], slots["Customer Email"]) == ("Ms Lee", "lee@crm.example")
    assert (slots["Order Number"], slots["Order Status"]) == ("CRM-1001", "waiting at the depot")


def test_a_failing_provider_is_logged_and_the_reply_goes_on_without_its_facts(settings, customer, caplog):
    settings.CHATBOT_CUSTOMER_DATA_PROVIDER = f"{__name__}.BrokenProvider"
    conversation = Conversation.objects.create(customer=customer)
    with caplog.at_level(logging.ERROR, logger="chatbot.customers.providers"):
        slots = reply_slots(conversation=conversation, dialogue=[("customer", "where is my order")])

    assert "Customer Name" not in slots and "Order Status" not in slots
    assert slots["Company Name"] == settings.CHATBOT_COMPANY_NAME
    assert len(caplog.records) == 2 and "the CRM is down" in caplog.text


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("chatbot.customers.providers.NoSuchProvider", "does not define"),
        (f"{__name__}.NotAProvider", "is not a subclass"),
        ("not a path", "doesn't look like a module path"),
    ],
)
def test_a_setting_that_names_no_provider_stops_the_start(settings, path, problem):
    settings.CHATBOT_CUSTOMER_DATA_PROVIDER = path
    errors = [error for error in checks.run_checks() if error.id == "customers.E001"]

    assert len(errors) == 1 and problem in errors[0].msg
