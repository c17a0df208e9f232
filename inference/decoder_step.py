"""The decoder's one-token step for generation: the same arithmetic as `Seq2SeqTransformer.decode` with a KV
cache, in far fewer tensor operations.

Why it exists: at batch 1 a step of the `small` model is a few hundred small operations, and on CPU the fixed
cost of each (Python, nn.Module calls, dispatch, views) is as large as its arithmetic. This path works on 2-D
(B, C) activations, calls functional ops directly, fuses every residual add into its matmul (`addmm`), and
slices the cache once per step. Its matrices are contiguous (in, out) copies: for one activation row, CPU
BLAS multiplies by a transposed (out, in) matrix several times slower (about 8x for the 8000-way output
projection). `decoder_step_for` keeps one packed copy per model and repacks when a parameter changes.
`tests/inference/test_model.py` holds it equal to `decode`.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from inference.model import DecoderLayer, KVCache, Seq2SeqTransformer


@dataclass(frozen=True)
class _LayerWeights:
    """One decoder layer's parameters; matrices as contiguous (in, out) copies for addmm."""

    self_norm: tuple[Tensor, Tensor]
    qkv: tuple[Tensor, Tensor]  # bias (3C,), weight (C, 3C)
    self_out: tuple[Tensor, Tensor]
    cross_norm: tuple[Tensor, Tensor]
    query: tuple[Tensor, Tensor]
    cross_out: tuple[Tensor, Tensor]
    feed_forward_norm: tuple[Tensor, Tensor]
    up: tuple[Tensor, Tensor]
    down: tuple[Tensor, Tensor]

    @classmethod
    def of(cls, layer: DecoderLayer) -> _LayerWeights:
        def linear(module: nn.Linear) -> tuple[Tensor, Tensor]:
            return module.bias.detach(), module.weight.detach().t().contiguous()

        def norm(module: nn.LayerNorm) -> tuple[Tensor, Tensor]:
            return module.weight.detach(), module.bias.detach()

        return cls(
            self_norm=norm(layer.self_attention_norm),
            qkv=linear(layer.self_attention.qkv),
            self_out=linear(layer.self_attention.proj),
            cross_norm=norm(layer.cross_attention_norm),
            query=linear(layer.cross_attention.query),
            cross_out=linear(layer.cross_attention.proj),
            feed_forward_norm=norm(layer.feed_forward_norm),
            up=linear(layer.feed_forward.up),
            down=linear(layer.feed_forward.down),
        )


class DecoderStep:
    """`step(token_ids, cache) -> logits`: decode one token per row, (B,) ids -> (B, V) logits."""

    def __init__(self, model: Seq2SeqTransformer) -> None:
        if not self.supports(model):
            raise ValueError(
                "DecoderStep needs plain nn.Linear layers (use model.decode for quantized models)"
            )
        config = model.config
        self.d_model, self.n_heads, self.head_dim = config.d_model, config.n_heads, config.head_dim
        self.embedding_scale = math.sqrt(config.d_model)
        self.embedding = model.token_embedding.weight.detach()
        self.output_projection = self.embedding.t().contiguous()  # (C, V): the tied projection
        self.positions = model.positional_encoding.table
        self.eps = model.decoder_norm.eps
        self.final_norm = (model.decoder_norm.weight.detach(), model.decoder_norm.bias.detach())
        self.layers = [_LayerWeights.of(layer) for layer in model.decoder_layers]

    @staticmethod
    def supports(model: Seq2SeqTransformer) -> bool:
        linears = [module for module in model.decoder_layers.modules() if "Linear" in type(module).__name__]
        return all(type(module) is nn.Linear for module in linears)

    def __call__(self, token_ids: Tensor, cache: KVCache) -> Tensor:
        B, C, H, D = token_ids.size(0), self.d_model, self.n_heads, self.head_dim
        position = cache.position
        if position >= cache.max_len:
            raise ValueError(f"the KV cache holds {cache.max_len} positions; {position + 1} needed")
        x = torch.add(
            self.positions[position], F.embedding(token_ids, self.embedding), alpha=self.embedding_scale
        )
        self_key_values = cache.self_key_values[:, :, :, :, : position + 1]  # (L, 2, B, H, position + 1, D)
        for index, layer in enumerate(self.layers):  # x: (B, C)
            h = F.layer_norm(x, (C,), *layer.self_norm, self.eps)
            qkv = torch.addmm(layer.qkv[0], h, layer.qkv[1]).view(B, 3, H, 1, D)
            self_key_values[index, :, :, :, position:] = qkv[:, 1:].transpose(0, 1)  # write this step's k, v
            keys, values = self_key_values[index]  # each (B, H, position + 1, D)
            attended = F.scaled_dot_product_attention(qkv[:, 0], keys, values)  # (B, H, 1, D)
            x = torch.addmm(x, attended.reshape(B, C), layer.self_out[1]).add_(layer.self_out[0])

            h = F.layer_norm(x, (C,), *layer.cross_norm, self.eps)
            query = torch.addmm(layer.query[0], h, layer.query[1]).view(B, H, 1, D)
            keys, values = cache.cross_key_values[index]  # each (B, H, S, D)
            attended = F.scaled_dot_product_attention(query, keys, values, attn_mask=cache.cross_mask)
            x = torch.addmm(x, attended.reshape(B, C), layer.cross_out[1]).add_(layer.cross_out[0])

            h = F.layer_norm(x, (C,), *layer.feed_forward_norm, self.eps)
            hidden = F.gelu(torch.addmm(layer.up[0], h, layer.up[1]))
            x = torch.addmm(x, hidden, layer.down[1]).add_(layer.down[0])
        cache.position += 1
        return F.layer_norm(x, (C,), *self.final_norm, self.eps) @ self.output_projection  # (B, V)


_PACKED: weakref.WeakKeyDictionary[Seq2SeqTransformer, tuple[tuple[tuple[int, int], ...], DecoderStep]]
_PACKED = weakref.WeakKeyDictionary()


def decoder_step_for(model: Seq2SeqTransformer) -> DecoderStep:
    """The packed step of `model`, built once and rebuilt only after its parameters changed (an optimizer
    step or load_state_dict bumps a tensor's version; `.to(device)` moves its storage)."""
    parameters = tuple((p.data_ptr(), p._version) for p in model.parameters())
    packed = _PACKED.get(model)
    if packed is None or packed[0] != parameters:
        packed = (parameters, DecoderStep(model))
        _PACKED[model] = packed
    return packed[1]
