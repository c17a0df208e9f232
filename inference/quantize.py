"""Dynamic int8 quantization for CPU serving: smaller weights, faster matmuls, nearly the same output."""

from __future__ import annotations

import warnings

import torch
from torch import nn

from inference.model import Seq2SeqTransformer


def quantize_dynamic_int8(model: Seq2SeqTransformer) -> Seq2SeqTransformer:
    """A copy of `model` whose nn.Linear layers hold int8 weights; activations are quantized on the fly.

    CPU only. The tied output projection (a matmul with the embedding matrix) stays float32: it is shared
    with the embedding, and the vocabulary scores are where rounding would change the chosen token most.
    """
    if next(model.parameters()).device.type != "cpu":
        raise ValueError("dynamic int8 quantization runs on CPU; move the model to CPU first")
    with warnings.catch_warnings():
        # torch.ao.quantization announces its move to torchao; the eager dynamic path still works and
        # needs no extra dependency.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        quantized = torch.ao.quantization.quantize_dynamic(
            model, {nn.Linear}, dtype=torch.qint8, inplace=False
        )
    return quantized.eval()
