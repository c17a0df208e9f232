"""The hand-over across processes: the customer's socket is served by a second web process (its own
ASGI application and Redis channel layer), the staff console by this one, and the draft reply comes
from a real Celery worker with the real tiny model. Events cross only through Redis; presence is
shared through the Redis cache. Without Redis: skipped locally, a failure in CI."""

import asyncio
import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from chatbot.support.models import SuggestedReply
from tests.chatbot.distributed import database_url
from tests.chatbot.support.sockets import close_all, connect_staff, next_frame
from tests.conftest import REPO_ROOT, customer_cookie_header

pytestmark = [pytest.mark.distributed, pytest.mark.django_db(transaction=True)]

Frame = dict


class OtherWebProcess:
    """tests/chatbot/support/other_web_process.py as a subprocess: send frames, wait for frames."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.chatbot.support.other_web_process"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.frames: queue.Queue = queue.Queue()
        self.seen: list[Frame] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.frames.put(json.loads(line))

    def send(self, frame: Frame) -> None:
        self.process.stdin.write(json.dumps(frame) + "\n")
        self.process.stdin.flush()

    async def wait_for(self, done: Callable[[Frame], bool], *, timeout: float = 30) -> Frame:
        """The first frame for which `done` is true. Waits without blocking this process's event loop:
        the staff console's consumer runs on it."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                frame = self.frames.get_nowait()
            except queue.Empty:
                if time.monotonic() > deadline:
                    stderr = self.process.stderr.read()[-3000:] if self.process.poll() is not None else ""
                    raise AssertionError(
                        f"the other process never sent the frame; it sent {self.seen}\n{stderr}"
                    ) from None
                await asyncio.sleep(0.05)
                continue
            self.seen.append(frame)
            if done(frame):
                return frame

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def shared_cache(settings, redis_url):
    """Presence must be visible to the other process: the Redis cache, as in the distributed mode."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }


@pytest.fixture
def customer_process(customer, redis_url, distributed_mode) -> Iterator[OtherWebProcess]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatbot.settings",
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url(connection.settings_dict),
        # The same development secret as this test process, so the signed identity cookie is valid there.
        "CHATBOT_TESTING": "true",
        "DEBUG": "false",
        "CUSTOMER_COOKIE": customer_cookie_header(customer)[1].decode(),
    }
    other = OtherWebProcess(env)
    ready = asyncio.run(other.wait_for(lambda f: f["type"] == "process_ready", timeout=60))
    assert ready["connected"] and ready["pid"] != os.getpid()
    asyncio.run(other.wait_for(lambda f: f["type"] == "history"))
    yield other
    other.close()


async def test_a_console_in_one_process_serves_a_customer_in_another(
    customer, staff, shared_cache, distributed_mode, inference_worker, customer_process
):
    console, _ = await connect_staff(staff)
    team = await next_frame(console, "staff")  # sent once the presence is in the Redis cache
    assert [member["status"] for member in team["staff"]] == ["online"]

    customer_process.send(
        {
            "type": "message",
            "client_id": str(uuid.uuid4()),
            "text": "My tent pole snapped. Can I talk to a person?",
        }
    )
    status = await customer_process.wait_for(lambda f: f["type"] == "status")
    assert (status["conversation"]["status"], status["support"]["staff_available"]) == (
        "waiting_for_staff",
        True,
    )
    conversation_id = status["conversation"]["id"]
    queue_frame = await next_frame(console, "queue", timeout=20)  # escalated over there, seen here
    assert [card["reason"] for card in queue_frame["queue"]] == ["customer_request"]

    await console.send_json_to({"type": "claim", "conversation": conversation_id})
    joined = await customer_process.wait_for(
        lambda f: f["type"] == "status" and f["conversation"]["status"] == "with_staff"
    )
    assert joined["detail"] == "Dana from support joined the conversation."

    # The Celery worker drafts the answer to the customer's message with the real tiny model.
    draft = await next_frame(console, "suggestion", timeout=120)
    assert draft["conversation"] == conversation_id and draft["suggestion"]["text"]

    await console.send_json_to({"type": "typing", "conversation": conversation_id, "is_typing": True})
    await customer_process.wait_for(lambda f: f["type"] == "typing" and f["sender"] == "staff")
    await console.send_json_to(
        {
            "type": "message",
            "conversation": conversation_id,
            "client_id": str(uuid.uuid4()),
            "text": draft["suggestion"]["text"],
            "suggestion": draft["suggestion"]["id"],
        }
    )
    from_staff = await customer_process.wait_for(
        lambda f: f["type"] == "message" and f["message"]["sender"] == "staff"
    )
    assert (from_staff["message"]["author"], from_staff["message"]["text"]) == (
        "Dana",
        draft["suggestion"]["text"],
    )

    customer_process.send({"type": "message", "client_id": str(uuid.uuid4()), "text": "Thanks, that helps"})
    reply = await next_frame(console, "message", timeout=20)
    while reply["message"]["sender"] != "customer":
        reply = await next_frame(console, "message", timeout=20)
    assert reply["message"]["text"] == "Thanks, that helps"
    stored = await database_sync_to_async(SuggestedReply.objects.get)()
    assert stored.outcome == "sent_as_is"
    await close_all(console)
