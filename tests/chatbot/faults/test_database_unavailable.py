"""The database unavailable (docs/resilience.md, "Database unavailable").

The chat socket answers with a `temporarily_unavailable` error frame instead of crashing, stores nothing
half-way, and works again as soon as the database is back; a socket opened during the outage is told
why and closed with 1013 (try again later); the reply task waits for the database with retries instead
of failing the reply. Each socket test runs once with every query refused (SQLite and PostgreSQL alike)
and, on PostgreSQL, once more with the test database really unreachable.
"""

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from channels.db import database_sync_to_async
from django.db import connection, connections

from chatbot.conversations import engine
from chatbot.conversations.consumers import CLOSE_TRY_AGAIN_LATER
from chatbot.conversations.models import Conversation, Message
from chatbot.conversations.protocol import TEMPORARILY_UNAVAILABLE_TEXT
from chatbot.conversations.tasks import generate_reply
from tests.chatbot.chat_client import chat_socket, connect, is_typing_off, message_frame, receive_until
from tests.chatbot.fakes import ScriptedEngine
from tests.chatbot.faults.outages import database_refusing_queries, postgres_outage

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("fresh_connections_afterwards"),
]


@pytest.fixture
def fresh_connections_afterwards(transactional_db) -> Iterator[None]:
    """A real outage ends the connections the fixtures opened: closed before the database is emptied
    (this teardown runs before transactional_db's), the next query opens a new one."""
    yield
    connections.close_all()


@asynccontextmanager
async def queries_refused() -> AsyncIterator[None]:
    with database_refusing_queries():
        yield


@asynccontextmanager
async def postgres_unreachable() -> AsyncIterator[None]:
    if connection.vendor != "postgresql":
        pytest.skip("a real outage needs PostgreSQL: run with DATABASE_URL=postgres://...")
    with postgres_outage():
        yield


OUTAGES = [
    pytest.param(queries_refused, id="queries-refused"),
    pytest.param(postgres_unreachable, id="postgres-unreachable", marks=pytest.mark.postgres),
]


@pytest.fixture
def scripted_replies(monkeypatch) -> None:
    monkeypatch.setattr(engine, "get_engine", ScriptedEngine)


@database_sync_to_async
def stored() -> list[tuple[str, str]]:
    return list(Message.objects.order_by("id").values_list("sender", "text"))


@pytest.mark.parametrize("outage", OUTAGES)
async def test_a_message_sent_while_the_database_is_down_is_refused_clearly_and_can_be_sent_again(
    outage: Callable[[], AbstractAsyncContextManager[None]], customer, scripted_replies
):
    socket, _ = await connect(customer)
    sent = message_frame("where is my order?")
    async with outage():
        await socket.send_json_to(sent)
        error = await socket.receive_json_from(timeout=10)
        await socket.send_json_to({"type": "ping"})
        assert await socket.receive_json_from(timeout=10) == {"type": "pong"}, "the socket stays open"

    assert error == {
        "type": "error",
        "code": "temporarily_unavailable",
        "detail": TEMPORARILY_UNAVAILABLE_TEXT,
        "client_id": sent["client_id"],
    }
    assert await stored() == [], "nothing half-stored"
    assert not await database_sync_to_async(Conversation.objects.exists)()

    # The page's "Try again" sends the same frame: stored once and answered.
    await socket.send_json_to(sent)
    frames = await receive_until(socket, is_typing_off, timeout=20)
    assert frames[0]["message"]["client_id"] == sent["client_id"]
    assert await stored() == [
        ("customer", "where is my order?"),
        ("bot", "Thanks for asking Northwind Outfitters. Your order ships today."),
    ]
    await socket.disconnect()


@pytest.mark.parametrize("outage", OUTAGES)
async def test_a_socket_opened_while_the_database_is_down_is_told_why_and_closed_to_retry_later(
    outage: Callable[[], AbstractAsyncContextManager[None]], customer
):
    socket = chat_socket(customer)
    async with outage():
        connected, _ = await socket.connect()
        assert connected
        error = await socket.receive_json_from(timeout=10)
        closed = await socket.receive_output(timeout=10)

    assert (error["type"], error["code"], error["client_id"]) == ("error", "temporarily_unavailable", None)
    assert closed == {"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER}

    socket, history = await connect(customer)  # the database is back: business as usual
    assert history["messages"] == []
    await socket.disconnect()


def make_unanswered_message(customer) -> Message:
    conversation = Conversation.objects.create(customer=customer)
    return Message.objects.create(
        conversation=conversation, sender=Message.Sender.CUSTOMER, text="hello?", client_id=uuid.uuid4()
    )


def test_the_reply_task_is_retried_while_the_database_is_unreachable(customer, scripted_replies):
    message = make_unanswered_message(customer)
    # Eagerly applied, a retry runs at once; a worker waits 1, 2, 4 ... up to 60 s between tries.
    with database_refusing_queries(queries=3):
        result = generate_reply.apply(args=[message.pk])

    assert result.state == "SUCCESS"
    [reply] = Message.objects.filter(reply_to=message)
    assert reply.sender == Message.Sender.BOT, "answered, not a failure notice: the model did not fail"


def test_the_reply_task_gives_up_after_ten_retries_without_storing_anything(customer, scripted_replies):
    message = make_unanswered_message(customer)
    with database_refusing_queries() as refused:
        result = generate_reply.apply(args=[message.pk])

    assert result.state == "FAILURE"
    assert len(refused) == 11, "the first try and ten retries, each stopped by its first query"
    assert list(Message.objects.all()) == [message]
