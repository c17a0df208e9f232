"""The customer's side of a hand-over over the socket: nobody online (leave contact details), presence
changes, the CSAT rating after a resolution, and bad input on the new frames."""

import uuid

import pytest
from channels.db import database_sync_to_async

from chatbot.conversations.models import Conversation, Customer
from chatbot.support.models import CsatRating, Escalation, SupportEvent
from tests.chatbot.chat_client import connect
from tests.chatbot.support.sockets import close_all, connect_staff, next_frame

pytestmark = pytest.mark.django_db(transaction=True)


async def escalate(socket) -> dict:
    await socket.send_json_to({"type": "escalate"})
    return await next_frame(socket, "status")


async def test_with_nobody_online_the_customer_leaves_an_address_and_stays_queued(customer, staff):
    socket, _ = await connect(customer)
    status = await escalate(socket)
    assert status["support"]["staff_available"] is False
    assert status["detail"] == (
        "No one from our team is online right now. "
        "Leave your e-mail address and a message, and we will get back to you."
    )

    await socket.send_json_to({"type": "contact", "email": "not an address", "message": "hi"})
    error = await next_frame(socket, "error")
    assert (error["code"], error["detail"]) == (
        "invalid_email",
        "Please enter a valid e-mail address, like name@example.com.",
    )
    await socket.send_json_to(
        {"type": "contact", "email": "alice@home.example", "message": "My tent arrived torn."}
    )
    notice = await next_frame(socket, "message")
    assert notice["message"]["text"] == "Thanks! We will reply to alice@home.example."
    status = await next_frame(socket, "status")
    assert status["support"]["contact_left"] is True
    assert status["detail"] == (
        "Thanks, we will reply to alice@home.example. "
        "Meanwhile you are number 1 in the queue; you can keep writing here."
    )

    console, snapshot = await connect_staff(staff)  # the next shift signs in
    [card] = snapshot["queue"]
    assert card["contact"]["email"] == "alice@home.example"
    assert card["contact"]["message"] == "My tent arrived torn."
    assert card["customer"]["email"] == "alice@home.example"
    await close_all(console, socket)


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param({"type": "contact", "email": 5}, id="email-not-a-string"),
        pytest.param(
            {"type": "contact", "email": "a@b.example", "message": {"x": 1}}, id="message-not-a-string"
        ),
        pytest.param({"type": "contact", "email": "x" * 250 + "@b.example"}, id="email-too-long"),
        pytest.param(
            {"type": "contact", "email": "a@b.example", "message": "m" * 2001}, id="message-too-long"
        ),
        pytest.param({"type": "contact", "email": "<script>@x.example"}, id="hostile-email"),
    ],
)
async def test_bad_contact_details_are_refused_and_nothing_is_stored(customer, frame):
    socket, _ = await connect(customer)
    await escalate(socket)
    await socket.send_json_to(frame)
    error = await next_frame(socket, "error")
    assert error["code"] in {"invalid_field", "invalid_email", "message_too_long"}
    escalation = await database_sync_to_async(Escalation.objects.get)()
    assert (escalation.contact_email, escalation.contact_left) == ("", None)
    assert not await database_sync_to_async(
        SupportEvent.objects.filter(kind="customer_left_contact").exists
    )()
    await close_all(socket)


async def test_contact_details_are_only_taken_while_waiting(customer):
    socket, _ = await connect(customer)
    await socket.send_json_to({"type": "contact", "email": "a@b.example", "message": ""})
    assert (await next_frame(socket, "error"))["code"] == "not_waiting"
    await close_all(socket)


async def test_a_waiting_customer_hears_when_the_last_staff_member_goes_away(customer, staff):
    console, _ = await connect_staff(staff)
    socket, _ = await connect(customer)
    status = await escalate(socket)
    assert status["support"]["staff_available"] is True
    await console.send_json_to({"type": "presence", "status": "away"})
    status = await next_frame(socket, "status")
    assert status["support"]["staff_available"] is False
    assert status["detail"].startswith("No one from our team is online right now.")
    await console.send_json_to({"type": "presence", "status": "online"})
    assert (await next_frame(socket, "status"))["support"]["staff_available"] is True
    await console.disconnect()
    assert (await next_frame(socket, "status"))["support"]["staff_available"] is False
    await close_all(socket)


async def test_pressing_the_button_twice_escalates_once(customer):
    socket, _ = await connect(customer)
    first = await escalate(socket)
    second = await escalate(socket)
    assert first["support"]["queue_position"] == second["support"]["queue_position"] == 1
    assert await database_sync_to_async(Escalation.objects.count)() == 1
    await close_all(socket)


async def test_the_history_after_a_reconnect_says_where_the_customer_stands(customer):
    socket, _ = await connect(customer)
    await escalate(socket)
    await socket.disconnect()
    socket, history = await connect(customer)
    assert history["conversation"]["status"] == "waiting_for_staff"
    assert history["support"]["queue_position"] == 1
    await close_all(socket)


# --- CSAT -----------------------------------------------------------------------------------------


async def resolved_by(customer, staff_user, outcome: str = "solved"):
    socket, _ = await connect(customer)
    conversation_id = (await escalate(socket))["conversation"]["id"]
    console, _ = await connect_staff(staff_user)
    await console.send_json_to({"type": "claim", "conversation": conversation_id})
    await next_frame(socket, "status", detail="Dana from support joined the conversation.")
    await console.send_json_to({"type": "resolve", "conversation": conversation_id, "outcome": outcome})
    return socket, console, conversation_id


async def test_after_a_resolution_the_customer_rates_it_once(customer, staff):
    socket, console, conversation_id = await resolved_by(customer, staff)
    status = await next_frame(socket, "status")
    assert (status["conversation"]["status"], status["support"]) == ("closed", None)
    request = await next_frame(socket, "csat_request")
    assert request == {"type": "csat_request", "conversation": conversation_id, "staff_name": "Dana"}

    await socket.send_json_to(
        {"type": "csat", "conversation": conversation_id, "rating": 5, "comment": "  Quick and kind!  "}
    )
    assert await next_frame(socket, "csat_recorded") == {
        "type": "csat_recorded",
        "conversation": conversation_id,
        "rating": 5,
    }
    await socket.send_json_to({"type": "csat", "conversation": conversation_id, "rating": 1})
    error = await next_frame(socket, "error")
    assert error["code"] == "already_rated"
    [rating] = await database_sync_to_async(lambda: list(CsatRating.objects.select_related("escalation")))()
    assert (rating.rating, rating.comment, rating.escalation.outcome) == (5, "Quick and kind!", "solved")
    await close_all(socket, console)


async def test_a_reload_after_the_resolution_asks_for_the_rating_again(customer, staff):
    socket, console, conversation_id = await resolved_by(customer, staff)
    await next_frame(socket, "csat_request")
    await socket.disconnect()
    socket, history = await connect(customer)
    assert history["conversation"]["id"] is None  # the resolved conversation is closed
    assert (await next_frame(socket, "csat_request"))["conversation"] == conversation_id
    await close_all(socket, console)


@pytest.mark.parametrize(
    ("rating", "comment", "code"),
    [
        (0, "", "invalid_field"),
        (6, "", "invalid_field"),
        ("5", "", "invalid_field"),
        (True, "", "invalid_field"),
        (4.5, "", "invalid_field"),
        (4, 42, "invalid_field"),
        (4, "c" * 1001, "message_too_long"),
    ],
)
async def test_a_bad_rating_is_refused_and_nothing_is_stored(customer, staff, rating, comment, code):
    socket, console, conversation_id = await resolved_by(customer, staff)
    await socket.send_json_to(
        {"type": "csat", "conversation": conversation_id, "rating": rating, "comment": comment}
    )
    assert (await next_frame(socket, "error"))["code"] == code
    assert not await database_sync_to_async(CsatRating.objects.exists)()
    await close_all(socket, console)


async def test_nobody_rates_another_customers_conversation_or_one_staff_never_resolved(
    customer, other_customer, staff
):
    socket, console, conversation_id = await resolved_by(customer, staff)
    intruder, _ = await connect(other_customer)
    await intruder.send_json_to({"type": "csat", "conversation": conversation_id, "rating": 1})
    assert (await next_frame(intruder, "error"))["code"] == "not_rateable"

    bot_only = await database_sync_to_async(Conversation.objects.create)(
        customer=other_customer, status="closed"
    )
    await intruder.send_json_to({"type": "csat", "conversation": str(bot_only.public_id), "rating": 3})
    assert (await next_frame(intruder, "error"))["code"] == "not_rateable"
    await intruder.send_json_to({"type": "csat", "conversation": str(uuid.uuid4()), "rating": 3})
    assert (await next_frame(intruder, "error"))["code"] == "not_rateable"
    assert not await database_sync_to_async(CsatRating.objects.exists)()
    await close_all(socket, console, intruder)


async def test_spam_gets_no_rating_request(customer, staff):
    socket, console, conversation_id = await resolved_by(customer, staff, outcome="spam")
    await next_frame(
        socket, "status", detail="This conversation has ended. Send a message to start a new one."
    )
    assert await socket.receive_nothing(timeout=0.5)
    await socket.send_json_to({"type": "csat", "conversation": conversation_id, "rating": 1})
    assert (await next_frame(socket, "error"))["code"] == "not_rateable"
    await close_all(socket, console)


async def test_a_new_message_after_the_resolution_starts_a_new_conversation_for_the_bot(customer, staff):
    from tests.chatbot.chat_client import message_frame

    socket, console, conversation_id = await resolved_by(customer, staff)
    await next_frame(socket, "csat_request")
    await socket.send_json_to(message_frame("one more thing"))
    ack = await next_frame(socket, "message")
    assert ack["message"]["text"] == "one more thing"
    conversations = await database_sync_to_async(
        lambda: list(Customer.objects.get(pk=customer.pk).conversations.values_list("status", flat=True))
    )()
    assert sorted(conversations) == ["bot", "closed"]
    await close_all(socket, console)
