"""The chat socket's earlier conversations and "New conversation" (docs/protocol.md, docs/
personalization.md): a customer lists and reads only their own, and starts a new one; a conversation with
staff is not closed from the chat."""

import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.customers import services
from tests.chatbot.chat_client import connect, is_typing_off, message_frame, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@database_sync_to_async
def make_conversation(
    customer: Customer, *texts: str, status: str = "closed", days_ago: int = 0
) -> Conversation:
    conversation = Conversation.objects.create(customer=customer, status=status)
    at = timezone.now() - timedelta(days=days_ago)
    Message.objects.create(conversation=conversation, sender="system", text="Notice", created=at)
    for number, text in enumerate(texts):
        sender = "customer" if number % 2 == 0 else "bot"
        Message.objects.create(
            conversation=conversation,
            sender=sender,
            text=text,
            client_id=uuid.uuid4() if sender == "customer" else None,
            created=at + timedelta(seconds=number),
        )
    return conversation


async def ask(socket, frame: dict) -> dict:
    await socket.send_json_to(frame)
    return await socket.receive_json_from(timeout=5)


async def test_the_list_holds_the_customers_conversations_newest_first(customer, other_customer):
    old = await make_conversation(customer, "my tent pole broke", "Sorry to hear that.", days_ago=30)
    recent = await make_conversation(
        customer, "  where is\n my order?  " + "x" * 100, "It ships today.", days_ago=2
    )
    await make_conversation(other_customer, "Bob's private question")
    await database_sync_to_async(Conversation.objects.create)(customer=customer, status="bot")  # empty

    socket, _ = await connect(customer)
    frame = await ask(socket, {"type": "conversations"})
    await socket.disconnect()

    assert frame["type"] == "conversations"
    assert [row["id"] for row in frame["conversations"]] == [str(recent.public_id), str(old.public_id)]
    first = frame["conversations"][0]
    assert set(first) == {"id", "status", "started", "last_activity", "messages", "preview"}
    assert first["status"] == "closed" and first["messages"] == 2
    assert first["preview"].startswith("where is my order? xxx") and first["preview"].endswith("…")
    assert len(first["preview"]) == 80


async def test_the_list_shows_the_masked_text(customer, answering_engine):
    socket, _ = await connect(customer)
    await socket.send_json_to(message_frame("my card 4111 1111 1111 1111 was charged twice"))
    await receive_until(socket, is_typing_off)
    frame = await ask(socket, {"type": "conversations"})
    await socket.disconnect()

    assert frame["conversations"][0]["preview"] == "my card [card] was charged twice"


async def test_a_customer_reads_an_earlier_conversation_of_theirs(customer):
    old = await make_conversation(customer, "my tent pole broke", "Sorry to hear that.")

    socket, history = await connect(customer)
    frame = await ask(socket, {"type": "transcript", "conversation": str(old.public_id)})
    await socket.disconnect()

    assert frame["type"] == "transcript"
    assert frame["conversation"] == {"id": str(old.public_id), "status": "closed"}
    assert [(message["sender"], message["text"]) for message in frame["messages"]] == [
        ("system", "Notice"),
        ("customer", "my tent pole broke"),
        ("bot", "Sorry to hear that."),
    ]
    assert history["conversation"]["id"] is None  # reading it does not reopen it


@pytest.mark.parametrize("whose", ["other", "nobody"])
async def test_another_customers_conversation_is_unknown(customer, other_customer, whose):
    theirs = await make_conversation(other_customer, "Bob's private question")
    conversation_id = str(theirs.public_id) if whose == "other" else str(uuid.uuid4())

    socket, _ = await connect(customer)
    frame = await ask(socket, {"type": "transcript", "conversation": conversation_id})
    bad = await ask(socket, {"type": "transcript", "conversation": "not-a-uuid"})
    await socket.disconnect()

    assert (frame["type"], frame["code"]) == ("error", "unknown_conversation")
    assert "Bob" not in str(frame)
    assert (bad["type"], bad["code"]) == ("error", "invalid_field")


async def test_a_new_conversation_closes_the_current_one_and_the_next_message_starts_it(
    customer, answering_engine
):
    current = await make_conversation(customer, "first question", "first answer", status="bot")
    socket, history = await connect(customer)
    other_tab, _ = await connect(customer)
    assert history["conversation"]["id"] == str(current.public_id)

    fresh = await ask(socket, {"type": "new_conversation"})
    assert fresh["type"] == "history"
    assert (fresh["conversation"], fresh["messages"]) == ({"id": None, "status": "bot"}, [])
    # The customer's other tab hears that the conversation closed; this one only gets its new history.
    status = await other_tab.receive_json_from(timeout=5)
    assert status["type"] == "status"
    assert status["conversation"] == {"id": str(current.public_id), "status": "closed"}
    assert status["detail"] == services.CLOSED_FOR_NEW_TEXT
    assert await socket.receive_nothing(timeout=0.3)

    await socket.send_json_to(message_frame("a new question"))
    frames = await receive_until(socket, is_typing_off)
    await socket.disconnect()
    await other_tab.disconnect()

    await database_sync_to_async(current.refresh_from_db)()
    assert current.status == "closed"
    newer = await database_sync_to_async(Conversation.objects.exclude(pk=current.pk).get)()
    assert newer.status == "bot" and await database_sync_to_async(newer.messages.count)() == 2
    assert frames[0]["message"]["text"] == "a new question"


async def test_without_messages_there_is_nothing_to_close(customer):
    empty = await database_sync_to_async(Conversation.objects.create)(customer=customer)
    socket, _ = await connect(customer)
    fresh = await ask(socket, {"type": "new_conversation"})
    await socket.disconnect()

    await database_sync_to_async(empty.refresh_from_db)()
    assert empty.status == "bot" and fresh["conversation"]["id"] == str(empty.public_id)


@pytest.mark.parametrize("status", ["waiting_for_staff", "with_staff"])
async def test_a_conversation_with_staff_is_not_closed_from_the_chat(customer, status):
    current = await make_conversation(customer, "a person please", status=status)
    socket, _ = await connect(customer)
    frame = await ask(socket, {"type": "new_conversation"})
    error = await socket.receive_json_from(timeout=5)
    acknowledged = await ask(socket, message_frame("still there?"))  # sent to the conversation's group
    await socket.disconnect()

    assert acknowledged["type"] == "message" and acknowledged["message"]["text"] == "still there?"

    assert frame["type"] == "history"  # the same conversation again, still joined: staff's messages come
    assert frame["conversation"] == {"id": str(current.public_id), "status": status}
    assert (error["type"], error["code"]) == ("error", "conversation_with_staff")
    await database_sync_to_async(current.refresh_from_db)()
    assert current.status == status


async def test_the_page_greets_a_known_customer_by_name_and_a_stranger_without(client, customer):
    from chatbot.conversations.identity import sign_customer

    stranger_page = await database_sync_to_async(client.get)("/")
    client.cookies["chatbot_customer"] = sign_customer(customer)
    known_page = await database_sync_to_async(client.get)("/embed/")

    assert "Hi! How can we help?" in stranger_page.text
    assert "Hi Alice Example! How can we help?" in known_page.text
