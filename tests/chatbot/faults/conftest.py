"""Fixtures of the fault tests: a private Redis, this process as a web process on it, killable workers.

Everything distributed here runs on a redis-server of this session's own (processes.py), never on the
shared one: these tests stop and restart it, and their workers must not take other runs' tasks.
"""

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from chatbot.celery import app as celery_app
from chatbot.settings import redis_channel_layer
from tests.chatbot.distributed import database_url
from tests.chatbot.faults.processes import (
    BOT_ONLY_ENV,
    ESCALATION_TRIGGERS,
    InferenceWorker,
    RedisServer,
    running_redis,
)


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with running_redis(tmp_path_factory.mktemp("redis") / "redis.log") as server:
        yield server


def _use_broker(broker_url: str, result_backend: str | None) -> None:
    """Point this process's Celery app at another Redis. Its pools and result backend are made on first
    use and kept: forgotten here, they are made again (kombu keeps one pool per broker URL)."""
    celery_app.conf.broker_url, celery_app.conf.result_backend = broker_url, result_backend
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    # The result backend is cached per thread (the sockets' database thread publishes too): new ones.
    celery_app._backend_cache = None
    celery_app._local = threading.local()


@pytest.fixture
def web_process(settings, private_redis: RedisServer) -> Iterator[RedisServer]:
    """This test process as a web process of the distributed mode, on the private Redis (emptied)."""
    if private_redis.process is None:  # a test stopped it and failed before starting it again
        private_redis.start()
    private_redis.client().flushall()
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(private_redis.url)}
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": private_redis.url}
    }
    settings.CHATBOT_DISTRIBUTED = True
    previous = celery_app.conf.broker_url, celery_app.conf.result_backend
    _use_broker(private_redis.url, private_redis.url)
    yield private_redis
    _use_broker(*previous)


@pytest.fixture
def worker_env(transactional_db, private_redis: RedisServer, tiny_model_root: Path) -> dict[str, str]:
    """A worker's environment: the private Redis, the test database, the tiny model. Redelivery after
    10 s (CHATBOT_REDELIVERY_SECONDS, the shortest allowed); no hand-over to staff (BOT_ONLY_ENV)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatbot.settings",
        "REDIS_URL": private_redis.url,
        "DATABASE_URL": database_url(connection.settings_dict),
        "CHATBOT_MODEL_DIR": str(tiny_model_root),
        "SECRET_KEY": "fault-test-secret",
        "DEBUG": "false",
        "CHATBOT_REDELIVERY_SECONDS": "10",
        "CHATBOT_WORKER_HEARTBEAT_SECONDS": "1",
        **BOT_ONLY_ENV,
    }


@pytest.fixture
def bot_only(settings) -> None:
    """The web side of worker_env's "no hand-over"."""
    for trigger in ESCALATION_TRIGGERS:
        setattr(settings, f"CHATBOT_ESCALATE_ON_{trigger}", False)


@pytest.fixture
def start_worker(worker_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., InferenceWorker]]:
    """Starts inference workers (extra environment variables as keywords); stops them after the test."""
    workers: list[InferenceWorker] = []

    def start(**env: str) -> InferenceWorker:
        worker = InferenceWorker(env={**worker_env, **env}, log=tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        worker.start()
        return worker

    yield start
    for worker in workers:
        worker.stop()
