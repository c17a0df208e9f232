"""The inference worker's heartbeat: "alive, with this model loaded", for readiness (docs/deployment.md).

Every process of a Celery worker that consumes the `inference` queue loads the model to serve as soon as
it has started (in a thread: the pool's start-up handshake must not wait for a model to load), then every
CHATBOT_WORKER_HEARTBEAT_SECONDS writes one key in the broker's Redis, which expires after three beats:

    chatbot:inference-worker:<hostname>:<pid> -> {"hostname", "pid", "model_version", "device", "error"}

A process killed outright stops beating and its key expires; one stopped cleanly deletes its key. Each beat
goes through engine.get_engine(), so a newly activated model version is loaded before the next reply needs
it, and a model that cannot be loaded (missing, corrupt) is reported with the reason, and logged once,
instead of "ready". Readiness pairs these keys with Celery's own ping, which the worker's main process
answers even while its pool process is busy generating.
"""

import contextlib
import json
import logging
import os
import threading
from dataclasses import asdict, dataclass
from typing import Any

import redis
from celery import signals
from celery.concurrency.thread import TaskPool as ThreadTaskPool
from django.conf import settings
from django.db import connections

from chatbot.celery import app as celery_app
from chatbot.conversations import engine

logger = logging.getLogger(__name__)

INFERENCE_QUEUE = "inference"
KEY_PREFIX = "chatbot:inference-worker:"
# Missed beats before a key expires: one late beat (a slow model load, a busy core) is not an outage.
BEATS_TO_EXPIRY = 3


@dataclass(frozen=True)
class Heartbeat:
    hostname: str  # the Celery worker's node name, `celery@<host>`: what Celery's ping addresses
    pid: int
    model_version: str | None
    device: str | None
    error: str | None  # why no model is loaded; None when one is

    @property
    def ready(self) -> bool:
        return self.error is None and self.model_version is not None

    @property
    def key(self) -> str:
        return f"{KEY_PREFIX}{self.hostname}:{self.pid}"


def redis_client(url: str) -> redis.Redis:
    """A client that gives up within two seconds, so neither a probe nor a beat hangs on a dead Redis."""
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def read_heartbeats(client: redis.Redis) -> list[Heartbeat]:
    """Every inference worker process that beat recently, in key order."""
    keys = sorted(client.scan_iter(match=f"{KEY_PREFIX}*", count=200))
    heartbeats = []
    for value in client.mget(keys) if keys else []:
        if value is None:  # expired between the scan and the read
            continue
        try:
            heartbeats.append(Heartbeat(**json.loads(value)))
        except (TypeError, ValueError):
            logger.warning("Ignoring a malformed worker heartbeat: %r", value[:200])
    return heartbeats


def current_heartbeat(*, hostname: str, pid: int) -> Heartbeat:
    """Load (or keep) the model to serve and say so; the failure's reason when that is impossible."""
    try:
        loaded = engine.get_engine()
    except engine.EngineUnavailable as error:
        return Heartbeat(hostname=hostname, pid=pid, model_version=None, device=None, error=str(error))
    except Exception as error:  # a corrupt or unreadable model file: torch and the tokenizer raise anything
        reason = f"the model failed to load: {type(error).__name__}: {error}"
        return Heartbeat(hostname=hostname, pid=pid, model_version=None, device=None, error=reason)
    finally:
        # This thread outlives any request: a connection left open would go stale between beats.
        connections.close_all()
    from inference.generate import default_device  # where ReplyEngine.load puts the model

    return Heartbeat(
        hostname=hostname, pid=pid, model_version=loaded.version, device=str(default_device()), error=None
    )


def write_heartbeat(client: redis.Redis, heartbeat: Heartbeat, *, interval: float) -> None:
    client.set(heartbeat.key, json.dumps(asdict(heartbeat)), ex=max(1, round(interval * BEATS_TO_EXPIRY)))


def log_change(previous: Heartbeat | None, heartbeat: Heartbeat) -> None:
    """One log line when the state changes, not one a beat."""
    if previous is not None and (previous.model_version, previous.error) == (
        heartbeat.model_version,
        heartbeat.error,
    ):
        return
    if heartbeat.ready:
        logger.info(
            "Inference worker %s (pid %s) ready: model %s on %s",
            heartbeat.hostname,
            heartbeat.pid,
            heartbeat.model_version,
            heartbeat.device,
        )
    else:
        logger.error(
            "Inference worker %s (pid %s) is not ready: %s",
            heartbeat.hostname,
            heartbeat.pid,
            heartbeat.error,
        )


class HeartbeatThread(threading.Thread):
    """Beats until stopped; a Redis outage skips beats (the key expires, readiness says so) and retries."""

    def __init__(self, *, hostname: str, broker_url: str, interval: float) -> None:
        super().__init__(name="inference-heartbeat", daemon=True)
        self.hostname, self.broker_url, self.interval = hostname, broker_url, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        client, previous = redis_client(self.broker_url), None
        key = f"{KEY_PREFIX}{self.hostname}:{os.getpid()}"
        while True:
            heartbeat = current_heartbeat(hostname=self.hostname, pid=os.getpid())
            log_change(previous, heartbeat)
            previous = heartbeat
            try:
                write_heartbeat(client, heartbeat, interval=self.interval)
            except redis.RedisError as error:
                logger.warning("Inference worker %s: heartbeat not written: %s", self.hostname, error)
            if self.stopped.wait(self.interval):
                break
        with contextlib.suppress(redis.RedisError):  # else the key expires by itself
            client.delete(key)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=5)


_thread: HeartbeatThread | None = None


def serves_inference() -> bool:
    """Whether this worker consumes the inference queue (`-Q inference`); the default-queue one does not."""
    return INFERENCE_QUEUE in celery_app.amqp.queues.consume_from


def start(hostname: str) -> None:
    global _thread
    if not serves_inference() or _thread is not None:
        return
    _thread = HeartbeatThread(
        hostname=hostname,
        broker_url=celery_app.conf.broker_url,
        interval=settings.CHATBOT_WORKER_HEARTBEAT_SECONDS,
    )
    _thread.start()


@signals.worker_process_init.connect
def start_in_pool_process(sender: str | None = None, **kwargs: object) -> None:
    """Each pool process of a prefork worker, after the fork (never before: CUDA cannot be re-initialised
    in a forked child), or a solo worker's own process."""
    start(sender or "unknown")


@signals.worker_ready.connect
def start_in_threaded_worker(sender: Any = None, **kwargs: object) -> None:
    """A worker with a thread pool (`--pool threads`) has no pool processes: it beats from its own."""
    if isinstance(getattr(sender, "pool", None), ThreadTaskPool):
        start(sender.hostname)


@signals.worker_process_shutdown.connect
@signals.worker_shutdown.connect
def stop_heartbeat(**kwargs: object) -> None:
    global _thread
    if _thread is not None:
        _thread.stop()
        _thread = None
