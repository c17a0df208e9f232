"""The embedded mode end to end with the real tiny model: socket → in-process reply thread → socket."""

import pytest
from channels.db import database_sync_to_async

from chatbot.conversations.models import Message
from tests.chatbot.chat_client import connect, is_bot_message, is_typing_off, message_frame, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_tiny_model_streams_a_reply_that_is_stored_once_with_its_metadata(
    customer, tiny_model_root
):
    socket, _ = await connect(customer)
    sent = message_frame("hi, where is my order?")
    await socket.send_json_to(sent)
    frames = await receive_until(socket, is_typing_off, timeout=60)
    await socket.disconnect()

    ack = frames[0]["message"]
    tokens = [frame["delta"] for frame in frames if frame["type"] == "token"]
    [final] = [frame["message"] for frame in frames if is_bot_message(frame)]
    assert tokens
    assert "".join(tokens) == final["text"]
    assert final["reply_to"] == ack["id"]
    assert "{{" not in final["text"], "every placeholder is filled or replaced by a fallback"

    bot = await database_sync_to_async(Message.objects.get)(sender="bot")
    [version_dir] = [path for path in tiny_model_root.iterdir() if path.is_dir()]
    assert bot.text == final["text"]
    assert bot.model_version == version_dir.name
    assert bot.intent and 0.0 <= bot.intent_probability <= 1.0 and 0.0 <= bot.confidence <= 1.0
    assert bot.token_count > 0
    assert bot.latency_ms >= bot.first_token_ms >= 0
