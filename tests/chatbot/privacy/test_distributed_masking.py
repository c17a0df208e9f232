"""Distributed mode: the web process keeps the typed text in Redis, a real Celery worker (another
process, the real tiny model) takes it for the reply and deletes it; the database holds the masked text.
The fixtures (redis_url, inference_worker, distributed_mode) are in tests/chatbot/conftest.py."""

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from chatbot.conversations.models import Message
from chatbot.privacy import live_text
from tests.chatbot.chat_client import connect, is_typing_off, message_frame, receive_until

pytestmark = [pytest.mark.distributed, pytest.mark.django_db(transaction=True)]

TYPED = "where is my order? my email is alice@example.com"


@pytest.fixture
def shared_cache(settings, redis_url) -> None:
    """This web process's cache in Redis, as in a deployment (the worker's is there already)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }


async def test_the_worker_takes_the_typed_text_from_redis_and_the_database_keeps_it_masked(
    customer, distributed_mode, shared_cache, inference_worker, monkeypatch
):
    remembered = []
    remember = live_text.remember_typed_text

    def spy(*, message_id, typed, stored):
        remember(message_id=message_id, typed=typed, stored=stored)
        remembered.append((message_id, cache.get(f"privacy:typed-text:{message_id}")))

    monkeypatch.setattr(live_text, "remember_typed_text", spy)
    socket, _ = await connect(customer)
    await socket.send_json_to(message_frame(TYPED))
    frames = await receive_until(socket, is_typing_off, timeout=60)
    await socket.disconnect()

    # Only these two: what the reply leads to (a hand-over notice, say) depends on the tiny model.
    stored = await database_sync_to_async(
        lambda: list(Message.objects.filter(sender__in=["customer", "bot"]).order_by("id"))
    )()
    assert [(message.sender, message.reply_to_id) for message in stored] == [
        ("customer", None),
        ("bot", stored[0].pk),
    ], inference_worker.read_text()[-2000:]
    customer_message = stored[0]
    assert customer_message.text == "where is my order? my email is [email]"
    acknowledgement = next(frame for frame in frames if frame["type"] == "message")
    assert acknowledgement["message"]["text"] == customer_message.text
    # Written here, read and deleted by the worker process once it had answered.
    assert remembered == [(customer_message.pk, TYPED)]
    assert live_text.typed_text(message_id=customer_message.pk) is None
