"""Slot memory (chatbot/customers/slot_memory.py): what the customer gave earlier fills later replies'
placeholders, from the text as typed, within the transcript policy; an unknown value never shows raw."""

import pytest
from channels.db import database_sync_to_async

from chatbot.conversations.models import Conversation, Customer
from chatbot.customers import slot_memory
from chatbot.customers.models import RememberedSlot
from tests.chatbot.customers.chat import chat

pytestmark = pytest.mark.django_db(transaction=True)

ASKS_FOR_NUMBERS = (
    "About order {{Order Number}} and invoice {{Invoice Number}}: we will write to {{Customer Email}}."
)


@pytest.fixture
def numbers_engine(filling_engine):
    return filling_engine(ASKS_FOR_NUMBERS)


@database_sync_to_async
def remembered(customer: Customer) -> dict[str, str]:
    rows = RememberedSlot.objects.filter(conversation__customer=customer)
    return {row.slot: row.value for row in rows}


async def test_an_order_number_given_two_turns_earlier_fills_a_later_reply(
    customer, numbers_engine, settings
):
    # The model sees only the newest turn: the number can only come from memory.
    settings.CHATBOT_CONTEXT_TURNS = 1
    replies = await chat(customer, "hi, my order NW-10234 has not arrived", "thanks", "so where is it?")

    assert [turn.text for turn in numbers_engine.calls[-1]["turns"]] == ["so where is it?"]
    assert replies[-1] == (
        "About order NW-10234 and invoice your invoice number: we will write to alice@example.com."
    )
    assert await remembered(customer) == {"order_number": "NW-10234"}


async def test_a_newer_value_replaces_the_remembered_one(customer, numbers_engine, settings):
    settings.CHATBOT_CONTEXT_TURNS = 1
    replies = await chat(customer, "order NW-10234 please", "sorry, I meant order NW-20001", "and?")

    assert replies[-1].startswith("About order NW-20001 ")
    assert await remembered(customer) == {"order_number": "NW-20001"}


async def test_what_a_customer_gave_in_an_earlier_conversation_is_remembered(
    customer, numbers_engine, settings
):
    settings.CHATBOT_CONTEXT_TURNS = 1
    await chat(customer, "my invoice INV-20931 is wrong")
    await database_sync_to_async(Conversation.objects.update)(status=Conversation.Status.CLOSED)

    replies = await chat(customer, "hello again")

    assert (
        replies[-1]
        == "About order your order number and invoice INV-20931: we will write to alice@example.com."
    )
    assert await database_sync_to_async(Conversation.objects.count)() == 2


async def test_this_conversations_value_wins_over_an_earlier_conversations(
    customer, numbers_engine, settings
):
    settings.CHATBOT_CONTEXT_TURNS = 1
    await chat(customer, "order NW-10234")
    await database_sync_to_async(Conversation.objects.update)(status=Conversation.Status.CLOSED)

    replies = await chat(customer, "order NW-55555 now", "and?")

    assert replies[-1].startswith("About order NW-55555 ")


async def test_with_e_mail_addresses_masked_none_is_remembered_but_the_live_reply_uses_it(
    numbers_engine, settings, db
):
    settings.CHATBOT_CONTEXT_TURNS = 1
    stranger = await database_sync_to_async(Customer.objects.create)()
    replies = await chat(stranger, "write to me at kim@example.org please", "thanks")

    assert replies[0].endswith("we will write to kim@example.org.")  # the live reply, from the typed text
    assert replies[1].endswith("we will write to your email address.")
    assert await remembered(stranger) == {}


async def test_with_e_mail_addresses_kept_in_transcripts_they_are_remembered(numbers_engine, settings, db):
    settings.CHATBOT_CONTEXT_TURNS = 1
    settings.CHATBOT_REDACT_TRANSCRIPTS = ["card", "phone", "iban"]
    stranger = await database_sync_to_async(Customer.objects.create)()
    replies = await chat(stranger, "write to me at kim@example.org please", "thanks")

    assert replies[1].endswith("we will write to kim@example.org.")
    assert await remembered(stranger) == {"customer_email": "kim@example.org"}


async def test_a_placeholder_nobody_can_fill_reads_as_a_phrase(numbers_engine, db):
    stranger = await database_sync_to_async(Customer.objects.create)()
    [reply] = await chat(stranger, "hello")

    assert reply == (
        "About order your order number and invoice your invoice number: we will write to your email address."
    )
    assert "{" not in reply and "}" not in reply


def test_remembering_is_an_upsert_per_slot(customer):
    conversation = Conversation.objects.create(customer=customer)
    slot_memory.do_remember_slots(conversation=conversation, typed_text="order NW-10001, invoice INV-301")
    slot_memory.do_remember_slots(conversation=conversation, typed_text="no, order NW-10002")

    assert slot_memory.remembered_slots(conversation=conversation) == {
        "Order Number": "NW-10002",
        "Invoice Number": "INV-301",
    }
    assert RememberedSlot.objects.count() == 2


def test_another_customers_memory_is_never_used(customer, other_customer):
    theirs = Conversation.objects.create(customer=other_customer)
    slot_memory.do_remember_slots(conversation=theirs, typed_text="order NW-99999")
    ours = Conversation.objects.create(customer=customer)

    assert slot_memory.remembered_slots(conversation=ours) == {}
