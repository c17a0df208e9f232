"""Fixtures for every chat-side test; the shared ones (personas, the tiny model) are in tests/conftest.py."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from chatbot.conversations import engine


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """Rate-limit counters live in the cache, the engine in the process: neither may leak between tests."""
    cache.clear()
    engine.unload_engine()
    yield
    engine.unload_engine()
