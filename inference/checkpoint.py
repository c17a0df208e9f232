"""Saving and loading models: the config travels inside the file, so a checkpoint alone rebuilds its model.

A checkpoint is a `torch.save`d dict of plain values (nanoGPT `ckpt.pt`, nanochat `checkpoint_manager`):
    format_version  int, FORMAT_VERSION when written by this code
    config          ModelConfig.to_dict(), including the tokenizer checksum and the intent labels
    model           the state_dict
    extra           JSON-like values chosen by the caller (data hash, metrics, ...)
    training        optional: optimizer and scheduler state, step, best_dev_loss, the weight average's
                    state (resumable training)
Files load with `weights_only=True`: a checkpoint cannot run code. Writes go to a temporary file first and
are renamed into place, so a crash never leaves a half-written checkpoint under the real name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from inference.config import ModelConfig
from inference.generate import default_device
from inference.model import Seq2SeqTransformer

FORMAT_VERSION = 1
# Prefixes that wrappers add to parameter names: torch.compile (`_orig_mod.`) and DistributedDataParallel.
_WRAPPER_PREFIXES = ("_orig_mod.", "module.")


class TokenizerMismatchError(ValueError):
    """The checkpoint's vocabulary belongs to a different tokenizer model than the one in use."""


@dataclass
class Checkpoint:
    config: ModelConfig
    state_dict: dict[str, torch.Tensor]
    extra: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] | None = None
    format_version: int = FORMAT_VERSION


@dataclass
class TrainingState:
    step: int
    best_dev_loss: float | None
    extra: dict[str, Any]


def save_checkpoint(
    path: str | Path, model: Seq2SeqTransformer, *, extra: dict[str, Any] | None = None
) -> None:
    """Weights + config (+ extra) for inference; written atomically."""
    _write(path, _payload(model, extra))


def save_training_state(
    path: str | Path,
    model: Seq2SeqTransformer,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    *,
    step: int,
    best_dev_loss: float | None,
    extra: dict[str, Any] | None = None,
    averaged: torch.optim.swa_utils.AveragedModel | None = None,
) -> None:
    """A checkpoint that also resumes training: optimizer/scheduler state, step, best dev loss and the
    moving average of the weights when training keeps one."""
    payload = _payload(model, extra)
    payload["training"] = {
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "step": step,
        "best_dev_loss": best_dev_loss,
        "averaged": averaged.state_dict() if averaged is not None else None,
    }
    _write(path, payload)


def load_checkpoint(path: str | Path, *, map_location: str | torch.device | None = "cpu") -> Checkpoint:
    """The checkpoint's contents, upgraded to the current format; builds no model."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        raw = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # pickle errors, truncated files, objects weights_only refuses
        raise ValueError(f"{path} is not a readable checkpoint: {error}") from error
    try:
        upgraded = upgrade_checkpoint(raw)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error
    return Checkpoint(
        config=ModelConfig.from_dict(upgraded["config"]),
        state_dict=upgraded["model"],
        extra=upgraded.get("extra") or {},
        training=upgraded.get("training"),
        format_version=upgraded["format_version"],
    )


def load_model(
    path: str | Path,
    *,
    expected_tokenizer_sha256: str | None = None,
    device: str | torch.device | None = None,
) -> Seq2SeqTransformer:
    """Rebuild the model from the checkpoint alone, in eval mode, on `device` (default: CUDA if available).

    Refuses (TokenizerMismatchError) a checkpoint whose vocabulary belongs to another tokenizer model.
    """
    checkpoint = load_checkpoint(path)
    check_tokenizer(checkpoint.config, expected_tokenizer_sha256, source=str(path))
    model = Seq2SeqTransformer(checkpoint.config)
    _load_weights(model, checkpoint, source=str(path))
    return model.to(device if device is not None else default_device()).eval()


def load_training_state(
    path: str | Path,
    model: Seq2SeqTransformer,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    averaged: torch.optim.swa_utils.AveragedModel | None = None,
) -> TrainingState:
    """Restore weights (and optimizer/scheduler state, weight average) in place into objects built like the
    saved ones."""
    checkpoint = load_checkpoint(path)
    if checkpoint.training is None:
        raise ValueError(f"{path} holds model weights only, no training state to resume from")
    if checkpoint.config != model.config:
        raise ValueError(f"{path} was saved from a differently configured model; cannot resume into this one")
    _load_weights(model, checkpoint, source=str(path))
    training = checkpoint.training
    if optimizer is not None:
        optimizer.load_state_dict(training["optimizer"])
    if scheduler is not None:
        if training["scheduler"] is None:
            raise ValueError(f"{path} was saved without a scheduler state")
        scheduler.load_state_dict(training["scheduler"])
    if averaged is not None:
        if training.get("averaged") is None:
            raise ValueError(f"{path} was saved without a weight average (trained without --ema-decay)")
        averaged.load_state_dict(training["averaged"])
    return TrainingState(
        step=training["step"], best_dev_loss=training["best_dev_loss"], extra=checkpoint.extra
    )


def check_tokenizer(
    config: ModelConfig, expected_sha256: str | None, *, source: str = "the checkpoint"
) -> None:
    if expected_sha256 is not None and config.tokenizer_sha256 != expected_sha256:
        raise TokenizerMismatchError(
            f"{source} was trained with tokenizer {config.tokenizer_sha256[:12] or '(none recorded)'}, "
            f"but the tokenizer in use is {expected_sha256[:12]}: its token ids would mean different pieces"
        )


def upgrade_checkpoint(raw: Any) -> dict[str, Any]:
    """Bring a loaded checkpoint dict to FORMAT_VERSION. Every fix for an older or foreign layout lives here,
    so loaders only ever see the current one."""
    if not isinstance(raw, dict):
        raise ValueError(f"expected a checkpoint dict, found {type(raw).__name__}")
    if raw and all(isinstance(value, torch.Tensor) for value in raw.values()):
        raise ValueError("this is a bare state_dict without its config; the model cannot be rebuilt from it")
    if "format_version" not in raw:
        raise ValueError("no format_version: not a checkpoint written by inference.checkpoint")
    version = raw["format_version"]
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(f"checkpoint format {version!r} is newer than this code reads ({FORMAT_VERSION})")
    for key in ("config", "model"):
        if key not in raw:
            raise ValueError(f"the checkpoint has no {key!r} entry")
    upgraded = dict(raw)
    # Weights saved from a compiled or DDP-wrapped model carry the wrapper's prefix in every name.
    upgraded["model"] = {_strip_wrapper_prefixes(name): tensor for name, tensor in raw["model"].items()}
    upgraded["format_version"] = FORMAT_VERSION
    return upgraded


def _strip_wrapper_prefixes(name: str) -> str:
    stripped = True
    while stripped:
        stripped = False
        for prefix in _WRAPPER_PREFIXES:
            if name.startswith(prefix):
                name, stripped = name[len(prefix) :], True
    return name


def _payload(model: Seq2SeqTransformer, extra: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "config": model.config.to_dict(),
        "model": {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()},
        "extra": dict(extra or {}),
    }


def _write(path: str | Path, payload: dict[str, Any]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    try:
        torch.save(payload, temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _load_weights(model: Seq2SeqTransformer, checkpoint: Checkpoint, *, source: str) -> None:
    try:
        model.load_state_dict(checkpoint.state_dict)
    except RuntimeError as error:
        raise ValueError(f"{source}: the weights do not fit the saved config: {error}") from error
