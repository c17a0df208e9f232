"""Train a reply model: `python -m inference.train --data PATH --preset small --model-root DIR`.

A flat script in the nanoGPT manner: argparse -> TrainConfig -> data and tokenizer -> model -> AdamW with
warmup and cosine decay -> epochs of length-bucketed batches -> dev loss each epoch -> the best weights by
dev loss, a JSON log and a loss plot in a new version directory, whose completeness marker is written last.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm

from inference import versions
from inference.batches import Batch, make_batches, tensorize
from inference.checkpoint import load_training_state, save_checkpoint, save_training_state
from inference.config import ModelConfig
from inference.data import Example, file_sha256, load_split
from inference.model import Seq2SeqTransformer
from inference.tokenizer import Tokenizer, find_placeholders, train_tokenizer


@dataclass(frozen=True)
class TrainPreset:
    """A named training recipe beyond the model presets: a model preset with shape overrides, plus
    training defaults that the command line can still override."""

    model_preset: str
    model_overrides: dict
    defaults: dict


TRAIN_PRESETS: dict[str, TrainPreset] = {
    # The demo: trains on the shop sample data (about 500 short replies) in about two and a half minutes on
    # two idle CPU cores. A fixed number of epochs, not a wall-clock budget: on a busy machine a budget cut
    # the run short and served a model that only repeated one character; slower is better than that.
    "demo": TrainPreset(
        model_preset="small",
        model_overrides=dict(d_model=192, n_heads=4, d_ff=768, n_encoder_layers=2, n_decoder_layers=2),
        defaults=dict(epochs=16, batch_size=16, learning_rate=2e-3, warmup_steps=50),
    ),
}


@dataclass
class TrainConfig:
    data: list[str]
    model_root: str
    preset: str = "small"
    epochs: int = 30
    max_minutes: float | None = None  # wall-clock budget; the schedule decays to fit it
    batch_size: int = 32
    learning_rate: float = 1e-3
    min_learning_rate_ratio: float = 0.05
    warmup_steps: int = 200
    weight_decay: float = 0.01
    label_smoothing: float = 0.1
    intent_loss_weight: float = 0.5
    grad_clip: float = 1.0
    dropout: float | None = None  # None keeps the preset's
    ema_decay: float = 0.0  # > 0: dev loss, checkpoints and the served model use an EMA of the weights
    intent_conditioning: bool = False  # the decoder's first input carries the intent (ModelConfig)
    dev_fraction: float = 0.1
    # 4,000 pieces beat 8,000 on Bitext (docs/model.md, session 7): the output projection costs half, the
    # replies grow 9 % in tokens, and the run learns more per minute. Small corpora fill fewer anyway.
    vocab_size: int = 4000
    max_target_len_cap: int = 320  # replies longer than this many tokens are cut (none in our data)
    max_turns: int = 6
    seed: int = 1337
    resume: str | None = None
    device: str | None = None
    threads: int | None = None
    precision: str = "auto"  # auto | fp32 | bf16
    progress: bool = True
    model_overrides: dict = field(default_factory=dict)


def positive_int(text: str) -> int:
    """argparse type: a count that must be at least 1 (epochs, batch size, pieces, threads)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(argv: Sequence[str] | None) -> TrainConfig:
    parser = argparse.ArgumentParser(prog="python -m inference.train", description=__doc__)
    parser.add_argument("--data", action="append", required=True, help="a .csv (Bitext) or .jsonl file")
    parser.add_argument("--model-root", required=True, help="directory of versioned models")
    parser.add_argument("--preset", default="small", help="tiny | small | base | demo")
    parser.add_argument("--epochs", type=positive_int, help=f"default {TrainConfig.epochs}")
    parser.add_argument("--max-minutes", type=float, help="wall-clock budget for this invocation")
    parser.add_argument("--batch-size", type=positive_int, help=f"default {TrainConfig.batch_size}")
    parser.add_argument("--learning-rate", type=float, help=f"peak, default {TrainConfig.learning_rate}")
    parser.add_argument("--warmup-steps", type=int, help=f"default {TrainConfig.warmup_steps}")
    parser.add_argument("--label-smoothing", type=float, help=f"default {TrainConfig.label_smoothing}")
    parser.add_argument("--dropout", type=float, help="default: the preset's")
    parser.add_argument(
        "--vocab-size",
        type=positive_int,
        help=f"upper bound on the tokenizer's pieces, default {TrainConfig.vocab_size}; fewer pieces make "
        "each output step cheaper and the replies a little longer in tokens",
    )
    parser.add_argument(
        "--ema-decay",
        type=float,
        help="keep an exponential moving average of the weights with this decay (e.g. 0.998) and "
        "evaluate and save it instead of the raw weights; default off",
    )
    parser.add_argument(
        "--intent-conditioning",
        action=argparse.BooleanOptionalAction,
        help="feed the intent to the decoder (gold in training, the intent head's choice when answering) "
        "so the reply follows the predicted intent; default "
        + ("on" if TrainConfig.intent_conditioning else "off"),
    )
    parser.add_argument("--resume", help="a version directory to continue from")
    parser.add_argument("--seed", type=int, help=f"default {TrainConfig.seed}")
    parser.add_argument("--device", help="cpu | cuda (default: cuda when available)")
    parser.add_argument("--threads", type=positive_int, help="torch CPU threads")
    parser.add_argument(
        "--precision",
        choices=["auto", "fp32", "bf16"],
        help="bf16 autocast (fp32 weights and optimizer); auto: bf16 on CUDA and on CPUs with native bf16",
    )
    parser.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    args = vars(parser.parse_args(argv))
    progress = not args.pop("no_progress")
    given = {name: value for name, value in args.items() if value is not None}
    preset = TRAIN_PRESETS.get(given["preset"])
    defaults = preset.defaults if preset else {}
    return TrainConfig(**{**defaults, **given, "progress": progress})


def model_config_for(config: TrainConfig, *, tokenizer: Tokenizer, intents: list[str], max_target: int):
    preset = TRAIN_PRESETS.get(config.preset)
    base = preset.model_preset if preset else config.preset
    overrides = {**(preset.model_overrides if preset else {}), **config.model_overrides}
    if config.dropout is not None:
        overrides["dropout"] = config.dropout
    return ModelConfig.preset(
        base,
        **overrides,
        vocab_size=tokenizer.vocab_size,
        intents=tuple(intents),
        tokenizer_sha256=tokenizer.sha256,
        max_target_len=max_target,
        intent_conditioned=config.intent_conditioning,
    )


def uses_bf16(precision: str, device: torch.device) -> bool:
    """Whether to train under bf16 autocast.

    On a CPU with native bf16 instructions (AVX512-BF16, AMX) a small model's step is about 1.5x faster
    (docs/model.md), which in a fixed time budget means more epochs; elsewhere bf16 would be emulated.
    """
    if precision != "auto":
        return precision == "bf16"
    if device.type == "cuda":
        return True
    return (
        device.type == "cpu"
        and torch.backends.mkldnn.is_available()
        and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    )


def learning_rate_at(config: TrainConfig, *, step: int, progress: float) -> float:
    """Linear warmup, then cosine decay to `min_learning_rate_ratio` over `progress` in [0, 1]."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    floor = config.learning_rate * config.min_learning_rate_ratio
    return floor + (config.learning_rate - floor) * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


@torch.no_grad()
def evaluate_dev(model: Seq2SeqTransformer, batches: list[Batch], device: torch.device) -> dict:
    """Unsmoothed per-token loss and intent accuracy on the dev batches."""
    model.eval()
    total_loss, tokens, correct, examples = 0.0, 0, 0, 0
    for batch in batches:
        src, tgt_in, tgt_out, intents = (tensor.to(device) for tensor in batch.tensors)
        logits, intent_logits, _ = model(src, tgt_in)
        total_loss += torch.nn.functional.cross_entropy(
            logits.float().flatten(0, 1), tgt_out.flatten(), ignore_index=model.config.pad_id, reduction="sum"
        ).item()
        tokens += int(tgt_out.ne(model.config.pad_id).sum())
        correct += int(intent_logits.argmax(-1).eq(intents).sum())
        examples += intents.numel()
    model.train()
    return {"dev_loss": total_loss / max(tokens, 1), "dev_intent_accuracy": correct / max(examples, 1)}


def load_data(config: TrainConfig) -> tuple[list[Example], list[Example]]:
    train, dev = load_split(config.data, dev_fraction=config.dev_fraction)
    if not train:
        raise ValueError("no training examples")
    return train, dev


def prepare_tokenizer(config: TrainConfig, train: list[Example], version_dir: Path) -> Tokenizer:
    model_path = version_dir / versions.TOKENIZER_FILE
    if config.resume:  # the vocabulary must stay the one the weights were trained with
        model_path.write_bytes((Path(config.resume) / versions.TOKENIZER_FILE).read_bytes())
        return Tokenizer.load(model_path)
    texts = [turn.text for example in train for turn in example.context] + [e.response for e in train]
    return train_tokenizer(
        texts=texts,
        placeholders=find_placeholders(example.response for example in train),
        model_path=model_path,
        vocab_size=config.vocab_size,
    )


def train(config: TrainConfig) -> Path:
    """Run one training and return the complete version directory."""
    started = time.monotonic()
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)
    device = torch.device(config.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if config.resume:
        for name in (versions.TRAIN_STATE_FILE, versions.TOKENIZER_FILE):
            if not (Path(config.resume) / name).is_file():
                raise ValueError(f"cannot resume from {config.resume}: it has no {name}")
    train_examples, dev_examples = load_data(config)
    version_dir = versions.create_version_dir(config.model_root, config.preset)
    tokenizer = prepare_tokenizer(config, train_examples, version_dir)
    model_config, train_items, dev_batches = _encode(config, tokenizer, train_examples, dev_examples)
    token_ids = dict(pad_id=model_config.pad_id, bos_id=model_config.bos_id, eos_id=model_config.eos_id)

    model = Seq2SeqTransformer(model_config).to(device)
    optimizer = _make_optimizer(model, config, device)
    averaged = _make_weight_average(model, config)
    state = {"step": 0, "epoch": 0, "elapsed": 0.0, "best_dev_loss": math.inf, "log": [], "step_log": []}
    if config.resume:
        state = _restore(config.resume, model=model, optimizer=optimizer, averaged=averaged)
    budget = config.max_minutes * 60 if config.max_minutes else None
    steps_per_epoch = math.ceil(len(train_items) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=uses_bf16(config.precision, device))
    elapsed_before = state["elapsed"]
    print(
        f"{len(train_items)} train / {len(dev_examples)} dev examples, {len(model_config.intents)} intents, "
        f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters, "
        f"max target {model_config.max_target_len}"
    )

    model.train()
    out_of_time = False
    last_state_save = time.monotonic()
    while state["epoch"] < config.epochs and not out_of_time:
        generator = random.Random(config.seed * 1000 + state["epoch"])
        batches = make_batches(
            train_items, batch_size=config.batch_size, shuffle=True, rng=generator, **token_ids
        )
        bar = tqdm(batches, desc=f"epoch {state['epoch'] + 1}", disable=not config.progress, leave=False)
        for batch in bar:
            # The budget is this invocation's; the cosine follows whichever runs out first, steps or time.
            run_seconds = time.monotonic() - started
            progress = max(state["step"] / total_steps, run_seconds / budget if budget else 0.0)
            lr = learning_rate_at(config, step=state["step"], progress=progress)
            loss = _train_step(
                model, optimizer, batch, config=config, lr=lr, device=device, autocast=autocast
            )
            if averaged is not None:
                averaged.update_parameters(model)
            state["step"] += 1
            state["step_log"].append({"step": state["step"], "loss": round(loss, 4), "lr": lr})
            bar.set_postfix(loss=f"{loss:.3f}", lr=f"{lr:.1e}")
            if budget and time.monotonic() - started > budget:
                out_of_time = True
                break
        state["epoch"] += 1
        state["elapsed"] = elapsed_before + time.monotonic() - started
        served = averaged.module if averaged is not None else model
        _end_of_epoch(served, dev_batches, device, state, version_dir, out_of_time)
        finished = out_of_time or state["epoch"] >= config.epochs
        # Resumable after a crash, without spending a tiny run's time on writing the optimizer state.
        if finished or time.monotonic() - last_state_save > 60:
            _save_train_state(version_dir, model, optimizer, state, averaged)
            last_state_save = time.monotonic()

    _finish(version_dir, config, state, train_examples, dev_examples, model_config)
    return version_dir


def _encode(config: TrainConfig, tokenizer: Tokenizer, train_examples, dev_examples):
    """The model config sized to the data, the encoded training examples and the dev batches."""
    intents = sorted({example.intent for example in train_examples})
    reply_lengths = [len(tokenizer.encode(example.response)) + 1 for example in train_examples]
    max_target = min(config.max_target_len_cap, _round_up(max(reply_lengths), 8))
    model_config = model_config_for(config, tokenizer=tokenizer, intents=intents, max_target=max_target)
    prepare = dict(tokenizer=tokenizer, config=model_config, intents=intents, max_turns=config.max_turns)
    token_ids = dict(pad_id=model_config.pad_id, bos_id=model_config.bos_id, eos_id=model_config.eos_id)
    train_items = tensorize(train_examples, **prepare)
    dev_items = tensorize([e for e in dev_examples if e.intent in set(intents)], **prepare)
    dev_batches = make_batches(dev_items, batch_size=config.batch_size, shuffle=False, **token_ids)
    return model_config, train_items, dev_batches


def _train_step(model, optimizer, batch: Batch, *, config: TrainConfig, lr: float, device, autocast) -> float:
    for group in optimizer.param_groups:
        group["lr"] = lr
    src, tgt_in, tgt_out, intent_ids = (tensor.to(device) for tensor in batch.tensors)
    with autocast:
        _, _, loss = model(
            src,
            tgt_in,
            tgt_out,
            intent_ids,
            label_smoothing=config.label_smoothing,
            intent_loss_weight=config.intent_loss_weight,
        )
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
    optimizer.step()
    return loss.item()


def _end_of_epoch(model, dev_batches, device, state, version_dir: Path, partial: bool) -> None:
    metrics = evaluate_dev(model, dev_batches, device) if dev_batches else {"dev_loss": None}
    train_losses = [entry["loss"] for entry in state["step_log"][-50:]]
    entry = {
        "epoch": state["epoch"],
        "step": state["step"],
        "train_loss": sum(train_losses) / len(train_losses),
        "seconds": round(state["elapsed"], 1),
        "partial_epoch": partial,
        **metrics,
    }
    state["log"].append(entry)
    print(json.dumps(entry), flush=True)
    dev_loss = metrics["dev_loss"]
    # Without dev data the newest weights are the best we know.
    if dev_loss is None or dev_loss < state["best_dev_loss"]:
        state["best_dev_loss"] = dev_loss if dev_loss is not None else state["best_dev_loss"]
        state["best_epoch"] = state["epoch"]
        save_checkpoint(version_dir / versions.MODEL_FILE, model, extra={"epoch": state["epoch"]})


def _make_optimizer(model: Seq2SeqTransformer, config: TrainConfig, device: torch.device):
    # No weight decay on biases, LayerNorm gains and embeddings (nanoGPT): only matrices are decayed.
    decayed = [p for name, p in model.named_parameters() if p.dim() >= 2 and "embedding" not in name]
    other = [p for name, p in model.named_parameters() if not (p.dim() >= 2 and "embedding" not in name)]
    groups = [
        {"params": decayed, "weight_decay": config.weight_decay},
        {"params": other, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=config.learning_rate, betas=(0.9, 0.98), fused=device.type == "cuda")


def _make_weight_average(model: Seq2SeqTransformer, config: TrainConfig):
    """An exponential moving average of the weights (Polyak averaging), or None when `ema_decay` is 0.
    On a few thousand examples the raw weights swing from batch to batch; their average generalises better.
    Buffers (the sinusoidal table) are constants, so only parameters are averaged."""
    if not config.ema_decay:
        return None
    if not 0 < config.ema_decay < 1:
        raise ValueError(f"--ema-decay must be between 0 and 1, got {config.ema_decay}")
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(config.ema_decay))


def _save_train_state(version_dir: Path, model, optimizer, state: dict, averaged) -> None:
    save_training_state(
        version_dir / versions.TRAIN_STATE_FILE,
        model,
        optimizer,
        step=state["step"],
        best_dev_loss=state["best_dev_loss"],
        extra=state,
        averaged=averaged,
    )


def _restore(resume_dir: str, *, model, optimizer, averaged) -> dict:
    """Weights, optimizer moments, weight average and the schedule position of the resumed run (its last
    epoch)."""
    path = Path(resume_dir) / versions.TRAIN_STATE_FILE
    try:
        restored = load_training_state(path, model, optimizer, averaged=averaged)
    except ValueError as error:
        raise ValueError(f"cannot resume from {resume_dir}: {error}") from error
    state = dict(restored.extra)
    state["resumed_from"] = Path(resume_dir).name
    return state


def _finish(version_dir: Path, config: TrainConfig, state: dict, train_examples, dev_examples, model_config):
    (version_dir / versions.TRAIN_LOG_FILE).write_text(
        json.dumps({"epochs": state["log"], "steps": state["step_log"]}, indent=1) + "\n", encoding="utf-8"
    )
    best = min(
        (e for e in state["log"] if e["dev_loss"] is not None), key=lambda e: e["dev_loss"], default=None
    )
    metrics = {
        "best_epoch": state.get("best_epoch"),
        "best_dev_loss": best and best["dev_loss"],
        "dev_intent_accuracy": best and best["dev_intent_accuracy"],
        "epochs": state["epoch"],
        "steps": state["step"],
        "train_seconds": round(state["elapsed"], 1),
        "resumed_from": state.get("resumed_from"),
        "model": model_config.to_dict(),
        "train_config": asdict(config),
    }
    _write_json(version_dir / versions.METRICS_FILE, metrics)
    _write_json(
        version_dir / versions.DATA_FILE,
        {
            "files": [Path(path).name for path in config.data],
            "sha256": file_sha256(config.data),
            "train_examples": len(train_examples),
            "dev_examples": len(dev_examples),
            "dev_fraction": config.dev_fraction,
            "intents": list(model_config.intents),
        },
    )
    _plot_losses(state, version_dir / versions.LOSS_PLOT_FILE)
    versions.mark_complete(version_dir)


def _plot_losses(state: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(7, 4))
    steps = state["step_log"]
    axes.plot(
        [s["step"] for s in steps],
        [s["loss"] for s in steps],
        lw=0.6,
        alpha=0.6,
        label="train (label-smoothed)",
    )
    dev = [e for e in state["log"] if e["dev_loss"] is not None]
    axes.plot([e["step"] for e in dev], [e["dev_loss"] for e in dev], "o-", label="dev (unsmoothed)")
    axes.set_xlabel("step")
    axes.set_ylabel("loss per token")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    pyplot.close(figure)


def _write_json(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def main(argv: Sequence[str] | None = None) -> Path:
    """Command-line entry point; also what the Django `train_model` command calls."""
    version_dir = train(parse_args(argv))
    print(f"model written to {version_dir}")
    return version_dir


if __name__ == "__main__":
    main(sys.argv[1:])
