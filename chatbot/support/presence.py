"""Which staff members are online: every console socket's heartbeat, kept in the Django cache.

Each socket records itself under its user's key with an expiry time; a heartbeat (the console pings
every 20 s) renews it. A console that disappears without saying goodbye (its server process crashed,
the laptop lost its network) simply expires after CHATBOT_STAFF_PRESENCE_SECONDS. In distributed mode
the cache is Redis, so every web process sees every console; embedded mode has one process and a
local-memory cache.

A user with two console tabs has two entries; the user is online when any entry says online.
"""

import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache

ONLINE = "online"
AWAY = "away"
OFFLINE = "offline"


def _key(user_id: int) -> str:
    return f"support:presence:{user_id}"


def record(*, user_id: int, channel: str, status: str, now: float | None = None) -> None:
    """This socket is alive with `status` (online or away) for the next CHATBOT_STAFF_PRESENCE_SECONDS."""
    now = time.time() if now is None else now
    ttl = settings.CHATBOT_STAFF_PRESENCE_SECONDS
    entries = _alive(cache.get(_key(user_id)), now)
    entries[channel] = (status, now + ttl)
    cache.set(_key(user_id), entries, timeout=ttl)


def forget(*, user_id: int, channel: str) -> None:
    """The socket closed."""
    now = time.time()
    entries = _alive(cache.get(_key(user_id)), now)
    entries.pop(channel, None)
    if entries:
        cache.set(_key(user_id), entries, timeout=settings.CHATBOT_STAFF_PRESENCE_SECONDS)
    else:
        cache.delete(_key(user_id))


def statuses(user_ids: Iterable[int], *, now: float | None = None) -> dict[int, str]:
    """online, away or offline for each user."""
    now = time.time() if now is None else now
    ids = list(user_ids)
    stored = cache.get_many([_key(user_id) for user_id in ids])
    result = {}
    for user_id in ids:
        alive = _alive(stored.get(_key(user_id)), now).values()
        if any(status == ONLINE for status, _ in alive):
            result[user_id] = ONLINE
        elif alive:
            result[user_id] = AWAY
        else:
            result[user_id] = OFFLINE
    return result


def _alive(entries: dict | None, now: float) -> dict[str, tuple[str, float]]:
    return {channel: entry for channel, entry in (entries or {}).items() if entry[1] > now}
