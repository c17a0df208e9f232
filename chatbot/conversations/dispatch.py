"""Starting model work once its rows are committed: in-process or on a Celery worker.

Two kinds of work use the model: the bot's reply to a customer message, and the draft reply offered to
staff (chatbot.support.suggestions). Both go the same way: a Celery task on the `inference` queue in
distributed mode, the in-process reply threads in embedded mode.
"""

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connections

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

    dispatch_model_work(task=task, work=work, object_id=message_id)


def dispatch_model_work(*, task: Callable[[], Any], work: Callable[[int], Any], object_id: int) -> None:
    """Run model work on one row id: `task()` (a Celery task) in distributed mode, `work(id)` in the
    in-process model thread otherwise. Call after commit."""
    if settings.CHATBOT_DISTRIBUTED:
        task().apply_async(args=[object_id], queue="inference")
        return
    _in_process.submit(_run_in_process, work, object_id, events.caller_event_loop())


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
