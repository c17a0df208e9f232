"""The customer data of this app under the privacy app's rules (docs/privacy.md): the subject-rights
export has a customer's orders and remembered slots, erasure and retention leave none of them behind."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chatbot.conversations.models import Conversation, Customer
from chatbot.customers.models import Order, RememberedSlot
from chatbot.customers.slot_memory import do_remember_slots
from chatbot.privacy import services
from chatbot.privacy.retention import apply_retention
from tests.chatbot.privacy.factories import database_text, rows_about, rows_existing, rows_referencing

pytestmark = pytest.mark.django_db


@pytest.fixture
def sams_data(sam, settings):
    """Sam with a remembered order number, invoice number and (transcripts keeping addresses) e-mail."""
    settings.CHATBOT_REDACT_TRANSCRIPTS = []
    conversation = Conversation.objects.create(customer=sam)
    do_remember_slots(
        conversation=conversation, typed_text="order NW-48213, invoice INV-7070, sam.private@example.net"
    )
    return conversation


def test_the_export_has_the_orders_and_everything_remembered(sams_data, sam, staff):
    document = services.do_export_customers(customers=[sam], actor=staff)
    [section] = document["customers"]

    orders = section["records"]["customers.order"]
    assert sorted(order["number"] for order in orders) == ["NW-39920", "NW-48213", "NW-60214"]
    remembered = {row["slot"]: row["value"] for row in section["records"]["customers.rememberedslot"]}
    assert remembered == {
        "order_number": "NW-48213",
        "invoice_number": "INV-7070",
        "customer_email": "sam.private@example.net",
    }


def test_erasure_leaves_no_order_and_nothing_remembered(sams_data, sam, customer, staff):
    alices = Conversation.objects.create(customer=customer)
    do_remember_slots(conversation=alices, typed_text="order NW-11111")
    erased = rows_about(sam)
    assert {"customers.order", "customers.rememberedslot"} <= set(erased)

    services.do_erase_customers(customers=[sam], actor=staff)

    assert rows_existing(erased) == {}
    assert rows_referencing(erased) == {}
    leftovers = database_text()
    assert "sam.private@example.net" not in leftovers and "INV-7070" not in leftovers
    assert not Order.objects.exists()
    assert RememberedSlot.objects.get().value == "NW-11111"  # Alice's, untouched


@pytest.mark.parametrize("action", ["delete", "anonymise"])
def test_retention_removes_what_an_expired_conversation_made_remembered(sams_data, sam, action):
    Conversation.objects.filter(pk=sams_data.pk).update(updated=timezone.now() - timedelta(days=40))

    apply_retention(days=30, action=action)

    assert not RememberedSlot.objects.exists()
    assert "sam.private@example.net" not in database_text()
    # The orders are the customer's, who is still there (a login, three orders): retention keeps them.
    assert Customer.objects.filter(pk=sam.pk).exists() and sam.orders.count() == 3
