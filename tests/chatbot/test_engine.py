"""Which model answers: the active version, else the newest directory; loaded once, swapped on change."""

import shutil

import pytest

from chatbot.conversations import engine
from chatbot.conversations.models import ModelVersion
from chatbot.conversations.services import do_activate_model_version
from inference.serving import Turn

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_versions(tiny_model_root, tmp_path, settings):
    """A model root with two complete versions of the tiny model; the second is the newer."""
    root = tmp_path / "models"
    [original] = [path for path in tiny_model_root.iterdir() if path.is_dir()]
    older = shutil.copytree(original, root / "20250101-000000-tiny")
    newer = shutil.copytree(original, root / "20250202-000000-tiny")
    settings.CHATBOT_MODEL_DIR = root
    return older, newer


def test_without_an_active_version_the_newest_directory_answers(two_versions):
    older, newer = two_versions
    assert engine.get_engine().version == newer.name


def test_the_engine_is_loaded_once_per_process(two_versions):
    assert engine.get_engine() is engine.get_engine()


def test_activating_another_version_swaps_the_engine_on_the_next_reply(two_versions):
    older, newer = two_versions
    first = engine.get_engine()
    do_activate_model_version(version=ModelVersion.objects.create(name=older.name, path=older.name))
    swapped = engine.get_engine()
    assert (first.version, swapped.version) == (newer.name, older.name)


def test_an_empty_model_root_is_unavailable(tmp_path, settings):
    settings.CHATBOT_MODEL_DIR = tmp_path
    with pytest.raises(engine.EngineUnavailable, match="ensure_demo_model"):
        engine.get_engine()


def test_generation_uses_the_configured_number_of_cpu_threads(two_versions, settings):
    import torch

    before = torch.get_num_threads()
    settings.CHATBOT_TORCH_THREADS = 1
    try:
        torch.set_num_threads(2)
        engine.get_engine()
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_consensus_decoding_is_switched_on_by_a_setting(two_versions, settings):
    assert engine.get_engine().engine.settings.consensus_samples == 0
    settings.CHATBOT_CONSENSUS_SAMPLES = 3
    engine.unload_engine()
    consensus = engine.get_engine()
    assert consensus.engine.settings.consensus_samples == 3
    assert consensus.reply([Turn("customer", "where is my order?")]).text
    engine.unload_engine()  # later tests get the default engine back


def test_replies_are_batched_with_the_configured_size_and_wait(two_versions, settings):
    settings.CHATBOT_BATCH_MAX_SIZE, settings.CHATBOT_BATCH_WAIT_MS = 4, 250
    engine.unload_engine()
    batcher = engine.get_engine()
    assert (batcher.max_batch_size, batcher.max_wait_seconds) == (4, 0.25)
    engine.unload_engine()
    batcher._thread.join(timeout=10)  # unloading closes the batcher: its decoding thread ends
    assert not batcher._thread.is_alive()
