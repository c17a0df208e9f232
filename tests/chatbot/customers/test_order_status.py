"""'Where is my order?' from a known customer: the reply names the order and its real status, from the
customer data provider (chatbot/customers/slots.py); never another customer's order."""

import pytest
from channels.db import database_sync_to_async

from chatbot.conversations.models import Customer
from chatbot.customers.models import Order
from chatbot.customers.providers import OrderFacts
from chatbot.customers.slots import order_in_question
from tests.chatbot.customers.chat import chat
from tests.chatbot.customers.factories import make_known_customer

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_most_recent_order_and_its_status_answer_where_is_my_order(sam, track_order_engine):
    [reply] = await chat(sam, "where is my order?")

    assert reply == "Your order NW-48213 is currently in transit, Sam Walker."


async def test_the_order_the_customer_names_is_the_one_answered(sam, track_order_engine):
    replies = await chat(sam, "what about NW-39920?", "and order nw-60214")

    assert replies == [
        "Your order NW-39920 is currently delivered, Sam Walker.",
        "Your order nw-60214 is currently being prepared, Sam Walker.",
    ]


async def test_a_status_change_in_the_admin_shows_in_the_next_reply(sam, track_order_engine):
    await chat(sam, "where is my order?")
    await database_sync_to_async(Order.objects.filter(number="NW-48213").update)(
        status=Order.Status.OUT_FOR_DELIVERY
    )
    [reply] = await chat(sam, "and now?")

    assert reply == "Your order NW-48213 is currently out for delivery, Sam Walker."


async def test_another_customers_order_number_gets_no_status(sam, track_order_engine, customer):
    [reply] = await chat(customer, "where is order NW-48213?")

    # The number is what Alice typed; the status of Sam's order is not hers to know.
    assert (
        reply == "Your order NW-48213 is currently listed under Order Status in your account, Alice Example."
    )


async def test_an_anonymous_customer_gets_natural_phrases(track_order_engine, db):
    stranger = await database_sync_to_async(Customer.objects.create)()
    [reply] = await chat(stranger, "where is my order?")

    assert reply == (
        "Your order your order number is currently listed under Order Status in your account, "
        "valued customer."
    )


def test_a_number_written_bare_names_one_of_the_customers_orders():
    orders = [OrderFacts("NW-48213", "in transit"), OrderFacts("NW-4821", "delivered")]

    assert order_in_question(orders=orders, customer_texts=["nw-48213 please"], remembered=None) == (
        "nw-48213",
        orders[0],
    )
    assert order_in_question(orders=orders, customer_texts=["NW-4821?", "hm"], remembered="NW-48213") == (
        "NW-4821",
        orders[1],
    )


def test_the_remembered_number_comes_before_the_newest_order():
    orders = [OrderFacts("NW-2", "in transit"), OrderFacts("NW-1", "delivered")]

    assert order_in_question(orders=orders, customer_texts=["hi"], remembered="NW-1") == ("NW-1", orders[1])
    assert order_in_question(orders=orders, customer_texts=["hi"], remembered=None) == ("NW-2", orders[0])
    assert order_in_question(orders=[], customer_texts=["hi"], remembered=None) == (None, None)


def test_order_numbers_are_unique_whatever_the_case(sam):
    from django.db import IntegrityError, transaction

    other = make_known_customer("kim", name="Kim")
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.create(customer=other, number="nw-48213")
