"""Readiness of the distributed mode against real Celery workers on the real Redis.

The shared `inference_worker` (tests/chatbot/conftest.py) answers /readyz; workers started here with the
image's entrypoint (`docker/entrypoint.sh inference-worker`) report a missing model, and stop being ready
the moment they are killed or stopped. Without Redis the tests are skipped locally and fail in CI.
"""

import asyncio
import json
import re
import signal
import socket
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from chatbot.conversations import readiness, worker_heartbeat
from tests.chatbot.deploy.stack import production_env, start_role, stop, wait_until
from tests.chatbot.distributed import database_url

pytestmark = [pytest.mark.distributed, pytest.mark.django_db(transaction=True)]

TIMEOUT = 3.0


def check_worker(hostname: str) -> readiness.CheckResult:
    """The inference check for one worker, as its container's health check runs it."""
    check = readiness.blocking(readiness.check_inference_workers, timeout=TIMEOUT, hostname=hostname)
    return asyncio.run(readiness.run_check("inference", check, timeout=TIMEOUT))


@pytest.fixture
def start_worker(redis_url, tmp_path):
    """Start `docker/entrypoint.sh inference-worker` on the test database and Redis; stopped afterwards."""
    started = []

    def start(model_root: Path) -> tuple[str, object, Path]:
        name = f"deploy-{uuid.uuid4().hex[:8]}"
        env = production_env(
            REDIS_URL=redis_url,
            DATABASE_URL=database_url(connection.settings_dict),
            CHATBOT_MODEL_DIR=str(model_root),
            CHATBOT_WORKER_HEARTBEAT_SECONDS="1",
            WORKER_CONCURRENCY="1",
        )
        log = tmp_path / f"{name}.log"
        process = start_role("inference-worker", "--hostname", f"{name}@%h", env=env, log=log)
        started.append(process)
        return f"{name}@{socket.gethostname()}", process, log

    yield start
    for process in started:
        stop(process, signal.SIGKILL)


async def test_readyz_is_ready_once_a_worker_has_the_model_loaded(
    async_client, distributed_mode, inference_worker, tiny_model_root
):
    [version] = [path.name for path in tiny_model_root.iterdir() if path.is_dir()]
    # The worker says " ready." before its first heartbeat: loading the model takes a moment more.
    loaded = re.compile(rf"Inference worker (\S+) \(pid \d+\) ready: model {version} on cpu")
    deadline = time.monotonic() + 60
    while not (match := loaded.search(inference_worker.read_text())) and time.monotonic() < deadline:
        await asyncio.sleep(0.3)
    assert match, inference_worker.read_text()[-2000:]

    response = await async_client.get("/readyz")
    body = json.loads(response.content)
    assert response.status_code == 200, body
    assert (body["status"], body["mode"]) == ("ready", "distributed")
    assert body["checks"]["broker"]["detail"] == "connected (redis)"
    assert body["checks"]["channel_layer"]["detail"] == "RedisChannelLayer: a message went round"
    assert "answered a ping" in body["checks"]["inference"]["detail"]
    # Other test runs may share this Redis: this worker, by name, is ready with this model.
    result = await readiness.run_check(
        "inference",
        readiness.blocking(readiness.check_inference_workers, timeout=TIMEOUT, hostname=match[1]),
        timeout=TIMEOUT,
    )
    assert result.ok, result.detail
    assert f"({version} on cpu); {match[1]} answered a ping" in result.detail


def test_a_worker_killed_outright_stops_being_ready_at_once(distributed_mode, start_worker, tiny_model_root):
    hostname, process, log = start_worker(tiny_model_root)
    wait_until(lambda: check_worker(hostname).ok, process=process, log=log, what="the worker being ready")
    assert f"Inference worker {hostname}" in log.read_text() and " ready: model " in log.read_text()

    stop(process, signal.SIGKILL)
    # Its heartbeat has not expired yet; Celery's ping finds nobody.
    result = check_worker(hostname)
    assert (result.ok, result.detail) == (
        False,
        f"inference workers {hostname} did not answer a ping (stopped or stuck)",
    )


def test_a_worker_without_a_model_says_why_and_a_stopped_one_is_gone(
    distributed_mode, start_worker, redis_url, tmp_path
):
    empty_root = tmp_path / "no-models"
    empty_root.mkdir()
    hostname, process, log = start_worker(empty_root)
    client = worker_heartbeat.redis_client(redis_url)
    wait_until(
        lambda: any(beat.hostname == hostname for beat in worker_heartbeat.read_heartbeats(client)),
        process=process,
        log=log,
        what="the worker's first heartbeat",
    )
    result = check_worker(hostname)
    assert not result.ok
    assert result.detail.startswith(f"no inference worker has a model loaded ({hostname}: No trained model")
    assert f"Inference worker {hostname} (pid" in log.read_text() and "is not ready: No trained model" in (
        log.read_text()
    )

    stop(process, signal.SIGTERM)  # a warm shutdown deletes the heartbeat
    assert not any(beat.hostname == hostname for beat in worker_heartbeat.read_heartbeats(client))
    client.close()
    result = check_worker(hostname)
    assert (result.ok, result.detail) == (False, f"inference worker {hostname} has not reported in")
