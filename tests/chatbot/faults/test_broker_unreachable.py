"""The broker unreachable when a message is stored (docs/resilience.md, "Redis restarted").

The message is already committed when its reply task is published. If the broker refuses it (Redis
restarting, a network partition), the web process publishes it again until the broker is back, and the
customer gets the reply late rather than never; if the broker stays away too long, the customer is told
the reply failed. Here the sockets' channel layer has a redis-server of its own, so that only the broker
(another private redis-server, stopped and started again) is missing; a real worker answers.
"""

import asyncio
import logging
import time
from collections.abc import Iterator

import pytest
from channels.db import database_sync_to_async

from chatbot.conversations import dispatch
from chatbot.conversations.models import Message
from chatbot.conversations.replies import REPLY_FAILED_TEXT
from chatbot.settings import redis_channel_layer
from tests.chatbot.chat_client import connect, is_typing_off, message_frame, receive_until
from tests.chatbot.faults.processes import RedisServer, running_redis

pytestmark = [pytest.mark.distributed, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def layer_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with running_redis(tmp_path_factory.mktemp("layer-redis") / "redis.log") as server:
        yield server


@pytest.fixture
def broker_only(web_process: RedisServer, layer_redis: RedisServer, settings, caplog) -> RedisServer:
    """The broker (web_process's private Redis) can be stopped while this process's sockets stay on a
    channel layer of their own. Yields the broker."""
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(layer_redis.url)}
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caplog.set_level(logging.INFO, logger="chatbot.conversations.dispatch")
    return web_process


@database_sync_to_async
def stored() -> list[tuple[str, str]]:
    return list(Message.objects.order_by("id").values_list("sender", "text"))


async def wait_for(condition, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)


async def test_a_reply_the_broker_refused_is_published_once_it_is_back(
    customer, broker_only, bot_only, start_worker, caplog
):
    broker_only.stop()
    socket, _ = await connect(customer)
    await socket.send_json_to(message_frame("where is my order?"))
    ack = await socket.receive_json_from(timeout=10)
    assert ack["message"]["sender"] == "customer", "stored and acknowledged though the broker is down"
    assert "The broker refused model work" in caplog.text

    broker_only.start()
    start_worker()

    async def answered() -> bool:
        return [sender for sender, _ in await stored()] == ["customer", "bot"]

    await wait_for(answered, timeout=60)
    assert "published after the broker came back" in caplog.text
    await socket.disconnect()


async def test_a_reply_the_broker_never_takes_is_reported_as_failed(customer, broker_only, monkeypatch):
    monkeypatch.setattr(dispatch, "REPUBLISH_FOR_SECONDS", 1)
    monkeypatch.setattr(dispatch, "REPUBLISH_EVERY_SECONDS", 0.2)
    broker_only.stop()
    socket, _ = await connect(customer)
    sent = message_frame("where is my order?")
    await socket.send_json_to(sent)
    frames = await receive_until(socket, lambda frame: frame["type"] == "error", timeout=30)
    frames += await receive_until(socket, lambda frame: frame["type"] == "message", timeout=10)
    await socket.disconnect()

    assert frames[-2] == {
        "type": "error",
        "code": "reply_failed",
        "detail": REPLY_FAILED_TEXT,
        "client_id": sent["client_id"],
    }
    assert frames[-1]["message"]["sender"] == "system"
    assert await stored() == [("customer", "where is my order?"), ("system", REPLY_FAILED_TEXT)]
    assert not any(is_typing_off(frame) for frame in frames), "no reply was ever started"
