"""Examples -> token-id tensors, in length-bucketed batches.

Batches group examples of similar reply length so a batch carries little padding: on a CPU the cost of a
step is the padded size, and the replies range from a dozen to a few hundred tokens.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from inference.config import ModelConfig
from inference.data import Example
from inference.tokenizer import Tokenizer


@dataclass(frozen=True)
class EncodedExample:
    source: list[int]  # rendered conversation
    target: list[int]  # reply pieces, without BOS/EOS, at most max_target_len - 1
    intent: int  # index into the model's intents; -100 when the label is not one of them


@dataclass(frozen=True)
class Batch:
    tensors: tuple[Tensor, Tensor, Tensor, Tensor]  # src (B,S), tgt_in (B,T), tgt_out (B,T), intents (B,)


def tensorize(
    examples: Sequence[Example],
    *,
    tokenizer: Tokenizer,
    config: ModelConfig,
    intents: Sequence[str],
    max_turns: int,
) -> list[EncodedExample]:
    index = {intent: position for position, intent in enumerate(intents)}
    return [
        EncodedExample(
            source=tokenizer.render_conversation(
                example.context, max_len=config.max_source_len, max_turns=max_turns
            ),
            target=tokenizer.encode(example.response)[: config.max_target_len - 1],
            intent=index.get(example.intent, -100),
        )
        for example in examples
    ]


def make_batches(
    items: Sequence[EncodedExample],
    *,
    batch_size: int,
    shuffle: bool,
    rng: random.Random | None = None,
    pad_id: int = 0,
    bos_id: int = 2,
    eos_id: int = 3,
) -> list[Batch]:
    """Sort by reply length (with a little noise when shuffling, so batches differ between epochs),
    cut into batches, then shuffle the order of the batches."""
    rng = rng or random.Random(0)
    if shuffle:
        order = sorted(range(len(items)), key=lambda i: len(items[i].target) + rng.uniform(0, 8))
    else:
        order = sorted(range(len(items)), key=lambda i: len(items[i].target))
    groups = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    if shuffle:
        rng.shuffle(groups)
    return [
        _collate([items[i] for i in group], pad_id=pad_id, bos_id=bos_id, eos_id=eos_id) for group in groups
    ]


def _collate(items: list[EncodedExample], *, pad_id: int, bos_id: int, eos_id: int) -> Batch:
    source_len = max(len(item.source) for item in items)
    target_len = max(len(item.target) for item in items) + 1
    src = torch.full((len(items), source_len), pad_id, dtype=torch.long)
    tgt_in = torch.full((len(items), target_len), pad_id, dtype=torch.long)
    tgt_out = torch.full((len(items), target_len), pad_id, dtype=torch.long)
    for row, item in enumerate(items):
        src[row, : len(item.source)] = torch.tensor(item.source)
        tgt_in[row, : len(item.target) + 1] = torch.tensor([bos_id, *item.target])
        tgt_out[row, : len(item.target) + 1] = torch.tensor([*item.target, eos_id])
    intents = torch.tensor([item.intent for item in items], dtype=torch.long)
    return Batch(tensors=(src, tgt_in, tgt_out, intents))
