"""The staff socket next to the customer's (WebsocketCommunicator, in-memory channel layer): who may
connect, the live queue, the claim race, messages and typing both ways, notes that never reach the
customer, transfers, and bad frames."""

import json
import uuid

import pytest
from channels.db import database_sync_to_async
from django.db import OperationalError

from chatbot.conversations.consumers import CLOSE_TRY_AGAIN_LATER
from chatbot.conversations.models import Conversation, Message
from chatbot.conversations.protocol import TEMPORARILY_UNAVAILABLE_TEXT
from chatbot.support import console_data
from chatbot.support.models import CannedResponse, InternalNote
from tests.chatbot.chat_client import chat_socket, connect, message_frame, receive_until
from tests.chatbot.faults.outages import database_refusing_queries
from tests.chatbot.support.factories import staff_socket
from tests.chatbot.support.sockets import close_all, connect_staff, next_frame

pytestmark = pytest.mark.django_db(transaction=True)


async def escalated_customer(customer):
    """The customer's socket after pressing "Talk to a person", and the conversation's id."""
    socket, _ = await connect(customer)
    await socket.send_json_to({"type": "escalate"})
    status = await next_frame(socket, "status")
    return socket, status["conversation"]["id"]


async def claimed(customer, staff_user):
    """Customer and console sockets, the conversation claimed by `staff_user` and open in the console."""
    customer_socket, conversation_id = await escalated_customer(customer)
    console, _ = await connect_staff(staff_user)
    await console.send_json_to({"type": "claim", "conversation": conversation_id})
    await next_frame(customer_socket, "status", detail="Dana from support joined the conversation.")
    await console.send_json_to({"type": "open", "conversation": conversation_id})
    detail = await next_frame(console, "conversation")
    assert detail["can_act"] is True
    return customer_socket, console, conversation_id


# --- Who may connect ------------------------------------------------------------------------------


async def test_a_socket_without_a_signed_in_session_is_closed_4401(customer):
    socket = await staff_socket(None)
    await socket.connect()
    assert await socket.receive_output() == {"type": "websocket.close", "code": 4401}


async def test_a_customers_identity_cookie_never_opens_the_staff_socket(customer):
    socket = chat_socket(customer)  # the customer's own cookie, on the staff path
    socket.scope["path"] = "/ws/support/"
    await socket.connect()
    assert await socket.receive_output() == {"type": "websocket.close", "code": 4401}


async def test_a_signed_in_user_outside_the_support_group_is_closed_4403(outsider):
    socket = await staff_socket(outsider)
    await socket.connect()
    assert await socket.receive_output() == {"type": "websocket.close", "code": 4403}


async def test_a_staff_socket_from_a_foreign_origin_is_refused(staff):
    connected, _ = await (await staff_socket(staff, origin=b"https://evil.example.net")).connect()
    assert not connected


async def test_an_admin_gets_the_console_without_the_group_and_sees_others_conversations(admin_user, staff):
    socket, console = await connect_staff(admin_user)
    assert console["me"] == {"id": admin_user.pk, "name": "Ada", "is_admin": True}
    assert console["others"] == []
    _, staff_console = await connect_staff(staff)
    assert staff_console["others"] is None  # only admins get everyone's conversations
    await close_all(socket)


# --- The live queue and the claim -----------------------------------------------------------------


async def test_the_console_opens_with_queue_staff_list_and_canned_responses(staff, other_staff):
    await database_sync_to_async(CannedResponse.objects.create)(
        shortcut="refund", title="Refunds", text="Refunds take 5 days."
    )
    socket, console = await connect_staff(staff)
    assert console["queue"] == [] and console["mine"] == []
    assert console["canned"] == [{"shortcut": "refund", "title": "Refunds", "text": "Refunds take 5 days."}]
    assert {(s["name"], s["status"]) for s in console["staff"]} >= {("Sam Tyler", "offline")}
    assert [o["value"] for o in console["outcomes"]] == ["solved", "not_solved", "follow_up", "spam"]
    staff_list = await next_frame(socket, "staff")
    assert {(s["name"], s["status"]) for s in staff_list["staff"]} == {
        ("Dana Scully", "online"),
        ("Sam Tyler", "offline"),
    }
    await close_all(socket)


async def test_an_escalation_appears_live_in_every_console(customer, staff, other_staff):
    dana, _ = await connect_staff(staff)
    sam, _ = await connect_staff(other_staff)
    customer_socket, conversation_id = await escalated_customer(customer)
    for console in (dana, sam):
        queue = await next_frame(console, "queue")
        [card] = queue["queue"]
        assert (card["conversation"], card["reason"], card["reason_label"], card["priority_label"]) == (
            conversation_id,
            "customer_button",
            "Pressed “Talk to a person”",
            "Normal",
        )
        assert card["customer"] == {
            "name": "Alice Example",
            "email": "alice@example.com",
            "label": "Alice Example",
        }
        assert card["escalated"] and card["assignee"] is None
    await close_all(dana, sam, customer_socket)


async def test_the_customer_hears_their_place_and_who_joined(customer, staff):
    console, _ = await connect_staff(staff)  # someone is online
    customer_socket, _ = await connect(customer)
    await customer_socket.send_json_to({"type": "escalate"})
    system = await next_frame(customer_socket, "message")
    assert (system["message"]["sender"], system["message"]["text"]) == (
        "system",
        "I have asked a member of our support team to join this conversation.",
    )
    status = await next_frame(customer_socket, "status")
    assert status["conversation"]["status"] == "waiting_for_staff"
    assert status["detail"] == "A support agent will join shortly — you are number 1 in the queue."
    assert (status["support"]["queue_position"], status["support"]["staff_available"]) == (1, True)
    await close_all(console, customer_socket)


async def test_two_consoles_claiming_at_once_get_one_owner_and_one_clear_refusal(
    customer, staff, other_staff
):
    customer_socket, conversation_id = await escalated_customer(customer)
    dana, _ = await connect_staff(staff)
    sam, _ = await connect_staff(other_staff)
    await dana.send_json_to({"type": "claim", "conversation": conversation_id})
    await sam.send_json_to({"type": "claim", "conversation": conversation_id})
    refusal = await next_frame(sam, "error")
    assert (refusal["code"], refusal["detail"], refusal["conversation"]) == (
        "already_claimed",
        "Already claimed by Dana Scully.",
        conversation_id,
    )
    mine = await receive_until(dana, lambda f: f["type"] == "queue" and f["mine"])
    assert mine[-1]["mine"][0]["assignee"] == {"id": staff.pk, "name": "Dana Scully"}
    assert mine[-1]["queue"] == []
    await close_all(dana, sam, customer_socket)


# --- Talking with the customer --------------------------------------------------------------------


async def test_messages_and_typing_go_both_ways_and_the_bot_stays_silent(customer, staff, scripted_engine):
    customer_socket, console, conversation_id = await claimed(customer, staff)

    await console.send_json_to({"type": "typing", "conversation": conversation_id, "is_typing": True})
    assert await next_frame(customer_socket, "typing") == {
        "type": "typing",
        "sender": "staff",
        "is_typing": True,
    }
    client_id = str(uuid.uuid4())
    await console.send_json_to(
        {
            "type": "message",
            "conversation": conversation_id,
            "client_id": client_id,
            "text": "Hi, I'm Dana. <b>How</b> can I help?",
        }
    )
    to_customer = (await next_frame(customer_socket, "message"))["message"]
    assert (to_customer["sender"], to_customer["author"], to_customer["text"]) == (
        "staff",
        "Dana",
        "Hi, I'm Dana. <b>How</b> can I help?",  # stored and sent verbatim; the page inserts it as text
    )
    assert "intent" not in to_customer and "confidence" not in to_customer
    echoed = await next_frame(console, "message", conversation=conversation_id)
    assert (echoed["message"]["client_id"], echoed["message"]["author"]) == (client_id, "Dana Scully")

    await customer_socket.send_json_to({"type": "typing", "is_typing": True})
    typing = await next_frame(console, "typing", sender="customer")
    assert (typing["conversation"], typing["is_typing"]) == (conversation_id, True)
    await customer_socket.send_json_to(message_frame("My tent has a hole"))
    from_customer = await next_frame(console, "message", conversation=conversation_id)
    assert (from_customer["message"]["sender"], from_customer["message"]["text"]) == (
        "customer",
        "My tent has a hole",
    )

    frames = await receive_until(
        customer_socket, lambda f: f["type"] == "message" and f["message"]["sender"] == "customer"
    )
    assert await customer_socket.receive_nothing(timeout=0.5)  # no bot typing, tokens or reply
    assert not [f for f in frames if f["type"] in ("token",) or f.get("sender") == "bot"]
    assert not await database_sync_to_async(Message.objects.filter(sender="bot").exists)()
    await close_all(console, customer_socket)


async def test_staff_see_the_bots_intent_and_confidence_customers_never_do(customer, staff, scripted_engine):
    customer_socket, _ = await connect(customer)
    await customer_socket.send_json_to(message_frame("where is my order?"))
    await next_frame(customer_socket, "typing", is_typing=False)
    await customer_socket.send_json_to({"type": "escalate"})
    conversation_id = (await next_frame(customer_socket, "status"))["conversation"]["id"]

    console, _ = await connect_staff(staff)
    await console.send_json_to({"type": "open", "conversation": conversation_id})
    detail = await next_frame(console, "conversation")
    bot = next(m for m in detail["messages"] if m["sender"] == "bot")
    assert (bot["intent"], bot["confidence"], bot["intent_probability"], bot["model_version"]) == (
        "track_order",
        0.8,
        0.9,
        "scripted-test",
    )
    assert detail["can_claim"] is True and detail["can_act"] is False
    assert [e["kind"] for e in detail["events"]] == ["escalated"]

    await customer_socket.send_json_to({"type": "history"})
    history = await next_frame(customer_socket, "history")
    assert all("intent" not in m and "confidence" not in m for m in history["messages"])
    await close_all(console, customer_socket)


async def test_internal_notes_reach_colleagues_but_never_the_customer(customer, staff, other_staff):
    customer_socket, dana, conversation_id = await claimed(customer, staff)
    sam, _ = await connect_staff(other_staff)
    await sam.send_json_to({"type": "open", "conversation": conversation_id})
    await next_frame(sam, "conversation")

    secret = "Customer was rude last week; offer 10% at most"
    await dana.send_json_to({"type": "note", "conversation": conversation_id, "text": secret})
    for console in (dana, sam):
        note = await next_frame(console, "note")
        assert (note["conversation"], note["note"]["text"], note["note"]["author"]) == (
            conversation_id,
            secret,
            "Dana Scully",
        )

    assert await customer_socket.receive_nothing(timeout=0.5)
    await customer_socket.send_json_to({"type": "history"})
    history = await next_frame(customer_socket, "history")
    assert secret not in json.dumps(history)
    await customer_socket.disconnect()
    reconnected, history = await connect(customer)
    assert secret not in json.dumps(history)
    assert await database_sync_to_async(InternalNote.objects.filter(text=secret).count)() == 1
    assert not await database_sync_to_async(Message.objects.filter(text=secret).exists)()
    await close_all(dana, sam, reconnected)


async def test_only_the_owner_talks_to_the_customer(customer, staff, other_staff):
    customer_socket, dana, conversation_id = await claimed(customer, staff)
    sam, _ = await connect_staff(other_staff)
    sent = {
        "type": "message",
        "conversation": conversation_id,
        "client_id": str(uuid.uuid4()),
        "text": "Hello from Sam",
    }
    await sam.send_json_to(sent)
    error = await next_frame(sam, "error")
    assert (error["code"], error["client_id"]) == ("not_allowed", sent["client_id"])
    assert "Dana Scully owns this conversation" in error["detail"]
    for frame in (
        {"type": "typing", "conversation": conversation_id, "is_typing": True},
        {"type": "resolve", "conversation": conversation_id, "outcome": "solved"},
        {"type": "hand_back", "conversation": conversation_id},
    ):
        await sam.send_json_to(frame)
        assert (await next_frame(sam, "error"))["code"] == "not_allowed"
    assert await customer_socket.receive_nothing(timeout=0.3)
    assert not await database_sync_to_async(Message.objects.filter(sender="staff").exists)()
    await close_all(dana, sam, customer_socket)


async def test_a_transfer_moves_the_conversation_and_tells_everyone(customer, staff, other_staff):
    customer_socket, dana, conversation_id = await claimed(customer, staff)
    sam, _ = await connect_staff(other_staff)
    await dana.send_json_to({"type": "transfer", "conversation": conversation_id, "to": other_staff.pk})
    frames = await receive_until(sam, lambda f: f["type"] == "notice")
    assert frames[-1]["conversation"] == conversation_id
    assert frames[-1]["detail"] == "Dana Scully passed you the conversation with Alice Example."
    [mine] = [f["mine"] for f in frames if f["type"] == "queue" and f["mine"]]
    assert mine[0]["conversation"] == conversation_id
    status = await next_frame(customer_socket, "status", detail="Sam from support joined the conversation.")
    assert status["support"]["staff_name"] == "Sam"
    frames = await receive_until(
        dana, lambda f: f["type"] == "conversation" and f["events"][-1]["kind"] == "transferred"
    )
    assert frames[-1]["can_act"] is False
    assert frames[-1]["escalation"]["assignee"] == {"id": other_staff.pk, "name": "Sam Tyler"}
    await close_all(dana, sam, customer_socket)


async def test_hand_back_lets_the_bot_answer_again(customer, staff, scripted_engine):
    customer_socket, console, conversation_id = await claimed(customer, staff)
    await console.send_json_to({"type": "hand_back", "conversation": conversation_id})
    status = await next_frame(customer_socket, "status")
    assert (status["conversation"]["status"], status["support"]) == ("bot", None)
    await customer_socket.send_json_to(message_frame("one more question"))
    reply = await next_frame(customer_socket, "message", timeout=10)
    while reply["message"]["sender"] != "bot":
        reply = await next_frame(customer_socket, "message")
    assert reply["message"]["text"].startswith("Thanks for asking")
    status = await database_sync_to_async(lambda: Conversation.objects.get().status)()
    assert status == "bot"
    await close_all(console, customer_socket)


# --- Bad input ------------------------------------------------------------------------------------

CONVERSATION = "6f1c1f4e-7a55-4a3e-9a43-2f1d1f3b9d10"
MESSAGE_TO = f'"type": "message", "conversation": "{CONVERSATION}", "client_id": "{uuid.uuid4()}"'
BAD_STAFF_FRAMES = [
    pytest.param("{nope", "invalid_json", id="invalid-json"),
    pytest.param('"a string"', "invalid_json", id="not-an-object"),
    pytest.param('{"type": "delete_everything"}', "unknown_type", id="unknown-type"),
    pytest.param('{"type": "claim"}', "invalid_field", id="claim-without-conversation"),
    pytest.param('{"type": "claim", "conversation": 12}', "invalid_field", id="conversation-not-a-string"),
    pytest.param('{"type": "claim", "conversation": "abc"}', "invalid_field", id="conversation-not-a-uuid"),
    pytest.param(
        f'{{"type": "claim", "conversation": "{CONVERSATION}"}}', "not_found", id="no-such-conversation"
    ),
    pytest.param(
        f'{{{MESSAGE_TO}, "text": [1]}}',
        "invalid_field",
        id="text-not-a-string",
    ),
    pytest.param(
        f'{{{MESSAGE_TO}, "text": " "}}',
        "empty_message",
        id="empty-message",
    ),
    pytest.param(
        f'{{"type": "note", "conversation": "{CONVERSATION}", "text": "{"n" * 4001}"}}',
        "message_too_long",
        id="note-too-long",
    ),
    pytest.param(
        f'{{"type": "resolve", "conversation": "{CONVERSATION}", "outcome": "great"}}',
        "invalid_field",
        id="bad-outcome",
    ),
    pytest.param(
        f'{{"type": "transfer", "conversation": "{CONVERSATION}", "to": true}}',
        "invalid_field",
        id="bad-target",
    ),
    pytest.param('{"type": "presence", "status": "invisible"}', "invalid_field", id="bad-presence"),
    pytest.param(
        '{"type": "discard_suggestion", "suggestion": "x"}', "invalid_field", id="bad-suggestion-id"
    ),
]


@pytest.mark.parametrize(("raw", "code"), BAD_STAFF_FRAMES)
async def test_bad_staff_frames_get_an_error_and_change_nothing(staff, raw, code):
    console, _ = await connect_staff(staff)
    await console.send_to(text_data=raw)
    error = await next_frame(console, "error")
    assert error["code"] == code and error["detail"].endswith(".")
    await console.send_json_to({"type": "ping"})
    await next_frame(console, "pong")
    assert not await database_sync_to_async(Message.objects.exists)()
    assert not await database_sync_to_async(InternalNote.objects.exists)()
    await close_all(console)


async def test_binary_frames_are_refused_on_the_staff_socket(staff):
    console, _ = await connect_staff(staff)
    await console.send_to(bytes_data=b"\x00")
    assert (await next_frame(console, "error"))["code"] == "binary_not_supported"
    await close_all(console)


# --- The database fails ---------------------------------------------------------------------------


async def test_a_staff_message_refused_by_a_failing_database_is_answered_clearly_and_can_be_sent_again(
    customer, staff
):
    customer_socket, console, conversation_id = await claimed(customer, staff)
    frame = {"type": "message", "conversation": conversation_id, "client_id": str(uuid.uuid4()), "text": "Hi"}
    with database_refusing_queries():
        await console.send_json_to(frame)
        # (A conversation change still on its way may come first: reported with its own error frame.)
        error = await next_frame(console, "error", client_id=frame["client_id"])
        await console.send_json_to({"type": "ping"})
        await next_frame(console, "pong")  # the socket stays open

    assert error == {
        "type": "error",
        "code": "temporarily_unavailable",
        "detail": TEMPORARILY_UNAVAILABLE_TEXT,
        "conversation": conversation_id,
        "client_id": frame["client_id"],
    }
    assert not await database_sync_to_async(Message.objects.filter(sender="staff").exists)()
    await console.send_json_to(frame)
    echoed = await next_frame(console, "message", conversation=conversation_id)
    assert echoed["message"]["client_id"] == frame["client_id"]
    await close_all(console, customer_socket)


async def test_a_console_whose_snapshot_fails_is_told_why_and_closed_to_retry_later(staff, monkeypatch):
    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(console_data, "console_snapshot", database_gone)
    socket = await staff_socket(staff)
    connected, _ = await socket.connect()
    assert connected
    error = await socket.receive_json_from(timeout=10)
    assert (error["code"], error["detail"]) == ("temporarily_unavailable", TEMPORARILY_UNAVAILABLE_TEXT)
    assert await socket.receive_output(timeout=10) == {
        "type": "websocket.close",
        "code": CLOSE_TRY_AGAIN_LATER,
    }
    monkeypatch.undo()
    console, _ = await connect_staff(staff)  # the database is back
    await close_all(console)
