"""What the customer typed, for the one reply that answers it, while the database keeps the masked text.

The reply is generated in the in-process model thread (embedded mode) or a Celery worker (distributed
mode), which reads the message from the database: masked. So the web process leaves the typed text in
the cache (process memory in embedded mode, Redis in distributed mode, shared with the workers) under the
message's id, only when masking changed it, for at most TYPED_TEXT_SECONDS; the reply task takes it and
deletes it. A reply generated later than that (a long queue) sees the masked text, and still answers.
"""

from django.core.cache import cache

# Long enough for a busy queue, short enough that a card number never lingers: the task deletes the
# entry as soon as it has answered, this is only the upper bound.
TYPED_TEXT_SECONDS = 600


def _key(message_id: int) -> str:
    return f"privacy:typed-text:{message_id}"


def remember_typed_text(*, message_id: int, typed: str, stored: str) -> None:
    """Keep `typed` for the reply to message `message_id` when storing masked it. Call after commit:
    an id from a rolled-back transaction may be given to another message."""
    if typed != stored:
        cache.set(_key(message_id), typed, timeout=TYPED_TEXT_SECONDS)


def typed_text(*, message_id: int) -> str | None:
    """The text as typed, or None: nothing was masked, the entry expired, or it was answered already."""
    return cache.get(_key(message_id))


def forget_typed_text(*, message_ids: list[int]) -> None:
    cache.delete_many([_key(message_id) for message_id in message_ids])
