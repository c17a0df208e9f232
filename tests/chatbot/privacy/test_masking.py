"""Masking where messages are stored (chatbot/conversations/services.py), while the reply to a message is
made from the text as typed (chatbot/privacy/live_text.py). The socket end to end, with a fake engine."""

import uuid

import pytest
from channels.db import database_sync_to_async

from chatbot.conversations.models import Conversation, Message
from chatbot.privacy import live_text
from tests.chatbot.chat_client import connect, is_bot_message, is_typing_off, message_frame, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

TYPED = "My email is alice@example.com and my card 4111 1111 1111 1111, order NW-10234."
MASKED = "My email is [email] and my card [card], order NW-10234."


@database_sync_to_async
def stored_texts(sender: str) -> list[str]:
    return list(Message.objects.filter(sender=sender).order_by("id").values_list("text", flat=True))


async def test_the_database_and_every_frame_hold_the_masked_text_and_the_reply_used_the_typed_one(
    customer, echoing_engine
):
    socket, _ = await connect(customer)
    await socket.send_json_to(message_frame(TYPED))
    frames = await receive_until(socket, is_typing_off)
    await socket.disconnect()

    assert await stored_texts("customer") == [MASKED]
    assert frames[0]["message"]["text"] == MASKED  # the acknowledgement, as staff consoles get it too
    assert echoing_engine.calls[-1]["turns"][-1].text == TYPED
    # The streamed reply used the address; what is kept of it, and the final frame, do not. The shop's
    # own phone number is no customer's data and stays.
    streamed = "".join(frame["delta"] for frame in frames if frame["type"] == "token")
    assert streamed == "We will write to alice@example.com, or call us on +1 555 0100."
    [final] = [frame["message"]["text"] for frame in frames if is_bot_message(frame)]
    assert final == "We will write to [email], or call us on +1 555 0100."
    assert await stored_texts("bot") == [final]


async def test_the_typed_text_is_gone_from_the_cache_once_answered(customer, echoing_engine):
    socket, _ = await connect(customer)
    await socket.send_json_to(message_frame(TYPED))
    frames = await receive_until(socket, is_typing_off)
    await socket.disconnect()

    message_id = await database_sync_to_async(lambda: Message.objects.get(sender="customer").pk)()
    assert frames[-1]["type"] == "typing"
    assert live_text.typed_text(message_id=message_id) is None


async def test_earlier_turns_reach_the_model_as_stored(customer, echoing_engine):
    socket, _ = await connect(customer)
    for text in [TYPED, "and how long will it take?"]:
        await socket.send_json_to(message_frame(text))
        await receive_until(socket, is_typing_off)
    await socket.disconnect()

    turns = [(turn.role, turn.text) for turn in echoing_engine.calls[-1]["turns"]]
    assert turns[0] == ("customer", MASKED)
    assert turns[-1] == ("customer", "and how long will it take?")


async def test_with_masking_off_transcripts_keep_what_was_typed(customer, echoing_engine, settings):
    settings.CHATBOT_REDACT_TRANSCRIPTS = []
    socket, _ = await connect(customer)
    await socket.send_json_to(message_frame(TYPED))
    await receive_until(socket, is_bot_message)
    await socket.disconnect()

    assert await stored_texts("customer") == [TYPED]
    assert await stored_texts("bot") == ["We will write to alice@example.com, or call us on +1 555 0100."]


async def test_only_the_configured_kinds_are_masked(customer, echoing_engine, settings):
    settings.CHATBOT_REDACT_TRANSCRIPTS = ["card"]
    socket, _ = await connect(customer)
    await socket.send_json_to(message_frame(TYPED))
    await receive_until(socket, is_bot_message)
    await socket.disconnect()

    assert await stored_texts("customer") == [
        "My email is alice@example.com and my card [card], order NW-10234."
    ]


async def test_a_resend_gets_the_stored_masked_message_and_nothing_is_answered_twice(
    customer, echoing_engine
):
    socket, _ = await connect(customer)
    sent = message_frame(TYPED)
    await socket.send_json_to(sent)
    await receive_until(socket, is_typing_off)
    await socket.send_json_to(sent)
    again = await socket.receive_json_from(timeout=5)
    await socket.disconnect()

    assert again["message"]["text"] == MASKED
    assert len(echoing_engine.calls) == 1


def test_a_message_that_goes_to_staff_leaves_no_typed_text_behind(customer, settings, monkeypatch):
    """No reply is started (the conversation is not the bot's), so nothing would ever take the text."""
    from chatbot.conversations import services

    started = []
    monkeypatch.setattr(services, "dispatch_reply", lambda *, message_id: started.append(message_id))
    conversation = Conversation.objects.create(
        customer=customer, status=Conversation.Status.WAITING_FOR_STAFF
    )
    received = services.do_receive_customer_message(
        conversation=conversation, client_id=uuid.uuid4(), text=TYPED
    )
    assert received.message.text == MASKED
    assert started == []
    assert live_text.typed_text(message_id=received.message.pk) is None
