"""Sending events to channel-layer groups from sync code: services, the reply thread, Celery tasks.

Which event loop runs `group_send` matters. The in-memory layer (embedded mode) keeps asyncio queues
owned by the server's loop, so the in-process reply thread must hand its sends to that loop. A Celery
worker has no loop of its own; one background loop per process keeps the Redis connections alive
between the many token events of a reply, instead of a new loop and connection for each.
"""

import asyncio
import os
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# A stuck send (Redis gone) must not hang a reply forever.
SEND_TIMEOUT_SECONDS = 10

_thread_state = threading.local()
_background_lock = threading.Lock()
_background: tuple[int, asyncio.AbstractEventLoop] | None = None


def bind_event_loop(loop: asyncio.AbstractEventLoop | None) -> None:
    """Send this thread's events through `loop` (None: the caller's loop, or a temporary one)."""
    _thread_state.loop = loop


def send_to_group(group: str, event: dict[str, Any]) -> None:
    layer = get_channel_layer()
    loop = getattr(_thread_state, "loop", None)
    if loop is not None and loop.is_running():
        asyncio.run_coroutine_threadsafe(layer.group_send(group, event), loop).result(SEND_TIMEOUT_SECONDS)
    else:
        async_to_sync(layer.group_send)(group, event)


def send_to_group_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send once the current transaction commits, so no socket hears of a row that is not there yet."""

    def send() -> None:
        send_to_group(group, event)

    # A function, not functools.partial: a robust callback that fails is logged by its __qualname__,
    # which a partial lacks. The AttributeError would escape, and skip the callbacks after it (the
    # reply's dispatch after a lost acknowledgement).
    transaction.on_commit(send, robust=True)


def caller_event_loop() -> asyncio.AbstractEventLoop | None:
    """The running loop of the async code that called into this sync thread, or None outside one."""

    async def running_loop() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    loop = async_to_sync(running_loop)()
    # Without an outer loop async_to_sync ran a temporary loop, already closed by now.
    return loop if loop.is_running() else None


def background_event_loop() -> asyncio.AbstractEventLoop:
    """One loop per process, running in a daemon thread; recreated in a forked child."""
    global _background
    with _background_lock:
        if _background is None or _background[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="chatbot-events", daemon=True).start()
            _background = (os.getpid(), loop)
        return _background[1]
