"""Starting a reply once the customer message is committed: in-process or on a Celery worker."""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections

from chatbot.conversations import events

logger = logging.getLogger(__name__)

# Embedded mode: one thread, because generation is CPU-bound and already uses the cores; replies are
# answered in arrival order and the server's event loop stays free for the sockets.
_in_process = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chatbot-reply")


def dispatch_reply(*, message_id: int) -> None:
    """Start answering a stored customer message. Call after commit: a worker must find the row."""
    if settings.CHATBOT_DISTRIBUTED:
        # Imported here: tasks -> replies -> services -> dispatch would be a cycle at import time.
        from chatbot.conversations.tasks import generate_reply

        generate_reply.apply_async(args=[message_id], queue="inference")
        return
    _in_process.submit(_answer_in_process, message_id, events.caller_event_loop())


def _answer_in_process(message_id: int, loop: asyncio.AbstractEventLoop | None) -> None:
    from chatbot.conversations.replies import answer_customer_message

    events.bind_event_loop(loop)
    try:
        answer_customer_message(message_id=message_id)
    except Exception:
        logger.exception("Answering message %s failed", message_id)
    finally:
        # This thread lives on between replies; a connection left open would outlive the database
        # (tests drop theirs) and would go stale.
        connections.close_all()
