"""Helpers for the distributed-mode tests (the fixtures using them are in tests/chatbot/conftest.py)."""

import os
from pathlib import Path
from urllib.parse import quote

import pytest

REDIS_TEST_URL = (
    os.environ.get("REDIS_TEST_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
)


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the distributed test must run)")
    pytest.skip(reason)


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database the tests run on, for another process (a worker, a web process)."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    credentials = quote(settings_dict["USER"] or "", safe="")
    if settings_dict["PASSWORD"]:
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{settings_dict['NAME']}"
