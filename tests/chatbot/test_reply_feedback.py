"""Thumbs up/down on bot replies: the service's rules and the `feedback` frame of the chat socket."""

import pytest
from channels.db import database_sync_to_async

from chatbot.conversations import services
from chatbot.conversations.models import Message
from chatbot.conversations.protocol import ErrorCode, ProtocolError
from tests.chatbot.chat_client import connect, receive_until
from tests.chatbot.support.factories import make_conversation, make_message, make_staff
from tests.chatbot.support.sockets import connect_staff, next_frame


def make_exchange(customer) -> tuple[Message, Message]:
    """A customer question and the bot's reply to it, in the customer's open conversation."""
    conversation = make_conversation(customer)
    question = make_message(conversation, "where is my order?")
    reply = make_message(
        conversation, "It ships today.", sender=Message.Sender.BOT, reply_to=question, intent="track_order"
    )
    return question, reply


def vote(customer, message: Message, value: str | None) -> Message:
    return services.do_vote_on_reply(customer=customer, message_id=message.public_id, vote=value)


def refusal_code(customer, message: Message, value: str | None = "up") -> str:
    with pytest.raises(ProtocolError) as refused:
        vote(customer, message, value)
    return refused.value.code


# --- The service ----------------------------------------------------------------------------------


def test_a_vote_is_stored_with_its_time(customer):
    _, reply = make_exchange(customer)
    vote(customer, reply, "down")
    reply.refresh_from_db()
    assert reply.feedback == Message.Vote.DOWN
    assert reply.feedback_at is not None


def test_a_vote_can_be_changed_and_taken_back(customer):
    _, reply = make_exchange(customer)
    vote(customer, reply, "down")
    vote(customer, reply, "up")
    reply.refresh_from_db()
    assert reply.feedback == "up"
    vote(customer, reply, None)
    reply.refresh_from_db()
    assert (reply.feedback, reply.feedback_at) == ("", None)


def test_the_same_vote_twice_changes_nothing(customer):
    _, reply = make_exchange(customer)
    vote(customer, reply, "up")
    reply.refresh_from_db()
    first_time = reply.feedback_at
    vote(customer, reply, "up")
    reply.refresh_from_db()
    assert (reply.feedback, reply.feedback_at) == ("up", first_time)


def test_only_bot_replies_can_be_rated(customer, django_user_model):
    question, reply = make_exchange(customer)
    staff = django_user_model.objects.create_user(username="dana")
    staff_message = make_message(
        reply.conversation, "Hi, Dana here.", sender=Message.Sender.STAFF, author=staff
    )
    notice = make_message(reply.conversation, "Sorry.", sender=Message.Sender.SYSTEM)
    for message in (question, staff_message, notice):
        assert refusal_code(customer, message) == ErrorCode.NOT_BOT_REPLY
    assert not Message.objects.exclude(feedback="").exists()


def test_nobody_rates_another_customers_reply(customer, other_customer):
    _, reply = make_exchange(customer)
    assert refusal_code(other_customer, reply) == ErrorCode.UNKNOWN_MESSAGE
    reply.refresh_from_db()
    assert reply.feedback == ""


def test_the_review_list_can_find_conversations_with_a_thumbs_down(customer, other_customer):
    _, liked = make_exchange(customer)
    _, disliked = make_exchange(other_customer)
    vote(customer, liked, "up")
    vote(other_customer, disliked, "down")
    assert list(Message.objects.filter(feedback="down")) == [disliked]


# --- The socket ----------------------------------------------------------------------------------

socket_test = pytest.mark.django_db(transaction=True)


def is_recorded(frame: dict) -> bool:
    return frame["type"] == "feedback_recorded"


@socket_test
async def test_every_tab_of_the_customer_hears_the_vote_and_history_carries_it(customer):
    _, reply = await database_sync_to_async(make_exchange)(customer)
    first_tab, history = await connect(customer)
    second_tab, _ = await connect(customer)
    assert history["messages"][1]["feedback"] is None

    frame = {"type": "feedback", "message_id": str(reply.public_id), "vote": "down"}
    await first_tab.send_json_to(frame)
    expected = {"type": "feedback_recorded", "message_id": str(reply.public_id), "vote": "down"}
    assert await receive_until(first_tab, is_recorded, timeout=5) == [expected]
    assert await receive_until(second_tab, is_recorded, timeout=5) == [expected]

    # Idempotent: the same frame again is confirmed again and stores nothing new.
    await first_tab.send_json_to(frame)
    assert await receive_until(first_tab, is_recorded, timeout=5) == [expected]
    assert await receive_until(second_tab, is_recorded, timeout=5) == [expected]

    await second_tab.send_json_to({"type": "history"})
    reloaded = await second_tab.receive_json_from(timeout=5)
    assert [message["feedback"] for message in reloaded["messages"]] == [None, "down"]

    await second_tab.send_json_to({**frame, "vote": None})
    taken_back = {**expected, "vote": None}
    assert await receive_until(first_tab, is_recorded, timeout=5) == [taken_back]
    assert await receive_until(second_tab, is_recorded, timeout=5) == [taken_back]
    await first_tab.disconnect()
    await second_tab.disconnect()


@socket_test
async def test_a_second_customer_can_neither_rate_nor_hear_the_first_ones_votes(customer, other_customer):
    _, reply = await database_sync_to_async(make_exchange)(customer)
    alice, _ = await connect(customer)
    bob, _ = await connect(other_customer)
    await bob.send_json_to({"type": "feedback", "message_id": str(reply.public_id), "vote": "down"})
    error = await bob.receive_json_from(timeout=5)
    assert (error["type"], error["code"]) == ("error", "unknown_message")
    assert await alice.receive_nothing(timeout=0.3)

    await alice.send_json_to({"type": "feedback", "message_id": str(reply.public_id), "vote": "up"})
    assert (await alice.receive_json_from(timeout=5))["vote"] == "up"
    assert await bob.receive_nothing(timeout=0.3)
    await reply.arefresh_from_db()
    assert reply.feedback == "up"
    await alice.disconnect()
    await bob.disconnect()


BAD_FEEDBACK = [
    pytest.param({"message_id": "not-a-uuid", "vote": "up"}, "invalid_field", id="id-not-a-uuid"),
    pytest.param({"message_id": 7, "vote": "up"}, "invalid_field", id="id-not-a-string"),
    pytest.param({"vote": "up"}, "invalid_field", id="no-id"),
    pytest.param({"message_id": "REPLY"}, "invalid_field", id="no-vote"),
    pytest.param({"message_id": "REPLY", "vote": "sideways"}, "invalid_field", id="unknown-vote"),
    pytest.param({"message_id": "REPLY", "vote": True}, "invalid_field", id="vote-not-a-string"),
    pytest.param({"message_id": "REPLY", "vote": ["up"]}, "invalid_field", id="vote-a-list"),
    pytest.param({"message_id": "QUESTION", "vote": "up"}, "not_bot_reply", id="customer-message"),
    pytest.param(
        {"message_id": "00000000-0000-4000-8000-000000000000", "vote": "up"},
        "unknown_message",
        id="unknown-id",
    ),
]


@socket_test
@pytest.mark.parametrize(("fields", "code"), BAD_FEEDBACK)
async def test_bad_feedback_is_an_error_and_stores_nothing(customer, fields, code):
    question, reply = await database_sync_to_async(make_exchange)(customer)
    ids = {"REPLY": str(reply.public_id), "QUESTION": str(question.public_id)}
    if isinstance(fields.get("message_id"), str):
        fields = {**fields, "message_id": ids.get(fields["message_id"], fields["message_id"])}
    socket, _ = await connect(customer)
    await socket.send_json_to({"type": "feedback", **fields})
    error = await socket.receive_json_from(timeout=5)
    assert (error["type"], error["code"]) == ("error", code)
    assert error["detail"]
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await reply.arefresh_from_db()
    assert reply.feedback == ""
    await socket.disconnect()


@socket_test
async def test_the_staff_transcript_shows_the_vote_next_to_the_intent(customer):
    _, reply = await database_sync_to_async(make_exchange)(customer)
    staff = await database_sync_to_async(make_staff)("dana", first_name="Dana")
    console, _ = await connect_staff(staff)
    open_frame = {"type": "open", "conversation": str(reply.conversation.public_id)}
    await console.send_json_to(open_frame)
    opened = await next_frame(console, "conversation")
    assert opened["messages"][1]["feedback"] is None

    chat, _ = await connect(customer)
    await chat.send_json_to({"type": "feedback", "message_id": str(reply.public_id), "vote": "down"})
    await receive_until(chat, is_recorded, timeout=5)
    # The console watching the conversation hears the event and stays up.
    await console.send_json_to({"type": "ping"})
    await next_frame(console, "pong")

    await console.send_json_to(open_frame)
    reopened = await next_frame(console, "conversation")
    bot_line = reopened["messages"][1]
    assert (bot_line["intent"], bot_line["feedback"]) == ("track_order", "down")
    await chat.disconnect()
    await console.disconnect()
