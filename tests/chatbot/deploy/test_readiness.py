"""Readiness checks one by one, each passing and failing for real: a database that is not there, a Redis
that refuses connections or never answers, an inference worker that reported an error or is gone.

The checks against running Celery workers are in test_readiness_distributed.py.
"""

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict

import dj_database_url
import pytest
from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from django.core.management import CommandError, call_command
from django.db.utils import ConnectionHandler

from chatbot.celery import app as celery_app
from chatbot.conversations import readiness, worker_heartbeat
from chatbot.conversations.worker_heartbeat import Heartbeat
from chatbot.settings import redis_channel_layer
from inference.versions import create_version_dir, mark_complete
from tests.chatbot.deploy.stack import free_port

TIMEOUT = 1.0


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: connections are refused at once."""
    return free_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers: the hang a timeout is for."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted, stopped = [], threading.Event()

    def accept_forever() -> None:
        while not stopped.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept_forever, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stopped.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


@pytest.fixture
def model_root(settings, tmp_path):
    """A model root holding one complete version directory (the embedded check does not load it)."""
    settings.CHATBOT_MODEL_DIR = tmp_path
    version = create_version_dir(tmp_path, "tiny")
    mark_complete(version)
    return version


def run(check, *args, **kwargs) -> readiness.CheckResult:
    return readiness.run_check("probe", lambda: check(*args, **kwargs), timeout=TIMEOUT)


async def blocking_run(function, **kwargs) -> readiness.CheckResult:
    return await readiness.run_check("probe", readiness.blocking(function, **kwargs), timeout=TIMEOUT)


# --- The whole report, embedded mode ------------------------------------------------------------------


@pytest.mark.django_db
async def test_readyz_answers_200_with_every_check_when_the_embedded_mode_is_ready(async_client, model_root):
    response = await async_client.get("/readyz")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = json.loads(response.content)
    assert (body["status"], body["mode"]) == ("ready", "embedded")
    assert list(body["checks"]) == ["database", "channel_layer", "broker", "inference"]
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["inference"]["detail"] == f"model {model_root.name} is served by this process"
    assert body["checks"]["broker"]["detail"] == "not used in the embedded mode"


@pytest.mark.django_db
async def test_readyz_answers_503_with_the_reason_when_there_is_no_model(async_client, settings, tmp_path):
    settings.CHATBOT_MODEL_DIR = tmp_path
    response = await async_client.get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "not ready"
    assert body["checks"]["inference"] == {
        "ok": False,
        "detail": f"no trained model under {tmp_path} (`manage.py ensure_demo_model`)",
        "ms": body["checks"]["inference"]["ms"],
    }
    assert body["checks"]["database"]["ok"] and body["checks"]["channel_layer"]["ok"]


@pytest.mark.django_db
def test_the_readiness_command_prints_each_check_and_fails_when_not_ready(settings, tmp_path, capsys):
    settings.CHATBOT_MODEL_DIR = tmp_path
    with pytest.raises(CommandError, match=r"not ready \(embedded mode\): inference"):
        call_command("readiness")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == ["database", "channel_layer", "broker", "inference"]
    assert "inference: FAILED" in lines[3]
    mark_complete(create_version_dir(tmp_path, "tiny"))
    call_command("readiness", "--json")
    assert json.loads(capsys.readouterr().out)["status"] == "ready"


@pytest.mark.django_db
async def test_an_incomplete_model_version_is_not_ready(settings, tmp_path):
    settings.CHATBOT_MODEL_DIR = tmp_path
    half_written = create_version_dir(tmp_path, "tiny")
    (half_written / "model.pt").write_bytes(b"")
    result = await blocking_run(readiness.check_embedded_engine)
    assert not result.ok  # no COMPLETE marker: latest_version() skips it, so nothing is served
    assert "no trained model" in result.detail


# --- Database ---------------------------------------------------------------------------------------


def database(url: str):
    """A connection to `url`, made in the thread that uses it (Django's connections are per thread)."""
    return ConnectionHandler({"default": dj_database_url.parse(url)})["default"]


@pytest.mark.django_db
async def test_the_database_check_queries_the_database():
    result = await blocking_run(readiness.check_database)
    assert result.ok and result.detail.endswith("answered")


@pytest.mark.django_db
async def test_a_database_file_that_cannot_be_opened_fails_the_check(tmp_path):
    url = f"sqlite:///{tmp_path / 'no-such-directory' / 'chat.sqlite3'}"
    result = await blocking_run(lambda: readiness.check_database(database(url)))
    assert not result.ok
    assert result.detail == "OperationalError: unable to open database file"


@pytest.mark.django_db
async def test_a_database_server_that_refuses_connections_fails_the_check(closed_port):
    url = f"postgres://chatbot@127.0.0.1:{closed_port}/chatbot"
    result = await blocking_run(lambda: readiness.check_database(database(url)))
    assert not result.ok
    assert result.detail.startswith("OperationalError:") and "refused" in result.detail


# --- Channel layer ----------------------------------------------------------------------------------


async def test_a_message_goes_round_the_in_memory_layer():
    result = await run(readiness.check_channel_layer, InMemoryChannelLayer())
    assert result.ok and result.detail == "InMemoryChannelLayer: a message went round"


async def test_a_message_goes_round_the_redis_layer(redis_url):
    layer = RedisChannelLayer(**redis_channel_layer(redis_url)["CONFIG"])
    result = await run(readiness.check_channel_layer, layer)
    assert result.ok and result.detail == "RedisChannelLayer: a message went round"


async def test_a_redis_layer_that_refuses_connections_fails_the_check(closed_port):
    layer = RedisChannelLayer(**redis_channel_layer(f"redis://127.0.0.1:{closed_port}/0")["CONFIG"])
    result = await run(readiness.check_channel_layer, layer)
    assert not result.ok and "ConnectionError" in result.detail


async def test_a_redis_layer_that_never_answers_fails_the_check_in_time(silent_port):
    layer = RedisChannelLayer(**redis_channel_layer(f"redis://127.0.0.1:{silent_port}/0")["CONFIG"])
    started = time.monotonic()
    result = await run(readiness.check_channel_layer, layer)
    assert (result.ok, result.detail) == (False, f"no answer within {TIMEOUT:g} s")
    assert time.monotonic() - started < TIMEOUT + 0.5


# --- Broker -----------------------------------------------------------------------------------------


async def test_the_broker_check_connects_to_redis(redis_url):
    result = await blocking_run(readiness.check_broker, url=redis_url)
    assert result.ok and result.detail == "connected (redis)"


async def test_a_broker_that_refuses_connections_fails_the_check(closed_port):
    result = await blocking_run(readiness.check_broker, url=f"redis://127.0.0.1:{closed_port}/0")
    assert not result.ok
    assert result.detail.startswith("OperationalError:") and "refused" in result.detail


async def test_a_broker_that_never_answers_fails_the_check_in_time(silent_port):
    result = await blocking_run(readiness.check_broker, url=f"redis://127.0.0.1:{silent_port}/0")
    assert (result.ok, result.detail) == (False, f"no answer within {TIMEOUT:g} s")


# --- Inference workers, as their heartbeats say (the workers themselves: the distributed tests) ---------


@pytest.fixture
def beat(redis_url) -> Iterator:
    """Write a worker heartbeat as a worker process would; removed afterwards."""
    client = worker_heartbeat.redis_client(redis_url)
    written = []

    def write(**fields) -> Heartbeat:
        heartbeat = Heartbeat(**{"hostname": f"fake-{uuid.uuid4().hex[:8]}@test", "pid": 1, **fields})
        worker_heartbeat.write_heartbeat(client, heartbeat, interval=10)
        written.append(heartbeat.key)
        return heartbeat

    yield write
    client.delete(*written)
    client.close()


async def check_workers(hostname) -> readiness.CheckResult:
    return await blocking_run(readiness.check_inference_workers, timeout=TIMEOUT, hostname=hostname)


async def test_a_worker_that_never_reported_in_is_not_ready(distributed_mode):
    result = await check_workers("absent@test")
    assert (result.ok, result.detail) == (False, "inference worker absent@test has not reported in")


async def test_a_worker_that_could_not_load_the_model_passes_on_its_reason(distributed_mode, beat):
    failed = beat(model_version=None, device=None, error="No trained model under /data/models")
    result = await check_workers(failed.hostname)
    assert not result.ok
    assert result.detail == (
        f"no inference worker has a model loaded ({failed.hostname}: No trained model under /data/models)"
    )


async def test_a_worker_with_a_model_that_answers_no_ping_is_not_ready(distributed_mode, beat):
    """The heartbeat outlives a killed worker by up to three beats; Celery's ping does not."""
    gone = beat(model_version="20260101-000000-tiny", device="cpu", error=None)
    result = await check_workers(gone.hostname)
    assert not result.ok
    assert result.detail == f"inference workers {gone.hostname} did not answer a ping (stopped or stuck)"


def test_heartbeats_round_trip_through_redis_and_skip_malformed_ones(redis_url, beat):
    written = beat(model_version="20260101-000000-tiny", device="cuda:0", error=None)
    client = worker_heartbeat.redis_client(redis_url)
    client.set(f"{worker_heartbeat.KEY_PREFIX}broken@test:2", "{not json", ex=10)
    try:
        heartbeats = worker_heartbeat.read_heartbeats(client)
    finally:
        client.delete(f"{worker_heartbeat.KEY_PREFIX}broken@test:2")
        client.close()
    [read] = [heartbeat for heartbeat in heartbeats if heartbeat.hostname == written.hostname]
    assert asdict(read) == asdict(written) and read.ready
    assert all(heartbeat.hostname != "broken@test" for heartbeat in heartbeats)


# --- All at once: never longer than the timeout -----------------------------------------------------


@pytest.mark.django_db
async def test_readiness_of_a_distributed_web_with_a_hung_redis_fails_within_the_timeout(
    settings, silent_port, closed_port
):
    settings.CHATBOT_DISTRIBUTED = True
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(f"redis://127.0.0.1:{silent_port}/0")}
    previous = celery_app.conf.broker_url
    celery_app.conf.broker_url = f"redis://127.0.0.1:{silent_port}/0"
    try:
        started = time.monotonic()
        report = await readiness.check_readiness(timeout=TIMEOUT)
        elapsed = time.monotonic() - started
    finally:
        celery_app.conf.broker_url = previous
    assert elapsed < TIMEOUT + 0.5
    assert report.mode == "distributed" and not report.ready
    assert [check.name for check in report.failures] == ["channel_layer", "broker", "inference"]
    assert report.as_dict()["checks"]["database"]["ok"]
