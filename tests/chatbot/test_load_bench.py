"""bench/load.py on a few customers: the real stack (PostgreSQL, Redis, Daphne, a Celery worker) answers
every message exactly once with and without batching, and the report says so."""

import os
import socket

import pytest

from tests.chatbot.distributed import unavailable

pytestmark = [pytest.mark.distributed, pytest.mark.postgres, pytest.mark.slow]

POSTGRES_ADMIN_URL = (
    os.environ.get("POSTGRES_TEST_URL", "postgres://postgres@127.0.0.1:5432/chatbot").rsplit("/", 1)[0]
    + "/postgres"
)
# Its own Redis database: the benchmark flushes the one it uses.
REDIS_URL = "redis://127.0.0.1:6379/14"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def services():
    import psycopg
    import redis

    try:
        psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3).close()
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as error:
        unavailable(f"the load benchmark needs PostgreSQL and Redis: {error}")
    database = f"chatbot_load_test_{os.getpid()}"
    yield database
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def test_every_message_is_answered_exactly_once_with_and_without_batching(
    services, tiny_model_root, tmp_path
):
    from bench import load

    [model] = [path for path in tiny_model_root.iterdir() if path.is_dir()]
    plot = tmp_path / "latency.png"
    summaries = load.main(
        [
            "--model",
            str(model),
            "--sessions",
            "6",
            "--messages",
            "2",
            "--think",
            "0.2",
            "--reply-timeout",
            "60",
        ]
        + ["--batch-sizes", "1,4", "--worker-threads", "4", "--postgres", POSTGRES_ADMIN_URL]
        + ["--database", services, "--redis", REDIS_URL, "--port", str(free_port()), "--plot", str(plot)]
    )
    assert [summary["batch_size"] for summary in summaries] == [1, 4]
    for summary in summaries:
        assert summary["session_errors"] == 0
        assert summary["sent"] == summary["replies"] == 12
        assert summary["lost"] == summary["duplicated"] == summary["duplicated_in_database"] == 0
        assert summary["stored_customer_messages"] == summary["stored_bot_replies"] == 12
        first_token, whole = summary["first_token_p50_p95_p99"], summary["reply_p50_p95_p99"]
        assert 0 < first_token[0] <= whole[0] and whole[0] <= whole[1] <= whole[2]
    assert plot.stat().st_size > 10_000
