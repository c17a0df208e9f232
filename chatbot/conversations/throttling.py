"""Per-customer message rate limit, counted in the Django cache.

In distributed mode the cache is Redis, so every web process shares the count; `cache.add` and
`cache.incr` are atomic there. The window is fixed (aligned to multiples of the period): simple,
one key per customer and window, at the price of allowing up to twice the limit across a boundary.
"""

import time

from django.core.cache import cache


def allow_message(*, customer_id: int, limit: int, period_seconds: int, now: float | None = None) -> bool:
    """Count one message for the customer; False when that exceeds `limit` in the current window."""
    window = int((time.time() if now is None else now) // period_seconds)
    key = f"chatbot:rate:{customer_id}:{window}"
    # The key outlives its window a little so a slow request never recreates a fresh counter.
    cache.add(key, 0, timeout=period_seconds * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period_seconds * 2)
        count = 1
    return count <= limit
