"""Readiness: can this deployment answer a customer right now? (/readyz and `manage.py readiness`)

Liveness (/healthz) only says the process answers HTTP. Readiness checks what a reply needs, all checks at
once and each within CHATBOT_READINESS_TIMEOUT_SECONDS, so a hung database or Redis makes the probe fail
in time instead of hanging it:

* database: a query on the default database;
* channel_layer: a message sent to a fresh channel and received back (the way every streamed token goes);
* broker (distributed mode): a connection to Celery's broker;
* inference: distributed mode: an inference worker whose heartbeat (worker_heartbeat) says it has a model
  loaded and which answers Celery's ping; embedded mode: a complete model version is there for this
  process to serve (it loads it on the first reply: a probe must not take seconds of CPU).

Blocking checks run in daemon threads: one that hangs is abandoned at its timeout and never keeps the
process (a health-check command) from exiting.
"""

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from chatbot.celery import app as celery_app
from chatbot.conversations import engine, worker_heartbeat

# Share of the timeout the inference check gives Celery's ping; the rest is for reading the heartbeats.
PING_SHARE = 0.6


class NotReady(Exception):
    """A check failed; the message is the reason /readyz reports."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    milliseconds: int


@dataclass(frozen=True)
class Report:
    mode: str  # "embedded" | "distributed"
    checks: tuple[CheckResult, ...]

    @property
    def ready(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def failures(self) -> list[CheckResult]:
        return [check for check in self.checks if not check.ok]

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "not ready",
            "mode": self.mode,
            "checks": {
                check.name: {"ok": check.ok, "detail": check.detail, "ms": check.milliseconds}
                for check in self.checks
            },
        }


async def in_daemon_thread(function: Callable[[], Any]) -> Any:
    """`function()` in a daemon thread of its own, awaited; abandoned, not joined, when cancelled."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future = loop.create_future()

    def settle(method: Callable[[Any], None], value: Any) -> None:
        if not future.done():  # else cancelled by the timeout meanwhile
            method(value)

    def run() -> None:
        try:
            outcome = (future.set_result, function())
        except BaseException as error:
            outcome = (future.set_exception, error)
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits for the answer any more
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=run, name="readiness-check", daemon=True).start()
    return await future


# --- The checks: each returns what it found, or raises NotReady (or the client's own error) ----------


def check_database(connection: BaseDatabaseWrapper | None = None) -> str:
    connection = connection if connection is not None else connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return f"{connection.vendor} answered"
    finally:
        # A connection of this short-lived thread: close it, or it stays open until the server drops it.
        connection.close()


async def check_channel_layer(layer: BaseChannelLayer | None = None) -> str:
    layer = layer or get_channel_layer()
    if layer is None:
        raise NotReady("no channel layer is configured (CHANNEL_LAYERS)")
    channel = await layer.new_channel("readiness.")
    nonce = uuid.uuid4().hex
    await layer.send(channel, {"type": "readiness.probe", "nonce": nonce})
    received = await layer.receive(channel)
    if received.get("nonce") != nonce:
        raise NotReady("the channel layer delivered another message than the one sent")
    return f"{type(layer).__name__}: a message went round"


def check_broker(url: str | None = None) -> str:
    with celery_app.connection_for_write(url) as connection:
        # No retries: an unreachable broker fails now, not after Celery's back-off.
        connection.ensure_connection(max_retries=0)
        return f"connected ({connection.transport_cls})"


def check_inference_workers(*, timeout: float, hostname: str | None = None) -> str:
    """At least one inference worker process has a model loaded, and its worker answers a ping."""
    client = worker_heartbeat.redis_client(celery_app.conf.broker_url)
    try:
        heartbeats = worker_heartbeat.read_heartbeats(client)
    finally:
        client.close()
    if hostname is not None:
        heartbeats = [heartbeat for heartbeat in heartbeats if heartbeat.hostname == hostname]
    loaded = [heartbeat for heartbeat in heartbeats if heartbeat.ready]
    if not loaded:
        if heartbeats:
            reasons = "; ".join(f"{heartbeat.hostname}: {heartbeat.error}" for heartbeat in heartbeats)
            raise NotReady(f"no inference worker has a model loaded ({reasons})")
        if hostname:
            raise NotReady(f"inference worker {hostname} has not reported in")
        raise NotReady(
            "no inference worker has reported in (is `celery -A chatbot worker -Q inference` running?)"
        )
    hostnames = sorted({heartbeat.hostname for heartbeat in loaded})
    # limit=1: one answer is enough, so a live worker answers without waiting out the dead ones.
    replies = celery_app.control.ping(destination=hostnames, timeout=timeout * PING_SHARE, limit=1)
    answered = sorted(name for reply in replies for name in reply)
    if not answered:
        raise NotReady(f"inference workers {', '.join(hostnames)} did not answer a ping (stopped or stuck)")
    models = sorted({f"{heartbeat.model_version} on {heartbeat.device}" for heartbeat in loaded})
    return (
        f"{len(loaded)} inference process(es) with a model loaded ({', '.join(models)}); "
        f"{', '.join(answered)} answered a ping"
    )


def check_embedded_engine() -> str:
    """A complete model version is there for this process to serve (it loads it on the first reply)."""
    from inference.versions import is_complete  # standard library only: no torch here

    try:
        model_dir = engine.model_dir_to_serve()
    finally:
        connections.close_all()  # this thread's connection (the active version's query)
    if model_dir is None:
        raise NotReady(f"no trained model under {settings.CHATBOT_MODEL_DIR} (`manage.py ensure_demo_model`)")
    if not is_complete(model_dir):
        raise NotReady(f"{model_dir.name} is not a complete model version")
    return f"model {model_dir.name} is served by this process"


async def not_used() -> str:
    return "not used in the embedded mode"


# --- All together -------------------------------------------------------------------------------------


async def run_check(name: str, check: Callable[[], Awaitable[str]], *, timeout: float) -> CheckResult:
    started = time.monotonic()
    try:
        detail, ok = await asyncio.wait_for(check(), timeout), True
    except TimeoutError:
        detail, ok = f"no answer within {timeout:g} s", False
    except NotReady as error:
        detail, ok = str(error), False
    except Exception as error:  # the client's own error says best what is wrong (refused, unknown host)
        detail, ok = f"{type(error).__name__}: {' '.join(str(error).split())}", False
    return CheckResult(name, ok, detail, round((time.monotonic() - started) * 1000))


def blocking(function: Callable[..., str], *args: Any, **kwargs: Any) -> Callable[[], Awaitable[str]]:
    """A blocking check as an awaitable one, run in a daemon thread."""
    return lambda: in_daemon_thread(partial(function, *args, **kwargs))


async def check_readiness(*, worker: str | None = None, timeout: float | None = None) -> Report:
    """Run every check at once. `worker`: only that inference worker counts (its own health check)."""
    timeout = timeout or settings.CHATBOT_READINESS_TIMEOUT_SECONDS
    if settings.CHATBOT_DISTRIBUTED:
        mode, broker = "distributed", blocking(check_broker)
        inference = blocking(check_inference_workers, timeout=timeout, hostname=worker)
    else:
        mode, broker, inference = "embedded", not_used, blocking(check_embedded_engine)
    checks = {
        "database": blocking(check_database),
        "channel_layer": check_channel_layer,
        "broker": broker,
        "inference": inference,
    }
    results = await asyncio.gather(
        *(run_check(name, check, timeout=timeout) for name, check in checks.items())
    )
    return Report(mode=mode, checks=tuple(results))
