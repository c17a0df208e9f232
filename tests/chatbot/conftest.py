"""Fixtures for every chat-side test; the shared ones (personas, the tiny model) are in tests/conftest.py.

The distributed mode's fixtures live here too (Redis, a real Celery worker, this process as a web
process on the Redis channel layer), so that the conversation and support tests share one worker.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from chatbot.celery import app as celery_app
from chatbot.conversations import engine
from chatbot.settings import redis_channel_layer
from tests.chatbot.distributed import REDIS_TEST_URL, database_url, unavailable
from tests.conftest import REPO_ROOT

WORKER_START_SECONDS = 90


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """Rate-limit counters live in the cache, the engine in the process: neither may leak between tests."""
    cache.clear()
    engine.unload_engine()
    yield
    engine.unload_engine()


# --- Distributed mode -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        unavailable(f"no Redis at {REDIS_TEST_URL}: {error}")
    # This database index belongs to the tests: no stale task from an earlier run may reach the worker.
    client.flushdb()
    return REDIS_TEST_URL


@pytest.fixture(scope="session")
def inference_worker(
    django_db_setup, redis_url: str, tiny_model_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """A Celery worker process on the `inference` queue; yields its log file."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatbot.settings",
        "REDIS_URL": redis_url,
        "DATABASE_URL": database_url(connection.settings_dict),
        "CHATBOT_MODEL_DIR": str(tiny_model_root),
        "SECRET_KEY": "distributed-test-secret",
        "DEBUG": "false",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "chatbot",
        "worker",
        "-Q",
        "inference",
        "--pool",
        "threads",
        "--concurrency",
        "4",
    ]
    command += ["--loglevel", "info", "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h", "--without-mingle"]
    with log.open("w") as output:
        worker = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + WORKER_START_SECONDS
        while " ready." not in log.read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield log
    finally:
        worker.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


@pytest.fixture
def distributed_mode(settings, redis_url: str) -> Iterator[None]:
    """This process as a web process of the distributed mode: Redis layer, model work sent to Celery."""
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(redis_url)}
    settings.CHATBOT_DISTRIBUTED = True
    previous = celery_app.conf.broker_url, celery_app.conf.result_backend
    celery_app.conf.broker_url = celery_app.conf.result_backend = redis_url
    yield
    celery_app.conf.broker_url, celery_app.conf.result_backend = previous
