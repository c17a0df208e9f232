"""Shared fixtures: personas, a real tiny trained model, and helpers for the chat socket.

The tiny model is trained once per test session on the shop sample data into a temporary model root;
`CHATBOT_MODEL_DIR` (the setting and the environment variable, for server subprocesses) points at it.
Django modules are imported inside the fixtures, so `pytest -p no:django tests/inference` still works.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from chatbot.conversations.models import Customer

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DATA = REPO_ROOT / "inference" / "sample_data" / "shop_support.jsonl"

# 5 to 20 s on one CPU thread, depending on load (measured). A larger vocabulary than the tiny
# preset's makes sequences short (fast steps) and the replies words rather than single characters.
TINY_TRAINING = dict(
    preset="tiny", epochs=4, batch_size=32, warmup_steps=10, vocab_size=1000, learning_rate=1e-2
)


# --- Databases ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """One PostgreSQL test database per pytest process: two runs side by side on one server (two
    checkouts, a developer and CI) would otherwise create and drop the same `test_<name>` under each other."""
    from django.conf import settings

    for database in settings.DATABASES.values():
        if database["ENGINE"] == "django.db.backends.postgresql":
            test = database.setdefault("TEST", {})
            test["NAME"] = f"{test.get('NAME') or 'test_' + database['NAME']}_{os.getpid()}"


# --- Personas -------------------------------------------------------------------------------------


@pytest.fixture
def customer(db) -> "Customer":
    from chatbot.conversations.models import Customer

    return Customer.objects.create(name="Alice Example", email="alice@example.com")


@pytest.fixture
def other_customer(db) -> "Customer":
    """A second customer, who must never see the first one's conversation."""
    from chatbot.conversations.models import Customer

    return Customer.objects.create(name="Bob Example", email="bob@example.com")


def customer_cookie_header(customer: "Customer") -> tuple[bytes, bytes]:
    from django.conf import settings

    from chatbot.conversations.identity import sign_customer

    return (b"cookie", f"{settings.CHATBOT_CUSTOMER_COOKIE}={sign_customer(customer)}".encode())


# --- The real tiny model --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def tiny_model_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A model root holding one real model trained on the sample data (a few seconds, once per session)."""
    import torch
    from django.conf import settings

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
