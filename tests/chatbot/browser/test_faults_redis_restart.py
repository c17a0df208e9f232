"""Redis restarted during a session (docs/resilience.md, "Redis restarted").

The whole distributed stack as deployed, on loopback: `daphne chatbot.asgi:application` (the web process),
`celery -A chatbot worker -Q inference` with the tiny model, and a redis-server of this test's own as
channel layer and broker (the shared one is never touched), over one SQLite database. Redis goes away
while a customer has the chat open and comes back empty (no persistence, like a crashed server): the
page notices, keeps what the customer writes meanwhile, reconnects when Redis is back and sends it; the
message is stored once and answered once.
"""

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.chatbot.browser.chat_page import open_chat
from tests.chatbot.browser.conftest import (
    REPLY_TIMEOUT_SECONDS,
    ChatServer,
    _free_port,
    _server_logs,
    _wait_until_serving,
)
from tests.chatbot.faults.processes import BOT_ONLY_ENV, InferenceWorker, RedisServer, running_redis
from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.distributed]

BEFORE = "Where is my order?"
DURING = "Can I still change the delivery address?"


@dataclass(frozen=True)
class Stack:
    url: str
    redis: RedisServer
    database: Path


@pytest.fixture(scope="module")
def stack(tiny_model_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("redis-restart")
    database = workdir / "chat.sqlite3"
    with running_redis(workdir / "redis.log") as redis:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{database}",
            "REDIS_URL": redis.url,
            "CHATBOT_MODEL_DIR": str(tiny_model_root),
            "CHATBOT_REPLY_TIMEOUT_SECONDS": str(REPLY_TIMEOUT_SECONDS),
            "CHATBOT_TESTING": "true",
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            **BOT_ONLY_ENV,
        }
        ChatServer(url="", env=env).manage("migrate", "--noinput")
        worker = InferenceWorker(env=env, log=workdir / "worker.log")
        worker.start()
        port, log = _free_port(), workdir / "daphne.log"
        _server_logs.append(log)
        command = [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "chatbot.asgi:application",
        ]
        with log.open("w") as output:
            web = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_until_serving(f"http://127.0.0.1:{port}/healthz", web, log)
            yield Stack(url=f"http://127.0.0.1:{port}", redis=redis, database=database)
        finally:
            web.terminate()
            web.wait(timeout=15)
            worker.stop()


def stored(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as connection:
        return connection.execute("select sender, text from conversations_message order by id").fetchall()


def test_the_page_reconnects_after_redis_restarts_and_no_message_is_lost(page, stack):
    chat = open_chat(page, stack.url)
    chat.send(BEFORE)
    chat.expect_exchange(customer=[BEFORE], replies=1)
    chat.record_connection_states()

    stack.redis.stop()
    expect(chat.connection).not_to_have_attribute("data-state", "open")
    chat.send(DURING)
    expect(chat.customer_messages.nth(1)).to_have_attribute("data-state", "sending")

    stack.redis.start()  # empty: whatever was queued in it is gone
    chat.expect_exchange(customer=[BEFORE, DURING], replies=2)
    states = chat.connection_states()
    assert states[0] == "open" and states[-1] == "open" and "connecting" in states, states

    senders = [sender for sender, _ in stored(stack.database)]
    assert senders == ["customer", "bot", "customer", "bot"], stored(stack.database)
    page.reload()
    chat.wait_until_connected()
    chat.expect_exchange(customer=[BEFORE, DURING], replies=2)
