"""Starting model work once its rows are committed: in-process or on a Celery worker.

Two kinds of work use the model: the bot's reply to a customer message, and the draft reply offered to
staff (chatbot.support.suggestions). Both go the same way: a Celery task on the `inference` queue in
distributed mode, the in-process reply threads in embedded mode.
"""

import asyncio
import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections
from kombu.exceptions import OperationalError as BrokerUnreachable

from chatbot.conversations import events

logger = logging.getLogger(__name__)

# Embedded mode: model work runs in these threads, so the server's event loop stays free for the sockets.
# As many as a batch holds: replies asked for together are decoded together by the engine's one decoding
# thread (chatbot.conversations.engine), the other threads mostly wait for their text.
_in_process = ThreadPoolExecutor(
    max_workers=settings.CHATBOT_BATCH_MAX_SIZE, thread_name_prefix="chatbot-reply"
)


def dispatch_reply(*, message_id: int) -> None:
    """Start answering a stored customer message. Call after commit: a worker must find the row."""

    # Imported when used: tasks -> replies -> services -> dispatch would be a cycle at import time.
    def task() -> Any:
        from chatbot.conversations.tasks import generate_reply

        return generate_reply

    def work(object_id: int) -> Any:
        from chatbot.conversations.replies import answer_customer_message

        return answer_customer_message(message_id=object_id)

    def give_up(object_id: int) -> None:
        from chatbot.conversations.replies import give_up_on_reply

        give_up_on_reply(message_id=object_id)

    dispatch_model_work(task=task, work=work, object_id=message_id, on_undeliverable=give_up)


def dispatch_model_work(
    *,
    task: Callable[[], Any],
    work: Callable[[int], Any],
    object_id: int,
    on_undeliverable: Callable[[int], None] | None = None,
) -> None:
    """Run model work on one row id: `task()` (a Celery task) in distributed mode, `work(id)` in the
    in-process model thread otherwise. Call after commit.

    A task the broker cannot take now (Redis restarting, unreachable) is published again from a
    background thread until it can, for up to REPUBLISH_FOR_SECONDS; then `on_undeliverable(id)`.
    """
    if settings.CHATBOT_DISTRIBUTED:
        pending = _Unpublished(task=task, object_id=object_id, on_undeliverable=on_undeliverable)
        try:
            pending.publish()
        except BrokerUnreachable as error:
            logger.warning("The broker refused model work on %s (%s); publishing it again", object_id, error)
            _republisher.add(pending)
        return
    _in_process.submit(_run_in_process, work, object_id, events.caller_event_loop())


# How long a task the broker refused is offered again, and how often. The row it is about is stored: the
# work starts late rather than never; past this, the customer is told (a reply failure notice).
REPUBLISH_FOR_SECONDS = 600
REPUBLISH_EVERY_SECONDS = 2.0


@dataclass
class _Unpublished:
    task: Callable[[], Any]
    object_id: int
    on_undeliverable: Callable[[int], None] | None
    given_up_at: float = 0.0

    def __post_init__(self) -> None:
        self.given_up_at = time.monotonic() + REPUBLISH_FOR_SECONDS

    def publish(self) -> None:
        # ignore_result: no web process reads the result, and asking for it subscribes to the result
        # backend: a process's first publish with Redis down then blocked 19 s and raised RuntimeError
        # instead of kombu's OperationalError after 0.6 s (measured).
        self.task().apply_async(args=[self.object_id], queue="inference", ignore_result=True)


class _Republisher:
    """One daemon thread per process that publishes refused tasks again until the broker takes them."""

    def __init__(self) -> None:
        self._incoming: queue.SimpleQueue[_Unpublished] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, pending: _Unpublished) -> None:
        self._incoming.put(pending)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="chatbot-republish", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        waiting: list[_Unpublished] = []
        while True:
            with contextlib.suppress(queue.Empty):  # nothing new: time to try the waiting ones again
                waiting.append(self._incoming.get(timeout=REPUBLISH_EVERY_SECONDS if waiting else None))
            waiting = [pending for pending in waiting if not self._done(pending)]

    def _done(self, pending: _Unpublished) -> bool:
        try:
            pending.publish()
        except BrokerUnreachable:
            if time.monotonic() < pending.given_up_at:
                return False
            logger.error("Model work on %s never reached the broker; giving up", pending.object_id)
            if pending.on_undeliverable is not None:
                try:
                    pending.on_undeliverable(pending.object_id)
                except Exception:
                    logger.exception("Could not record that model work on %s was given up", pending.object_id)
                finally:
                    connections.close_all()
            return True
        logger.info("Model work on %s published after the broker came back", pending.object_id)
        return True


_republisher = _Republisher()


def _run_in_process(
    work: Callable[[int], Any], object_id: int, loop: asyncio.AbstractEventLoop | None
) -> None:
    events.bind_event_loop(loop)
    try:
        work(object_id)
    except Exception:
        logger.exception("Model work on %s failed", object_id)
    finally:
        # This thread lives on between replies; a connection left open would outlive the database
        # (tests drop theirs) and would go stale.
        connections.close_all()
