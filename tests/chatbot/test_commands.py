"""The management commands that train, register and check models (real training, tiny and short)."""

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from chatbot.conversations.management.commands import ensure_demo_model
from chatbot.conversations.models import ModelVersion
from tests.conftest import SAMPLE_DATA

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

QUICK_TRAINING = ["--preset", "tiny", "--epochs", "1", "--no-progress", "--threads", "1"]


@pytest.fixture
def small_data(tmp_path) -> Path:
    """The first 100 sample conversations: these tests are about registering versions, not quality."""
    path = tmp_path / "small.jsonl"
    path.write_text("".join(SAMPLE_DATA.read_text(encoding="utf-8").splitlines(keepends=True)[:100]))
    return path


def test_train_model_registers_the_new_version_and_makes_it_active(tmp_path, settings, small_data, capsys):
    settings.CHATBOT_MODEL_DIR = tmp_path / "models"
    old = ModelVersion.objects.create(name="20250101-000000-tiny", path=str(tmp_path / "old"), is_active=True)
    call_command("train_model", "--data", str(small_data), *QUICK_TRAINING)

    [version_dir] = list(settings.CHATBOT_MODEL_DIR.iterdir())
    new = ModelVersion.objects.get(is_active=True)
    assert (new.name, new.path) == (version_dir.name, str(version_dir.resolve()))
    assert new.metrics["epochs"] == 1
    old.refresh_from_db()
    assert old.is_active is False
    assert f"Model version {new.name} active" in capsys.readouterr().out


def test_train_model_can_register_without_serving(tmp_path, settings, small_data):
    settings.CHATBOT_MODEL_DIR = tmp_path / "models"
    call_command("train_model", "--data", str(small_data), "--no-activate", *QUICK_TRAINING)
    assert ModelVersion.objects.get().is_active is False


def test_ensure_demo_model_trains_only_when_no_model_exists(
    tmp_path, settings, tiny_model_root, small_data, monkeypatch, capsys
):
    settings.CHATBOT_MODEL_DIR = tmp_path / "models"
    shutil.copytree(tiny_model_root, settings.CHATBOT_MODEL_DIR)
    call_command("ensure_demo_model")
    assert "nothing to train" in capsys.readouterr().out
    assert not ModelVersion.objects.exists()

    shutil.rmtree(settings.CHATBOT_MODEL_DIR)
    monkeypatch.setattr(ensure_demo_model, "SAMPLE_DATA", small_data)
    call_command("ensure_demo_model", *QUICK_TRAINING)
    version = ModelVersion.objects.get(is_active=True)
    assert version.name.endswith("-tiny")
    assert "trained and active" in capsys.readouterr().out


def test_evaluate_model_scores_the_served_model_and_keeps_the_report(
    tiny_model_root, settings, small_data, capsys
):
    settings.CHATBOT_MODEL_DIR = tiny_model_root
    [version_dir] = [path for path in tiny_model_root.iterdir() if path.is_dir()]
    version = ModelVersion.objects.create(name=version_dir.name, path=str(version_dir), is_active=True)
    call_command("evaluate_model", "--data", str(small_data), "--limit", "4", "--latency-samples", "1")
    version.refresh_from_db()
    report = version.metrics["evaluation"]
    assert (report["model_version"], report["dev_examples"]) == (version.name, 4)
    assert "model" in report["systems"]
    assert f"Report saved with model version {version.name}" in capsys.readouterr().out
