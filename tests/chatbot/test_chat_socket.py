"""The customer chat socket, protocol v1 (docs/protocol.md), with a scripted engine for speed."""

import uuid

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from chatbot.conversations import engine
from chatbot.conversations.models import Conversation, Message
from tests.chatbot.chat_client import (
    chat_socket,
    connect,
    is_bot_message,
    is_typing_off,
    message_frame,
    receive_until,
)
from tests.chatbot.fakes import ScriptedEngine

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scripted_engine(monkeypatch) -> ScriptedEngine:
    fake = ScriptedEngine()
    monkeypatch.setattr(engine, "get_engine", lambda: fake)
    return fake


@database_sync_to_async
def stored(**filters) -> list[Message]:
    return list(Message.objects.filter(**filters).select_related("reply_to").order_by("id"))


async def test_it_refuses_a_socket_without_the_identity_cookie():
    socket = chat_socket(None)
    await socket.connect()
    assert await socket.receive_output() == {"type": "websocket.close", "code": 4401}


async def test_it_refuses_a_forged_identity_cookie(customer):
    socket = chat_socket(None)
    socket.scope["headers"].append((b"cookie", f"chatbot_customer={customer.public_id}:forged".encode()))
    await socket.connect()
    assert await socket.receive_output() == {"type": "websocket.close", "code": 4401}


async def test_it_refuses_a_socket_from_a_foreign_origin(customer):
    connected, _ = await chat_socket(customer, origin=b"https://evil.example.net").connect()
    assert not connected


async def test_it_sends_an_empty_history_before_the_first_message(customer):
    socket, history = await connect(customer)
    assert history == {
        "type": "history",
        "protocol": 1,
        "conversation": {"id": None, "status": "bot"},
        "messages": [],
        "pending_reply": None,
        "support": None,
    }
    await socket.disconnect()


async def test_a_message_is_acknowledged_then_answered_as_a_stream(customer, scripted_engine):
    socket, _ = await connect(customer)
    sent = message_frame("where is my order?")
    await socket.send_json_to(sent)
    frames = await receive_until(socket, is_typing_off)

    ack = frames[0]
    assert ack["type"] == "message"
    assert ack["message"]["client_id"] == sent["client_id"]
    assert ack["message"]["sender"] == "customer"
    assert ack["message"]["text"] == "where is my order?"
    assert {"type": "typing", "sender": "bot", "is_typing": True} in frames
    tokens = [frame for frame in frames if frame["type"] == "token"]
    assert len(tokens) > 1
    assert all(token["reply_to"] == ack["message"]["id"] for token in tokens)
    assert len({token["attempt"] for token in tokens}) == 1
    final = next(frame for frame in frames if is_bot_message(frame))
    assert "".join(token["delta"] for token in tokens) == final["message"]["text"]
    assert final["message"]["text"] == "Thanks for asking Northwind Outfitters. Your order ships today."
    assert final["message"]["reply_to"] == ack["message"]["id"]
    assert "intent" not in final["message"] and "confidence" not in final["message"]
    assert frames.index(final) > max(frames.index(token) for token in tokens)

    [bot] = await stored(sender="bot")
    assert bot.reply_to.client_id == uuid.UUID(sent["client_id"])
    assert (bot.model_version, bot.intent, bot.confidence, bot.token_count) == (
        "scripted-test",
        "track_order",
        0.8,
        9,
    )
    assert (bot.intent_probability, bot.first_token_ms, bot.latency_ms) == (0.9, 10, 50)
    assert len(await stored(sender="customer")) == 1
    await socket.disconnect()


async def test_the_model_sees_the_conversation_so_far(customer, scripted_engine):
    socket, _ = await connect(customer)
    for text in ["hi", "I want to return my boots"]:
        await socket.send_json_to(message_frame(text))
        await receive_until(socket, is_typing_off)
    turns = scripted_engine.calls[-1]["turns"]
    assert [(turn.role, turn.text) for turn in turns] == [
        ("customer", "hi"),
        ("bot", "Thanks for asking Northwind Outfitters. Your order ships today."),
        ("customer", "I want to return my boots"),
    ]
    assert scripted_engine.calls[-1]["slots"]["Customer Name"] == "Alice Example"
    await socket.disconnect()


BAD_FRAMES = [
    pytest.param("{not json", "invalid_json", id="invalid-json"),
    pytest.param("[1, 2]", "invalid_json", id="json-but-not-an-object"),
    pytest.param('{"type": "shout"}', "unknown_type", id="unknown-type"),
    pytest.param('{"text": "hi"}', "unknown_type", id="no-type"),
    pytest.param('{"type": "message", "text": "hi"}', "invalid_field", id="missing-client-id"),
    pytest.param(
        '{"type": "message", "client_id": 7, "text": "hi"}', "invalid_field", id="client-id-not-a-string"
    ),
    pytest.param(
        '{"type": "message", "client_id": "abc", "text": "hi"}', "invalid_field", id="client-id-not-a-uuid"
    ),
    pytest.param(
        '{"type": "message", "client_id": "6f1c1f4e-7a55-4a3e-9a43-2f1d1f3b9d10", "text": 5}',
        "invalid_field",
        id="text-not-a-string",
    ),
    pytest.param(
        '{"type": "message", "client_id": "6f1c1f4e-7a55-4a3e-9a43-2f1d1f3b9d10", "text": ""}',
        "empty_message",
        id="empty-text",
    ),
    pytest.param(
        '{"type": "message", "client_id": "6f1c1f4e-7a55-4a3e-9a43-2f1d1f3b9d10", "text": " \\n\\t "}',
        "empty_message",
        id="whitespace-text",
    ),
    pytest.param(
        '{"type": "message", "client_id": "6f1c1f4e-7a55-4a3e-9a43-2f1d1f3b9d10", "text": "'
        + "a" * 2001
        + '"}',
        "message_too_long",
        id="too-long",
    ),
    pytest.param('{"type": "typing", "is_typing": "yes"}', "invalid_field", id="typing-not-a-boolean"),
]


@pytest.mark.parametrize(("raw", "code"), BAD_FRAMES)
async def test_it_answers_bad_input_with_an_error_and_keeps_the_socket_open(customer, raw, code):
    socket, _ = await connect(customer)
    await socket.send_to(text_data=raw)
    error = await socket.receive_json_from(timeout=5)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["detail"].endswith(".")
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    assert await stored() == []
    assert not await database_sync_to_async(Conversation.objects.exists)()
    await socket.disconnect()


async def test_an_error_about_a_message_names_its_client_id(customer):
    socket, _ = await connect(customer)
    client_id = str(uuid.uuid4())
    await socket.send_json_to(message_frame("   ", client_id))
    error = await socket.receive_json_from(timeout=5)
    assert (error["code"], error["client_id"]) == ("empty_message", client_id)
    await socket.disconnect()


async def test_it_accepts_a_message_at_exactly_the_length_limit(customer, scripted_engine, settings):
    settings.CHATBOT_MAX_MESSAGE_CHARS = 10
    socket, _ = await connect(customer)
    await socket.send_json_to(message_frame("x" * 10))
    await receive_until(socket, is_typing_off)
    assert [m.text for m in await stored(sender="customer")] == ["x" * 10]
    await socket.disconnect()


async def test_it_refuses_binary_frames(customer):
    socket, _ = await connect(customer)
    await socket.send_to(bytes_data=b"\x00\x01")
    error = await socket.receive_json_from(timeout=5)
    assert (error["type"], error["code"]) == ("error", "binary_not_supported")
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()


async def test_a_resent_message_is_acknowledged_again_but_stored_and_answered_once(customer, scripted_engine):
    socket, _ = await connect(customer)
    sent = message_frame("cancel my order please")
    await socket.send_json_to(sent)
    first = await receive_until(socket, is_typing_off)
    await socket.send_json_to(sent)
    again = await socket.receive_json_from(timeout=5)

    assert again == first[0]
    assert await socket.receive_nothing(timeout=0.3)
    assert len(await stored(sender="customer")) == 1
    assert len(await stored(sender="bot")) == 1
    assert len(scripted_engine.calls) == 1
    await socket.disconnect()


async def test_a_reconnect_gets_the_history_without_duplicates(customer, scripted_engine):
    socket, _ = await connect(customer)
    sent = message_frame("do you ship to Canada?")
    await socket.send_json_to(sent)
    frames = await receive_until(socket, is_typing_off)
    await socket.disconnect()

    socket, history = await connect(customer)
    ack = frames[0]["message"]
    bot = next(frame for frame in frames if is_bot_message(frame))["message"]
    assert history["messages"] == [ack, bot]
    assert history["pending_reply"] is None
    conversation = await database_sync_to_async(Conversation.objects.get)()
    assert history["conversation"] == {"id": str(conversation.public_id), "status": "bot"}

    await socket.send_json_to({"type": "history"})
    assert await socket.receive_json_from(timeout=5) == history
    await socket.disconnect()


async def test_history_names_the_message_still_waiting_for_its_reply(customer):
    @database_sync_to_async
    def unanswered_message() -> Message:
        conversation = Conversation.objects.create(customer=customer)
        return Message.objects.create(
            conversation=conversation, sender="customer", text="hello", client_id=uuid.uuid4()
        )

    message = await unanswered_message()
    socket, history = await connect(customer)
    assert history["pending_reply"] == str(message.client_id)
    await socket.disconnect()


async def test_a_flood_is_rate_limited(customer, scripted_engine, settings):
    settings.CHATBOT_RATE_LIMIT_MESSAGES = 3
    socket, _ = await connect(customer)
    for number in range(3):
        await socket.send_json_to(message_frame(f"message {number}"))
        await receive_until(socket, is_typing_off)
    refused = message_frame("one too many")
    await socket.send_json_to(refused)
    # A late frame of the third reply may still be in flight ahead of the refusal.
    *earlier, error = await receive_until(socket, lambda frame: frame["type"] == "error", timeout=5)

    echoed = [frame for frame in earlier if frame.get("message", {}).get("client_id") == refused["client_id"]]
    assert echoed == []
    assert (error["type"], error["code"], error["client_id"]) == (
        "error",
        "rate_limited",
        refused["client_id"],
    )
    assert [m.text for m in await stored(sender="customer")] == ["message 0", "message 1", "message 2"]
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()


async def test_a_second_customer_never_sees_the_first_ones_conversation(
    customer, other_customer, scripted_engine
):
    alice, _ = await connect(customer)
    bob, bob_history = await connect(other_customer)
    sent = message_frame("my address is 1 Main Street")
    await alice.send_json_to(sent)
    await receive_until(alice, is_typing_off)

    assert bob_history["messages"] == []
    assert await bob.receive_nothing(timeout=0.5)
    await bob.send_json_to({"type": "history"})
    assert (await bob.receive_json_from(timeout=5))["messages"] == []

    # Bob sending Alice's client_id gets a message of his own, not Alice's acknowledged back.
    await bob.send_json_to({**sent, "text": "hello"})
    bob_frames = await receive_until(bob, is_typing_off)
    assert bob_frames[0]["message"]["text"] == "hello"
    assert len(await stored(client_id=sent["client_id"])) == 2
    assert await alice.receive_nothing(timeout=0.3)
    await alice.disconnect()
    await bob.disconnect()


async def test_a_model_failure_becomes_an_error_and_a_notice_and_stops_typing(customer, scripted_engine):
    scripted_engine.error = RuntimeError("CUDA out of memory")
    socket, _ = await connect(customer)
    sent = message_frame("where is my refund?")
    await socket.send_json_to(sent)
    frames = await receive_until(socket, is_typing_off)

    error = next(frame for frame in frames if frame["type"] == "error")
    assert (error["code"], error["client_id"]) == ("reply_failed", sent["client_id"])
    notice = next(
        frame for frame in frames if frame["type"] == "message" and frame["message"]["sender"] == "system"
    )
    assert "CUDA" not in notice["message"]["text"]
    assert await stored(sender="bot") == []
    assert len(await stored(sender="system")) == 1
    await socket.disconnect()


async def test_without_a_trained_model_the_reply_is_unavailable(customer, settings, tmp_path):
    settings.CHATBOT_MODEL_DIR = tmp_path / "empty-model-root"
    socket, _ = await connect(customer)
    await socket.send_json_to(message_frame("hello?"))
    frames = await receive_until(socket, is_typing_off)
    assert [frame["code"] for frame in frames if frame["type"] == "error"] == ["unavailable"]
    assert await stored(sender="bot") == []
    await socket.disconnect()


async def test_ping_and_typing_store_nothing(customer, scripted_engine):
    socket, _ = await connect(customer)
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.send_json_to({"type": "typing", "is_typing": True})
    assert await socket.receive_nothing(timeout=0.3)
    assert await stored() == []
    await socket.disconnect()


async def test_a_token_event_from_a_worker_of_the_previous_release_is_relayed_without_an_attempt(
    customer, scripted_engine
):
    socket, _ = await connect(customer)
    await socket.send_json_to(message_frame("where is my order?"))
    frames = await receive_until(socket, is_typing_off)
    conversation = await database_sync_to_async(Conversation.objects.get)()
    reply_to = frames[0]["message"]["id"]
    # The events of a worker that predates attempt ids (a rolling upgrade) must not end the socket.
    await get_channel_layer().group_send(
        conversation.group_name,
        {
            "type": "chat.token",
            "conversation": str(conversation.public_id),
            "reply_to": reply_to,
            "delta": "Hi",
        },
    )
    token = await socket.receive_json_from(timeout=5)
    assert token == {"type": "token", "reply_to": reply_to, "attempt": "", "delta": "Hi"}
    await socket.disconnect()
