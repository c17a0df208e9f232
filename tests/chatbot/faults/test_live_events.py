"""Live events are best effort (docs/resilience.md, "Redis restarted").

A worker's connection to the channel layer can be dead when a reply starts (Redis restarted since its
last event: the first command on the old connection fails). Typing and tokens are a courtesy; the reply
itself must still be generated, stored and announced. Likewise in the web process: a customer message
whose acknowledgement cannot be sent is still answered.
"""

import asyncio
import time
import uuid

import pytest
import redis
from channels.db import database_sync_to_async

from chatbot.conversations import engine, events
from chatbot.conversations.models import Conversation, Message
from chatbot.conversations.replies import answer_customer_message
from tests.chatbot.chat_client import connect, message_frame
from tests.chatbot.fakes import ScriptedEngine

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def stored_senders() -> list[str]:
    return list(Message.objects.order_by("id").values_list("sender", flat=True))


def test_a_reply_is_stored_when_its_live_events_cannot_be_sent(customer, monkeypatch, caplog):
    monkeypatch.setattr(engine, "get_engine", ScriptedEngine)
    conversation = Conversation.objects.create(customer=customer)
    message = Message.objects.create(
        conversation=conversation, sender=Message.Sender.CUSTOMER, text="hello?", client_id=uuid.uuid4()
    )

    def dead_channel_layer(group: str, event: dict) -> None:
        raise redis.exceptions.ConnectionError("Connection closed by server.")

    monkeypatch.setattr(events, "send_to_group", dead_channel_layer)
    reply = answer_customer_message(message_id=message.pk)

    assert reply is not None and reply.sender == Message.Sender.BOT
    assert Message.objects.get(reply_to=message) == reply
    assert "Live chat.typing event" in caplog.text and "ConnectionError" in caplog.text


async def test_a_message_whose_acknowledgement_cannot_be_sent_is_still_stored_and_answered(
    customer, monkeypatch
):
    monkeypatch.setattr(engine, "get_engine", ScriptedEngine)
    socket, _ = await connect(customer)

    def dead_channel_layer(group: str, event: dict) -> None:
        raise redis.exceptions.ConnectionError("Connection closed by server.")

    monkeypatch.setattr(events, "send_to_group", dead_channel_layer)
    await socket.send_json_to(message_frame("where is my order?"))
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}, "the socket is still served"

    deadline = time.monotonic() + 20
    while await stored_senders() != ["customer", "bot"]:
        assert time.monotonic() < deadline, await stored_senders()
        await asyncio.sleep(0.05)
    await socket.disconnect()
