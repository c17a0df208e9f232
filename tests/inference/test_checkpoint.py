"""Checkpoints rebuild the same model from the file alone and refuse what they cannot vouch for."""

import pytest
import torch

from inference.checkpoint import (
    FORMAT_VERSION,
    TokenizerMismatchError,
    load_checkpoint,
    load_model,
    load_training_state,
    save_checkpoint,
    save_training_state,
    upgrade_checkpoint,
)
from inference.config import ModelConfig
from inference.generate import GenerationSettings, generate
from inference.model import Seq2SeqTransformer

TOKENIZER_SHA = "a" * 64
SOURCES = [[5, 9, 12, 40], [7, 8]]
PAD, BOS, EOS = 0, 2, 3


def make_model(seed: int = 0, dropout: float = 0.0) -> Seq2SeqTransformer:
    torch.manual_seed(seed)
    config = ModelConfig.preset(
        "tiny", intents=("billing", "shipping"), tokenizer_sha256=TOKENIZER_SHA, dropout=dropout
    )
    return Seq2SeqTransformer(config).eval()


def make_batch() -> tuple[torch.Tensor, ...]:
    src = torch.tensor([[5, 9, 12, 40], [7, 8, PAD, PAD]])
    tgt_in = torch.tensor([[BOS, 11, 12], [BOS, 13, PAD]])
    tgt_out = torch.tensor([[11, 12, EOS], [13, EOS, PAD]])
    return src, tgt_in, tgt_out, torch.tensor([0, 1])


def train_steps(model, optimizer, scheduler, steps: int) -> None:
    model.train()
    for _ in range(steps):
        _, _, loss = model(*make_batch(), label_smoothing=0.1)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()


def make_optimizer(model):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 3))
    return optimizer, scheduler


def test_a_saved_model_loads_from_the_file_alone_and_generates_the_same(tmp_path):
    model = make_model()
    save_checkpoint(tmp_path / "model.pt", model, extra={"data_sha256": "b" * 64, "epochs": 3})
    loaded = load_model(tmp_path / "model.pt", expected_tokenizer_sha256=TOKENIZER_SHA, device="cpu")
    assert loaded.config == model.config
    assert not loaded.training
    settings = GenerationSettings(max_new_tokens=12)
    assert generate(loaded, SOURCES, settings) == generate(model, SOURCES, settings)
    assert load_checkpoint(tmp_path / "model.pt").extra == {"data_sha256": "b" * 64, "epochs": 3}
    assert [path.name for path in tmp_path.iterdir()] == ["model.pt"], "no temporary file left behind"


def test_a_checkpoint_of_another_tokenizer_is_refused(tmp_path):
    save_checkpoint(tmp_path / "model.pt", make_model())
    with pytest.raises(
        TokenizerMismatchError, match="trained with tokenizer aaaaaaaaaaaa.*in use is cccccccccccc"
    ):
        load_model(tmp_path / "model.pt", expected_tokenizer_sha256="c" * 64)


def test_training_resumes_exactly_where_it_stopped(tmp_path):
    model = make_model(dropout=0.0)
    optimizer, scheduler = make_optimizer(model)
    train_steps(model, optimizer, scheduler, 3)
    save_training_state(
        tmp_path / "state.pt", model, optimizer, scheduler, step=3, best_dev_loss=1.25, extra={"epoch": 1}
    )
    train_steps(model, optimizer, scheduler, 2)

    resumed = make_model(seed=99)
    resumed_optimizer, resumed_scheduler = make_optimizer(resumed)
    state = load_training_state(tmp_path / "state.pt", resumed, resumed_optimizer, resumed_scheduler)
    assert (state.step, state.best_dev_loss, state.extra) == (3, 1.25, {"epoch": 1})
    train_steps(resumed, resumed_optimizer, resumed_scheduler, 2)
    for (name, expected), actual in zip(
        model.state_dict().items(), resumed.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(actual, expected, msg=name)


def test_a_weights_only_checkpoint_cannot_resume_training(tmp_path):
    model = make_model()
    save_checkpoint(tmp_path / "model.pt", model)
    with pytest.raises(ValueError, match="no training state"):
        load_training_state(tmp_path / "model.pt", model)


def test_weights_saved_from_a_compiled_model_are_upgraded(tmp_path):
    model = make_model()
    raw = {
        "format_version": FORMAT_VERSION,
        "config": model.config.to_dict(),
        "model": {f"_orig_mod.{name}": tensor for name, tensor in model.state_dict().items()},
    }
    torch.save(raw, tmp_path / "compiled.pt")
    loaded = load_model(tmp_path / "compiled.pt", device="cpu")
    torch.testing.assert_close(loaded.state_dict(), model.state_dict())


def test_unreadable_or_foreign_files_get_a_clear_error(tmp_path):
    model = make_model()
    torch.save(model.state_dict(), tmp_path / "bare.pt")
    with pytest.raises(ValueError, match="bare state_dict without its config"):
        load_model(tmp_path / "bare.pt")
    (tmp_path / "garbage.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a readable checkpoint"):
        load_model(tmp_path / "garbage.pt")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="newer than this code reads"):
        upgrade_checkpoint({"format_version": FORMAT_VERSION + 1, "config": {}, "model": {}})
    with pytest.raises(ValueError, match="no format_version"):
        upgrade_checkpoint({"config": {}, "model": {}})


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path):
    model = make_model()
    raw = {
        "format_version": FORMAT_VERSION,
        "config": {**model.config.to_dict(), "d_ff": 128},
        "model": model.state_dict(),
    }
    torch.save(raw, tmp_path / "mismatch.pt")
    with pytest.raises(ValueError, match="do not fit the saved config"):
        load_model(tmp_path / "mismatch.pt")
