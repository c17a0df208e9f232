"""A tiny training run produces a complete, loadable version directory, and training resumes from it."""

import json

import pytest
import torch

from inference import versions
from inference.checkpoint import load_checkpoint
from inference.serving import ReplyEngine, Turn
from inference.tokenizer import Tokenizer
from inference.train import TrainConfig, learning_rate_at, main, parse_args, uses_bf16
from tests.inference.factories import train_tiny, write_shop_jsonl


def test_training_writes_a_complete_version_directory(shop_model):
    _, root, version_dir = shop_model
    assert versions.latest_version(root) == version_dir
    for name in ("model.pt", "tokenizer.model", "metrics.json", "train_log.json", "loss.png", "data.json"):
        assert (version_dir / name).is_file(), name
    data = json.loads((version_dir / "data.json").read_text())
    assert data["train_examples"] == 18 and data["intents"] == ["get_refund", "greeting", "track_order"]
    assert len(data["sha256"]) == 64


def test_the_model_learns_the_replies_and_intents(shop_model):
    _, _, version_dir = shop_model
    log = json.loads((version_dir / "train_log.json").read_text())
    losses = [step["loss"] for step in log["steps"]]
    assert losses[-1] < losses[0] / 5
    engine = ReplyEngine.load(version_dir, device="cpu")
    reply = engine.reply([Turn("customer", "refund please")])
    assert reply.intent == "get_refund"
    assert reply.raw_text.startswith("I have started your refund.")


def test_the_checkpoint_carries_the_tokenizer_checksum(shop_model):
    _, _, version_dir = shop_model
    checkpoint = load_checkpoint(version_dir / "model.pt")
    engine = ReplyEngine.load(version_dir, device="cpu")
    assert checkpoint.config.tokenizer_sha256 == engine.tokenizer.sha256
    assert checkpoint.config.vocab_size == engine.tokenizer.vocab_size


def test_training_resumes_from_a_version_with_its_step_count_and_tokenizer(shop_model):
    data, root, version_dir = shop_model
    resumed = train_tiny(data, root, epochs=42, resume=str(version_dir))
    assert resumed != version_dir
    metrics = json.loads((resumed / "metrics.json").read_text())
    first = json.loads((version_dir / "metrics.json").read_text())
    assert metrics["resumed_from"] == version_dir.name
    assert metrics["epochs"] == 42 and metrics["steps"] == first["steps"] + 2 * 3
    assert (resumed / "tokenizer.model").read_bytes() == (version_dir / "tokenizer.model").read_bytes()
    assert versions.latest_version(root) == resumed


def test_resuming_from_a_directory_without_training_state_fails_clearly(shop_model, tmp_path):
    data, root, _ = shop_model
    (tmp_path / "tokenizer.model").write_bytes(b"")
    with pytest.raises(ValueError, match="has no train_state.pt"):
        train_tiny(data, root, epochs=1, resume=str(tmp_path))


def test_the_command_line_builds_the_config_and_main_returns_the_version(tmp_path):
    data = write_shop_jsonl(tmp_path / "shop.jsonl")
    config = parse_args(
        ["--data", str(data), "--model-root", str(tmp_path), "--max-minutes", "2", "--seed", "7"]
    )
    assert (config.data, config.max_minutes, config.seed, config.preset) == ([str(data)], 2.0, 7, "small")
    assert config.vocab_size == TrainConfig.vocab_size
    assert parse_args(["--data", "d.jsonl", "--model-root", "m", "--vocab-size", "300"]).vocab_size == 300
    version_dir = main(
        [
            "--data",
            str(data),
            "--model-root",
            str(tmp_path / "m"),
            "--preset",
            "tiny",
            "--epochs",
            "1",
            "--no-progress",
            "--threads",
            "1",
            "--vocab-size",
            "400",
        ]
    )
    assert versions.is_complete(version_dir)
    tokenizer = Tokenizer.load(version_dir / versions.TOKENIZER_FILE)
    assert tokenizer.vocab_size <= 400
    assert load_checkpoint(version_dir / versions.MODEL_FILE).config.vocab_size == tokenizer.vocab_size


@pytest.mark.parametrize("flag", ["--epochs", "--batch-size", "--vocab-size", "--threads"])
def test_a_count_below_one_is_refused_on_the_command_line(flag, capsys):
    with pytest.raises(SystemExit):
        parse_args(["--data", "d.jsonl", "--model-root", "m", flag, "0"])

    assert f"argument {flag}: must be at least 1, got 0" in capsys.readouterr().err


def test_the_learning_rate_warms_up_then_decays_to_the_floor():
    config = TrainConfig(
        data=[], model_root="", learning_rate=1e-3, warmup_steps=10, min_learning_rate_ratio=0.1
    )
    assert learning_rate_at(config, step=0, progress=0.0) == pytest.approx(1e-4)
    assert learning_rate_at(config, step=10, progress=0.0) == pytest.approx(1e-3)
    assert learning_rate_at(config, step=50, progress=0.5) == pytest.approx(0.55e-3)
    assert learning_rate_at(config, step=99, progress=1.0) == pytest.approx(1e-4)


def test_the_demo_preset_brings_its_own_defaults_which_the_command_line_overrides():
    demo = parse_args(["--data", "d.jsonl", "--model-root", "m", "--preset", "demo"])
    assert (demo.epochs, demo.max_minutes, demo.batch_size) == (16, None, 16)
    faster = parse_args(["--data", "d.jsonl", "--model-root", "m", "--preset", "demo", "--max-minutes", "1"])
    assert faster.max_minutes == 1.0


def test_bf16_autocast_is_chosen_on_cuda_and_natively_capable_cpus_and_can_be_forced_either_way():
    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert uses_bf16("auto", cuda)
    assert uses_bf16("auto", cpu) == torch.ops.mkldnn._is_mkldnn_bf16_supported()
    assert not uses_bf16("fp32", cuda)
    assert uses_bf16("bf16", cpu)
    assert parse_args(["--data", "d.jsonl", "--model-root", "m", "--precision", "fp32"]).precision == "fp32"


def test_with_a_weight_average_the_saved_model_is_the_average_and_resume_continues_it(tmp_path):
    data = write_shop_jsonl(tmp_path / "shop.jsonl")
    root = tmp_path / "models"
    version_dir = train_tiny(data, root, epochs=3, ema_decay=0.5)
    saved = load_checkpoint(version_dir / "model.pt").state_dict
    state = torch.load(version_dir / "train_state.pt", weights_only=True)
    raw, averaged = state["model"], state["training"]["averaged"]
    name = next(key for key, tensor in raw.items() if tensor.dim() == 2)
    # The served weights are the average's, which trail the last raw weights.
    assert torch.equal(saved[name], averaged[f"module.{name}"])
    assert not torch.equal(saved[name], raw[name])
    assert int(averaged["n_averaged"]) == 3 * 3

    resumed = train_tiny(data, root, epochs=4, ema_decay=0.5, resume=str(version_dir))
    resumed_state = torch.load(resumed / "train_state.pt", weights_only=True)
    assert int(resumed_state["training"]["averaged"]["n_averaged"]) == 4 * 3
    with pytest.raises(ValueError, match="without a weight average"):
        train_tiny(data, root, epochs=5, ema_decay=0.5, resume=str(train_tiny(data, root, epochs=1)))


def test_an_ema_decay_outside_zero_to_one_is_refused(tmp_path):
    data = write_shop_jsonl(tmp_path / "shop.jsonl")
    with pytest.raises(ValueError, match="--ema-decay must be between 0 and 1"):
        train_tiny(data, tmp_path / "models", epochs=1, ema_decay=1.5)
