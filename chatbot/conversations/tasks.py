"""Celery tasks: thin, idempotent adapters over plain functions."""

from celery import shared_task

# worker_heartbeat connects the worker signals: an inference worker's processes load the model and beat.
from chatbot.conversations import events, worker_heartbeat  # noqa: F401
from chatbot.conversations.replies import DATABASE_UNAVAILABLE, answer_customer_message


@shared_task(
    name="chatbot.generate_reply",
    acks_late=True,
    reject_on_worker_lost=True,
    # An unreachable database (restarting, failing over) is waited for: the message is stored and its
    # reply must come. Ten retries, backing off exponentially (jittered) to a minute apart: at most ~5 min.
    autoretry_for=DATABASE_UNAVAILABLE,
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=10,
)
def generate_reply(message_id: int) -> str | None:
    """Answer a customer message; a redelivery after the reply was stored does nothing.

    Returns the bot message's public id, or None when nothing was stored.
    """
    events.bind_event_loop(events.background_event_loop())
    message = answer_customer_message(message_id=message_id)
    return str(message.public_id) if message is not None else None
