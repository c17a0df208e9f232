"""The real serving path (inference/serving.py: the model writes placeholders, they are filled as they
stream) with a tiny model that learned the shop's track_order reply: Sam's order and its status come from
the customer data provider, and an order number from slot memory."""

import json
from pathlib import Path

import pytest
from channels.db import database_sync_to_async

from chatbot.conversations.models import Customer, Message
from tests.chatbot.customers.chat import chat
from tests.inference.factories import train_tiny

pytestmark = pytest.mark.django_db(transaction=True)

TRACK_ORDER = "Your order {{Order Number}} is currently {{Order Status}}."
EXAMPLES = {
    "track_order": (
        ["where is my order", "track my parcel please", "has my order shipped yet", "status of my order"],
        TRACK_ORDER,
    ),
    "greeting": (["hi", "hello", "good morning", "hey there"], "Hello {{Customer Name}}! How can I help?"),
}


@pytest.fixture(scope="module")
def track_order_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model root with a tiny model that memorised EXAMPLES (seconds on one CPU thread)."""
    root = tmp_path_factory.mktemp("track-order-model")
    data = root / "track_order.jsonl"
    data.write_text(
        "".join(
            json.dumps(
                {"context": [{"role": "customer", "text": text}], "response": response, "intent": intent}
            )
            + "\n"
            for intent, (texts, response) in EXAMPLES.items()
            for text in texts
        ),
        encoding="utf-8",
    )
    train_tiny(data, root)
    return root


@pytest.fixture
def serving_track_order(settings, track_order_model: Path) -> None:
    settings.CHATBOT_MODEL_DIR = track_order_model


async def test_the_model_answers_sam_with_his_newest_order_and_its_status(sam, serving_track_order):
    replies = await chat(sam, "hi", "where is my order")

    assert replies == ["Hello Sam Walker! How can I help?", "Your order NW-48213 is currently in transit."]
    bot = await database_sync_to_async(list)(Message.objects.filter(sender="bot").order_by("id"))
    assert [reply.intent for reply in bot] == ["greeting", "track_order"]


async def test_the_model_fills_an_order_number_given_two_turns_earlier(serving_track_order, settings, db):
    settings.CHATBOT_CONTEXT_TURNS = 1  # only memory can know the number
    stranger = await database_sync_to_async(Customer.objects.create)()
    replies = await chat(stranger, "hello, order NW-77001 is mine", "hey there", "where is my order")

    assert replies[-1] == "Your order NW-77001 is currently listed under Order Status in your account."
