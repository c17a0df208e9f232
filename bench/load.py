"""Load on the distributed stack: N customers chatting at once, with and without dynamic batching.

    python -m bench.load --model var/models/bitext/<version> --sessions 200 --messages 3 \
        --plot docs/load_latency.png

For every batch size given (`--batch-sizes 1,16`: one reply at a time, then batches of up to 16) it
builds the stack from scratch on loopback: a fresh PostgreSQL database, a flushed Redis database, one
Daphne web process and one Celery inference worker (`--pool threads --concurrency 16`, the model loaded
once, `CHATBOT_BATCH_MAX_SIZE` set to the batch size). Then `--sessions` customers each load the chat page
(for the identity cookie), open the websocket, and send `--messages` messages one after another (the
next when the reply is complete, after a random think time), like people typing. It reports messages
sent, replies received, replies lost or duplicated (in the frames and in the database), time to first
token and to the whole reply (p50/p95/p99), replies per second; a PNG of latency over the run; and the
throughput of each batch size against one-at-a-time generation, all measured in this one run.

Escalation triggers are switched off: a low-confidence reply would hand the customer to staff, and the
bot would rightly stop answering that customer; this measures the bot.
Needs bench/requirements.txt (websockets), PostgreSQL and Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO_ROOT / "inference" / "sample_data" / "shop_support.jsonl"


@dataclass
class Exchange:
    """One customer message and what came back for it."""

    client_id: str
    sent_at: float  # seconds since the load started
    message_id: str | None = None  # the server's id, from the acknowledgement
    first_token_seconds: float | None = None
    reply_seconds: float | None = None
    replies: int = 0  # bot messages answering it: 1 is right, 0 lost, more duplicated


@dataclass
class SessionResult:
    exchanges: list[Exchange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    batch_size: int
    sessions: list[SessionResult]
    wall_seconds: float
    stored_customer_messages: int
    stored_bot_replies: int
    duplicated_in_database: int

    @property
    def exchanges(self) -> list[Exchange]:
        return [exchange for session in self.sessions for exchange in session.exchanges]

    @property
    def answered(self) -> list[Exchange]:
        return [exchange for exchange in self.exchanges if exchange.replies >= 1]


def customer_messages(path: Path) -> list[str]:
    """Every customer message of the shop sample data (ours, shipped in the repo)."""
    texts = []
    for line in path.read_text(encoding="utf-8").splitlines():
        example = json.loads(line)
        texts += [turn["text"] for turn in example["context"] if turn["role"] == "customer"]
    return texts


# --- The stack ------------------------------------------------------------------------------------


def fresh_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def stack_environment(*, database_url: str, redis_url: str, model_root: Path, batch_size: int) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chatbot.settings",
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CHATBOT_MODEL_DIR": str(model_root),
        "STATIC_ROOT": str(model_root.parent / "static"),
        "SECRET_KEY": "load-benchmark-" + uuid.uuid4().hex,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        "CHATBOT_BATCH_MAX_SIZE": str(batch_size),
        "CHATBOT_ESCALATE_ON_LOW_CONFIDENCE": "false",
        "CHATBOT_ESCALATE_ON_COMPLAINT": "false",
        "CHATBOT_ESCALATE_ON_REQUEST": "false",
        "CHATBOT_ESCALATE_ON_REPETITION": "false",
    }


class Stack:
    """Daphne and a Celery inference worker on loopback, started fresh, stopped on exit."""

    def __init__(self, env: dict, port: int, workdir: Path, worker_threads: int):
        self.env, self.port, self.workdir, self.worker_threads = env, port, workdir, worker_threads
        self.processes: list[subprocess.Popen] = []

    def __enter__(self) -> Stack:
        python = sys.executable
        for command in (["migrate"], ["collectstatic"]):  # production settings serve hashed static files
            subprocess.run(
                [python, "manage.py", *command, "--noinput", "-v", "0"],
                cwd=REPO_ROOT,
                env=self.env,
                check=True,
            )
        self._start(
            "worker",
            [python, "-m", "celery", "-A", "chatbot", "worker", "-Q", "inference", "--pool", "threads"]
            + ["--concurrency", str(self.worker_threads), "--loglevel", "warning", "--without-mingle"],
        )
        self._start(
            "web",
            [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port), "chatbot.asgi:application"],
        )
        self._wait_until_ready()
        return self

    def _start(self, name: str, command: list[str]) -> None:
        log = (self.workdir / f"{name}.log").open("w")
        self.processes.append(
            subprocess.Popen(command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        )

    def _wait_until_ready(self, timeout: float = 180) -> None:
        """/readyz: database, channel layer, broker, and a worker with the model loaded."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if any(process.poll() is not None for process in self.processes):
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=5) as response:
                    if response.status == 200:
                        return
            except Exception as error:  # not up yet, or 503 while the worker loads the model
                last = str(error)
            time.sleep(1)
        logs = "\n".join((self.workdir / f"{n}.log").read_text()[-2000:] for n in ("web", "worker"))
        raise RuntimeError(f"the stack did not become ready ({last}):\n{logs}")

    def __exit__(self, *exc_info) -> None:
        for process in self.processes:
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def database_counts(database_url: str) -> tuple[int, int, int]:
    """Stored customer messages, bot replies, and customer messages with more than one bot reply."""
    import psycopg

    with psycopg.connect(database_url) as connection:
        customer = connection.execute(
            "SELECT count(*) FROM conversations_message WHERE sender = 'customer'"
        ).fetchone()[0]
        bot = connection.execute(
            "SELECT count(*) FROM conversations_message WHERE sender = 'bot'"
        ).fetchone()[0]
        duplicated = connection.execute(
            "SELECT count(*) FROM (SELECT reply_to_id FROM conversations_message WHERE sender = 'bot' "
            "GROUP BY reply_to_id HAVING count(*) > 1) AS twice"
        ).fetchone()[0]
    return customer, bot, duplicated


# --- The customers --------------------------------------------------------------------------------


def identity_cookie(port: int) -> str:
    """Load the chat page like a browser: the response sets the signed customer cookie."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
        cookies = response.headers.get_all("Set-Cookie") or []
    return "; ".join(cookie.split(";", 1)[0] for cookie in cookies)


async def customer_session(
    *,
    port: int,
    cookie: str,
    texts: list[str],
    started: float,
    rng: random.Random,
    think: float,
    timeout: float,
) -> SessionResult:
    import websockets

    result = SessionResult()
    url = f"ws://127.0.0.1:{port}/ws/chat/"
    headers = {"Cookie": cookie}
    try:
        async with websockets.connect(
            url,
            additional_headers=headers,
            origin=f"http://127.0.0.1:{port}",
            max_size=2**22,
            open_timeout=60,
        ) as socket:
            history = json.loads(await socket.recv())
            if history.get("type") != "history":
                result.errors.append(f"first frame {history.get('type')}")
                return result
            for text in texts:
                await asyncio.sleep(rng.uniform(0, think))
                result.exchanges.append(await _exchange(socket, text, started, timeout))
            # Anything still arriving (a duplicate reply) within a moment is counted too.
            await _drain(socket, result.exchanges, seconds=1.0)
    except Exception as error:  # a refused or dropped socket is a result, not a crash of the benchmark
        result.errors.append(f"{type(error).__name__}: {error}")
    return result


async def _exchange(socket, text: str, started: float, timeout: float) -> Exchange:
    """Send one message; wait at most `timeout` seconds for its reply (then it counts as lost)."""
    client_id = str(uuid.uuid4())
    sent = time.perf_counter()
    exchange = Exchange(client_id=client_id, sent_at=sent - started)
    await socket.send(json.dumps({"type": "message", "client_id": client_id, "text": text}))
    deadline = sent + timeout
    while exchange.replies == 0:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            break
        try:
            frame = json.loads(await asyncio.wait_for(socket.recv(), remaining))
        except TimeoutError:
            break
        _account(frame, [exchange], now=time.perf_counter(), sent=sent)
    return exchange


def _account(frame: dict, exchanges: list[Exchange], *, now: float, sent: float | None = None) -> None:
    by_message = {e.message_id: e for e in exchanges if e.message_id}
    if frame.get("type") == "message":
        message = frame["message"]
        if message["sender"] == "customer":
            for exchange in exchanges:
                if exchange.client_id == message["client_id"]:
                    exchange.message_id = message["id"]
        elif message["sender"] == "bot" and message["reply_to"] in by_message:
            exchange = by_message[message["reply_to"]]
            exchange.replies += 1
            if sent is not None and exchange.reply_seconds is None:
                exchange.reply_seconds = now - sent
    elif frame.get("type") == "token" and frame.get("reply_to") in by_message:
        exchange = by_message[frame["reply_to"]]
        if sent is not None and exchange.first_token_seconds is None:
            exchange.first_token_seconds = now - sent


async def _drain(socket, exchanges: list[Exchange], *, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    while (remaining := deadline - time.perf_counter()) > 0:
        try:
            frame = json.loads(await asyncio.wait_for(socket.recv(), remaining))
        except TimeoutError:
            return
        _account(frame, exchanges, now=time.perf_counter())


async def run_load(
    *, port: int, sessions: int, messages: int, think: float, seed: int, timeout: float
) -> tuple[list, float]:
    texts = customer_messages(SAMPLE_DATA)
    rng = random.Random(seed)
    cookies = [identity_cookie(port) for _ in range(sessions)]
    plans = [[rng.choice(texts) for _ in range(messages)] for _ in range(sessions)]
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            customer_session(
                port=port,
                cookie=cookie,
                texts=plan,
                started=started,
                rng=random.Random(seed + index),
                think=think,
                timeout=timeout,
            )
            for index, (cookie, plan) in enumerate(zip(cookies, plans, strict=True))
        )
    )
    return list(results), time.perf_counter() - started


# --- Report ---------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def summary(run: RunResult) -> dict:
    exchanges = run.exchanges
    first = [e.first_token_seconds for e in exchanges if e.first_token_seconds is not None]
    whole = [e.reply_seconds for e in exchanges if e.reply_seconds is not None]
    return {
        "batch_size": run.batch_size,
        "sessions": len(run.sessions),
        "session_errors": sum(len(s.errors) for s in run.sessions),
        "sent": len(exchanges),
        "replies": len(run.answered),
        "lost": sum(1 for e in exchanges if e.replies == 0),
        "duplicated": sum(1 for e in exchanges if e.replies > 1),
        "stored_customer_messages": run.stored_customer_messages,
        "stored_bot_replies": run.stored_bot_replies,
        "duplicated_in_database": run.duplicated_in_database,
        "first_token_p50_p95_p99": [round(percentile(first, q), 2) for q in (0.5, 0.95, 0.99)],
        "reply_p50_p95_p99": [round(percentile(whole, q), 2) for q in (0.5, 0.95, 0.99)],
        "replies_per_second": round(len(run.answered) / run.wall_seconds, 2),
        "wall_seconds": round(run.wall_seconds, 1),
        "median_reply_seconds": round(statistics.median(whole), 2) if whole else None,
    }


def markdown_table(summaries: list[dict]) -> str:
    baseline = next((s for s in summaries if s["batch_size"] == 1), summaries[0])
    lines = [
        "| batch size | sent | replies | lost | duplicated (frames / database) "
        "| first token p50 / p95 / p99 (s) | whole reply p50 / p95 / p99 (s) | replies/s | gain |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in summaries:
        gain = (
            s["replies_per_second"] / baseline["replies_per_second"] if baseline["replies_per_second"] else 0
        )
        lines.append(
            f"| {s['batch_size']} | {s['sent']} | {s['replies']} | {s['lost']} | "
            f"{s['duplicated']} / {s['duplicated_in_database']} | "
            f"{' / '.join(f'{v:.2f}' for v in s['first_token_p50_p95_p99'])} | "
            f"{' / '.join(f'{v:.2f}' for v in s['reply_p50_p95_p99'])} | {s['replies_per_second']:.2f} | "
            f"{gain:.2f}x |"
        )
    return "\n".join(lines)


def plot(runs: list[RunResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(8, 4.5))
    for run in runs:
        answered = sorted(run.answered, key=lambda e: e.sent_at)
        label = "one at a time" if run.batch_size == 1 else f"batches of up to {run.batch_size}"
        axes.plot(
            [e.sent_at for e in answered],
            [e.reply_seconds for e in answered],
            ".",
            ms=3,
            alpha=0.6,
            label=f"{label}: whole reply",
        )
        axes.plot(
            [e.sent_at for e in answered],
            [e.first_token_seconds or 0 for e in answered],
            "x",
            ms=2,
            alpha=0.4,
            label=f"{label}: first token",
        )
    axes.set_xlabel("message sent at (s since the load started)")
    axes.set_ylabel("latency (s)")
    axes.set_title(f"{len(runs[0].sessions)} concurrent customers")
    axes.legend(fontsize=8)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


# --- Main -----------------------------------------------------------------------------------------


def run_one(args, batch_size: int, model_root: Path, workdir: Path) -> RunResult:
    database_url = fresh_database(args.postgres, args.database)
    flush_redis(args.redis)
    env = stack_environment(
        database_url=database_url, redis_url=args.redis, model_root=model_root, batch_size=batch_size
    )
    with Stack(env, args.port, workdir, worker_threads=args.worker_threads):
        sessions, wall = asyncio.run(
            run_load(
                port=args.port,
                sessions=args.sessions,
                messages=args.messages,
                think=args.think,
                seed=args.seed,
                timeout=args.reply_timeout,
            )
        )
    customer, bot, duplicated = database_counts(database_url)
    return RunResult(
        batch_size=batch_size,
        sessions=sessions,
        wall_seconds=wall,
        stored_customer_messages=customer,
        stored_bot_replies=bot,
        duplicated_in_database=duplicated,
    )


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="a complete model version directory")
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--messages", type=int, default=3, help="messages per customer")
    parser.add_argument(
        "--think", type=float, default=2.0, help="most seconds a customer pauses before a message"
    )
    parser.add_argument("--batch-sizes", default="1,16")
    parser.add_argument(
        "--reply-timeout", type=float, default=600, help="seconds after which a missing reply counts as lost"
    )
    parser.add_argument("--worker-threads", type=int, default=16)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="chatbot_load")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--plot", type=Path, help="PNG of latency over the run")
    parser.add_argument("--json", type=Path, help="write the summaries here")
    args = parser.parse_args(argv)

    model = Path(args.model).resolve()
    if not (model / "COMPLETE").is_file():
        parser.error(f"{model} is not a complete model version directory")
    runs = []
    with tempfile.TemporaryDirectory(prefix="load-") as scratch:
        workdir = Path(scratch)
        model_root = workdir / "models"
        model_root.mkdir()
        (model_root / model.name).symlink_to(model)
        for batch_size in (int(size) for size in args.batch_sizes.split(",")):
            print(
                f"== batch size {batch_size}: {args.sessions} customers x {args.messages} messages",
                flush=True,
            )
            runs.append(run_one(args, batch_size, model_root, workdir))
            print(json.dumps(summary(runs[-1])), flush=True)
    summaries = [summary(run) for run in runs]
    print(markdown_table(summaries))
    if args.plot:
        plot(runs, args.plot)
    if args.json:
        args.json.write_text(json.dumps(summaries, indent=2) + "\n", encoding="utf-8")
    return summaries


if __name__ == "__main__":
    main()
