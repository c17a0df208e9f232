"""Distributed mode end to end: real Redis, a real `celery -A chatbot worker -Q inference` process,
the real tiny model. The worker shares the test database (a SQLite file or PostgreSQL), so the test
uses committed transactions (transactional_db).

Without Redis the test is skipped locally and fails in CI (CI=true).
"""

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from chatbot.celery import app as celery_app
from chatbot.conversations.models import Message
from chatbot.conversations.tasks import generate_reply
from chatbot.conversations.throttling import allow_message
from chatbot.settings import redis_channel_layer
from tests.chatbot.chat_client import connect, is_bot_message, is_typing_off, message_frame, receive_until
from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.distributed, pytest.mark.django_db(transaction=True)]

REDIS_TEST_URL = (
    os.environ.get("REDIS_TEST_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
)
WORKER_START_SECONDS = 90


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the distributed test must run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        unavailable(f"no Redis at {REDIS_TEST_URL}: {error}")
    # This database index belongs to the tests: no stale task from an earlier run may reach the worker.
    client.flushdb()
    return REDIS_TEST_URL


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database the tests run on, for the worker process."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    credentials = quote(settings_dict["USER"] or "", safe="")
    if settings_dict["PASSWORD"]:
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{settings_dict['NAME']}"


@pytest.fixture(scope="session")
def inference_worker(
    django_db_setup, redis_url: str, tiny_model_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """A Celery worker process on the `inference` queue; yields its log file."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatbot.settings",
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url(connection.settings_dict),
        "CHATBOT_MODEL_DIR": str(tiny_model_root),
        "SECRET_KEY": "distributed-test-secret",
        "DEBUG": "false",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "chatbot",
        "worker",
        "-Q",
        "inference",
        "--concurrency",
        "1",
    ]
    command += ["--loglevel", "info", "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h", "--without-mingle"]
    with log.open("w") as output:
        worker = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + WORKER_START_SECONDS
        while " ready." not in log.read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield log
    finally:
        worker.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.fixture
def distributed_mode(settings, redis_url: str) -> Iterator[None]:
    """This process as a web process of the distributed mode: Redis layer, replies sent to Celery."""
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(redis_url)}
    settings.CHATBOT_DISTRIBUTED = True
    previous = celery_app.conf.broker_url, celery_app.conf.result_backend
    celery_app.conf.broker_url = celery_app.conf.result_backend = redis_url
    yield
    celery_app.conf.broker_url, celery_app.conf.result_backend = previous


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
