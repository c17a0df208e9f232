"""Fixtures shared by the inference tests."""

import pytest
import torch

from tests.inference.factories import train_tiny, write_shop_jsonl


@pytest.fixture(autouse=True)
def _single_thread():
    """The tests' tensors are tiny: one thread is faster, and leaves the other core to what runs beside."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def shop_model(tmp_path_factory):
    """(data file, model root, version directory) of a tiny model that memorised the shop examples.

    Trained once for the training and the serving tests; tests may add versions to the root, never
    change this one.
    """
    root = tmp_path_factory.mktemp("models")
    data = write_shop_jsonl(root.parent / "shop.jsonl")
    return data, root, train_tiny(data, root, epochs=40)
