"""An inference worker killed in the middle of a reply (docs/resilience.md, "Worker killed mid-reply").

Real processes: this test process is the web process (the customer's socket on the Redis channel layer),
`celery -A chatbot worker -Q inference` processes answer with the real tiny model, all on a private
Redis. The first worker is frozen (SIGSTOP) the moment it announces the reply, so it is caught with the
task delivered and not acknowledged, then killed (SIGKILL: no warm shutdown, nothing handed back). Late
acknowledgement leaves the task with the broker, which gives it to the next worker once the visibility
timeout (CHATBOT_REDELIVERY_SECONDS) has passed; the customer gets one complete reply, stored once.
"""

import re

import pytest
from channels.db import database_sync_to_async

from chatbot.conversations.models import Message
from tests.chatbot.chat_client import (
    Frame,
    connect,
    is_bot_message,
    is_typing_off,
    message_frame,
    receive_until,
)

pytestmark = [pytest.mark.distributed, pytest.mark.django_db(transaction=True)]

# Different questions: a paused worker is sometimes too late, and the test asks again.
QUESTIONS = ["where is my order?", "can I return my boots?", "do you ship to Canada?"]
# kombu's Redis transport keeps delivered, unacknowledged messages in this hash until they are acked.
UNACKED_KEY = "unacked"


def is_bot_typing_on(frame: Frame) -> bool:
    return frame["type"] == "typing" and frame["sender"] == "bot" and frame["is_typing"] is True


@database_sync_to_async
def bot_replies_to(message_id: str) -> list[Message]:
    return list(Message.objects.filter(reply_to__public_id=message_id, sender=Message.Sender.BOT))


def task_ids(log: str) -> list[str]:
    return re.findall(r"Task chatbot\.generate_reply\[([0-9a-f-]+)\] received", log)


async def test_a_worker_killed_mid_reply_leaves_the_reply_to_the_next_worker_stored_once(
    customer, web_process, bot_only, start_worker
):
    first = start_worker()
    socket, _ = await connect(customer)
    for question in QUESTIONS:
        await socket.send_json_to(message_frame(question))
        frames = await receive_until(socket, is_bot_typing_on, timeout=60)
        first.pause()
        asked = frames[0]["message"]
        if not await bot_replies_to(asked["id"]):
            break  # caught mid-reply
        first.resume()
        await receive_until(socket, is_typing_off, timeout=60)
    else:
        pytest.fail("the worker finished every reply before it could be paused")
    assert web_process.client().hlen(UNACKED_KEY) == 1, "delivered to the first worker, not acknowledged"

    first.kill()
    second = start_worker()
    after_kill = await receive_until(
        socket,
        lambda frame: is_bot_message(frame) and frame["message"]["reply_to"] == asked["id"],
        timeout=90,
    )
    after_kill += await receive_until(socket, is_typing_off, timeout=10)
    assert await socket.receive_nothing(timeout=1)
    await socket.disconnect()

    [reply] = await bot_replies_to(asked["id"])
    finals = [frame["message"] for frame in after_kill if is_bot_message(frame)]
    assert [final["id"] for final in finals] == [str(reply.public_id)], "one final reply"
    # The second worker streamed the whole reply from its own "typing" on.
    restarted = max(index for index, frame in enumerate(after_kill) if is_bot_typing_on(frame))
    streamed = [frame["delta"] for frame in after_kill[restarted:] if frame["type"] == "token"]
    assert "".join(streamed) == reply.text == finals[0]["text"]
    tokens_before = [frame for frame in [*frames, *after_kill[:restarted]] if frame["type"] == "token"]
    attempts = {frame["attempt"] for frame in after_kill[restarted:] if frame["type"] == "token"}
    assert len(attempts) == 1, "one generation, one attempt id"
    assert not attempts & {frame["attempt"] for frame in tokens_before}, "the page can tell it from the first"

    [killed_task] = task_ids(first.log.read_text())[-1:]
    assert task_ids(second.log.read_text()) == [killed_task], "the same task, redelivered"
    assert web_process.client().hlen(UNACKED_KEY) == 0
