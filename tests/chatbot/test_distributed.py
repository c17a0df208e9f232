"""Distributed mode end to end: real Redis, a real `celery -A chatbot worker -Q inference` process,
the real tiny model. The worker shares the test database (a SQLite file or PostgreSQL), so the test
uses committed transactions (transactional_db). The fixtures (redis_url, inference_worker,
distributed_mode) are in tests/chatbot/conftest.py, shared with the support app's distributed test.

Without Redis the test is skipped locally and fails in CI (CI=true).
"""

import asyncio
import os
import subprocess
import sys
import uuid

import pytest
from channels.db import database_sync_to_async

from chatbot.conversations.models import Message
from chatbot.conversations.tasks import generate_reply
from chatbot.conversations.throttling import allow_message
from tests.chatbot.chat_client import connect, is_bot_message, is_typing_off, message_frame, receive_until
from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.distributed, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def bot_messages() -> list[Message]:
    return list(Message.objects.filter(sender="bot").select_related("reply_to"))


async def test_a_worker_streams_the_reply_through_redis_and_stores_it_once(
    customer, distributed_mode, inference_worker, tiny_model_root
):
    socket, _ = await connect(customer)
    sent = message_frame("where is my order?")
    await socket.send_json_to(sent)
    frames = await receive_until(socket, is_typing_off, timeout=60)
    await socket.disconnect()

    ack = frames[0]["message"]
    assert (ack["sender"], ack["client_id"]) == ("customer", sent["client_id"])
    tokens = [frame["delta"] for frame in frames if frame["type"] == "token"]
    [final] = [frame["message"] for frame in frames if is_bot_message(frame)]
    assert tokens, f"no streamed tokens; worker log:\n{inference_worker.read_text()[-2000:]}"
    assert "".join(tokens) == final["text"]
    assert final["reply_to"] == ack["id"]

    [bot] = await bot_messages()
    assert bot.text == final["text"]
    assert str(bot.reply_to.client_id) == sent["client_id"]
    [version_dir] = [path for path in tiny_model_root.iterdir() if path.is_dir()]
    assert bot.model_version == version_dir.name
    assert bot.token_count > 0 and 0.0 <= bot.confidence <= 1.0 and bot.intent
    assert bot.latency_ms >= bot.first_token_ms >= 0

    # A redelivered task (say, after a worker was lost) finds the reply stored and does nothing.
    redelivered = await database_sync_to_async(
        lambda: generate_reply.apply_async(args=[bot.reply_to_id], queue="inference").get(timeout=60)
    )()
    assert redelivered is None
    assert len(await bot_messages()) == 1


async def test_an_idle_socket_outlives_the_redis_read_timeout(customer, distributed_mode):
    """redis-py gives up on a read after 5 s by default, as long as channels_redis blocks waiting."""
    socket, _ = await connect(customer)
    await asyncio.sleep(7)
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=5) == {"type": "pong"}
    await socket.disconnect()


def test_the_rate_limit_counts_messages_from_every_process_through_redis(settings, redis_url):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    customer_id, window_start = uuid.uuid4().int % 10**9, 1_800_000_000.0
    other_web_process = (
        "import django; django.setup()\n"
        "from chatbot.conversations.throttling import allow_message\n"
        f"print([allow_message(customer_id={customer_id}, limit=3, period_seconds=60, now={window_start})"
        " for _ in range(2)])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatbot.settings",
        "REDIS_URL": redis_url,
        "DEBUG": "true",
    }
    result = subprocess.run(
        [sys.executable, "-c", other_web_process],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "[True, True]", result.stderr
    counted_here = [
        allow_message(customer_id=customer_id, limit=3, period_seconds=60, now=window_start) for _ in range(2)
    ]
    assert counted_here == [True, False]
