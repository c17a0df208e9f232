"""Shared fixtures: personas, a real tiny trained model, and helpers for the chat socket.

The tiny model is trained once per test session on the shop sample data into a temporary model root;
`CHATBOT_MODEL_DIR` (the setting and the environment variable, for server subprocesses) points at it.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from chatbot.conversations import engine
from chatbot.conversations.identity import sign_customer
from chatbot.conversations.models import Customer

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO_ROOT / "inference" / "sample_data" / "shop_support.jsonl"

# About 15 s on one CPU thread (measured); a larger vocabulary than the tiny preset's makes sequences
# short (fast steps) and the replies words rather than single characters.
TINY_TRAINING = dict(
    preset="tiny", epochs=4, batch_size=32, warmup_steps=10, vocab_size=1000, learning_rate=1e-2
)


@pytest.fixture(autouse=True)
def _fresh_process_state() -> Iterator[None]:
    """Rate-limit counters live in the cache, the engine in the process: neither may leak between tests."""
    cache.clear()
    engine.unload_engine()
    yield
    engine.unload_engine()


# --- Personas -------------------------------------------------------------------------------------


@pytest.fixture
def customer(db) -> Customer:
    return Customer.objects.create(name="Alice Example", email="alice@example.com")


@pytest.fixture
def other_customer(db) -> Customer:
    """A second customer, who must never see the first one's conversation."""
    return Customer.objects.create(name="Bob Example", email="bob@example.com")


def customer_cookie_header(customer: Customer) -> tuple[bytes, bytes]:
    return (b"cookie", f"{settings.CHATBOT_CUSTOMER_COOKIE}={sign_customer(customer)}".encode())


# --- The real tiny model --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_model_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A model root holding one real model trained on the sample data (a few seconds, once per session)."""
    import torch

    from inference.train import TrainConfig, train

    root = tmp_path_factory.mktemp("models")
    threads = torch.get_num_threads()
    train(
        TrainConfig(data=[str(SAMPLE_DATA)], model_root=str(root), progress=False, threads=1, **TINY_TRAINING)
    )
    torch.set_num_threads(threads)

    previous_setting, previous_env = settings.CHATBOT_MODEL_DIR, os.environ.get("CHATBOT_MODEL_DIR")
    settings.CHATBOT_MODEL_DIR = root
    os.environ["CHATBOT_MODEL_DIR"] = str(root)
    yield root
    settings.CHATBOT_MODEL_DIR = previous_setting
    if previous_env is None:
        os.environ.pop("CHATBOT_MODEL_DIR", None)
    else:
        os.environ["CHATBOT_MODEL_DIR"] = previous_env
