"""The processes a fault test breaks on purpose: a private Redis server and Celery inference workers.

Other test runs share the Redis on port 6379 (and its workers consume the same `inference` queue), so a
fault test never stops, restarts or floods that one: it starts its own redis-server on a free port.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis

from tests.chatbot.distributed import unavailable
from tests.conftest import REPO_ROOT

WORKER_START_SECONDS = 90
# The hand-over triggers: fault tests are about delivery, and a trigger (the tiny model reads something as
# a complaint) could take the conversation from the bot half-way through one.
ESCALATION_TRIGGERS = ("REQUEST", "COMPLAINT", "LOW_CONFIDENCE", "REPETITION")
BOT_ONLY_ENV = {f"CHATBOT_ESCALATE_ON_{trigger}": "false" for trigger in ESCALATION_TRIGGERS}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of this test's own, without persistence: a restart loses everything in it."""

    def __init__(self, log: Path) -> None:
        if shutil.which("redis-server") is None:
            unavailable("redis-server is not installed")
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        with self.log.open("a") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.exceptions.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start:\n{self.log.read_text()[-2000:]}")
                time.sleep(0.05)

    def stop(self) -> None:
        """Gone at once, the way a crashed or restarted server goes: clients see their connections drop."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5)


@contextmanager
def running_redis(log: Path) -> Iterator[RedisServer]:
    """A RedisServer started for the block (a fixture's lifetime) and stopped after it."""
    server = RedisServer(log)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class InferenceWorker:
    """`celery -A chatbot worker -Q inference`, as the integration tests and the image run it."""

    def __init__(self, *, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "celery", "-A", "chatbot", "worker", "-Q", "inference"]
        command += ["--pool", "threads", "--concurrency", "4", "--loglevel", "info", "--without-mingle"]
        command += ["--hostname", f"fault-{uuid.uuid4().hex[:8]}@%h"]
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT
            )
        self.wait_for_log(" ready.", timeout=WORKER_START_SECONDS)

    def wait_for_log(self, text: str, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker never logged {text!r}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def pause(self) -> None:
        """SIGSTOP: frozen where it is, mid-reply if it was replying."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no chance to hand its task back."""
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.resume()  # a paused worker cannot act on SIGTERM
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
