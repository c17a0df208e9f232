"""The console's lists: what each card shows, read in a fixed number of queries however long the queue."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chatbot.conversations.models import Customer, Message
from chatbot.support.console_data import console_lists
from tests.chatbot.support.factories import make_conversation, make_escalation, make_message

pytestmark = pytest.mark.django_db


def queue_with(customers: int) -> None:
    for index in range(customers):
        customer = Customer.objects.create(name=f"Customer {index}")
        make_conversation(customer, status="closed")  # an earlier conversation
        escalation = make_escalation(customer, text=f"first {index}")
        for number in range(4):
            make_message(escalation.conversation, f"message {index}.{number}")
        make_message(escalation.conversation, "A notice", sender=Message.Sender.SYSTEM)


def test_a_card_shows_the_last_three_customer_or_bot_messages_oldest_first_and_earlier_conversations(
    staff, sent_events
):
    queue_with(1)
    [card] = console_lists(user=staff)["queue"]
    assert [message["text"] for message in card["last_messages"]] == [
        "message 0.1",
        "message 0.2",
        "message 0.3",
    ]
    assert card["earlier_conversations"] == 1


def test_the_lists_take_as_many_queries_for_twelve_waiting_customers_as_for_one(staff, sent_events):
    queue_with(1)
    with CaptureQueriesContext(connection) as one:
        console_lists(user=staff)
    queue_with(11)
    with CaptureQueriesContext(connection) as twelve:
        lists = console_lists(user=staff)
    assert len(lists["queue"]) == 12
    assert len(twelve) == len(one), (len(one), len(twelve))
