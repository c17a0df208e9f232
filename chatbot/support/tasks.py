"""Celery tasks: thin, idempotent adapters over plain functions (the distributed mode)."""

from celery import shared_task

from chatbot.conversations import events
from chatbot.support.suggestions import suggest_reply


@shared_task(name="chatbot.suggest_reply", acks_late=True, reject_on_worker_lost=True)
def suggest_reply_task(message_id: int) -> str | None:
    """Draft the model's answer to a customer message for staff; a redelivery finds the draft and stops.

    Returns the suggestion's public id, or None when nothing was stored.
    """
    events.bind_event_loop(events.background_event_loop())
    suggestion = suggest_reply(message_id=message_id)
    return str(suggestion.public_id) if suggestion is not None else None
