"""The decoder's one-token step for generation: the same arithmetic as `Seq2SeqTransformer.decode` with a KV
cache, in far fewer tensor operations.

Why it exists: at batch 1 a step of the `small` model is a few hundred small operations, and on CPU the fixed
cost of each (Python, nn.Module calls, dispatch, views) is as large as its arithmetic. This path works on 2-D
(B, C) activations, calls functional ops directly, fuses every residual add into its matmul (`addmm`), and
slices the cache once per step. Its matrices are contiguous (in, out) copies: for one activation row, CPU
BLAS multiplies by a transposed (out, in) matrix several times slower (about 8x for the 8000-way output
projection). `decoder_step_for` keeps one packed copy per model and repacks when a parameter changes.
On CPU the larger matrices are also kept in oneDNN's packed (blocked) layout and multiplied with its fused
linear kernels (`mkldnn._linear_pointwise`, what TorchInductor's CPU freezing uses), which also fuse the GELU
and the residual add: measured on a 2-core AMD EPYC, the 256 -> 8000 output projection takes 136 us instead
of 215 us for one row and 403 us instead of 1145 us for 16; the 256 -> 1024 projection with its GELU 66 us
instead of 119 us for 16 rows. For a few rows the small matrices stay with `addmm`, which is faster there.
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

# oneDNN's packed kernels win from this many rows on for matrices of at least _PACKED_MIN_WEIGHTS elements
# (256 x 768 and up), and from one row on for the output projection; measured as in the module docstring.
_PACKED_MIN_ROWS = 4
_PACKED_MIN_WEIGHTS = 256 * 768
_PACKED_ALWAYS_WEIGHTS = 1 << 20


def _onednn_packing_available(weight: Tensor) -> bool:
    return (
        weight.device.type == "cpu"
        and weight.dtype == torch.float32
        and torch.backends.mkldnn.is_available()
        and hasattr(torch.ops.mkldnn, "_reorder_linear_weight")
    )


class _Linear:
    """x @ W.T + b for one step's (B, in) activations, with the CPU kernel that is fastest for B rows."""

    def __init__(self, weight: Tensor, bias: Tensor | None) -> None:  # weight (out, in), as nn.Linear
        self.bias = bias
        self.weight_in_out = weight.t().contiguous()  # addmm with one row is slow on a transposed matrix
        self.packed, self.packed_from_rows = None, None
        if _onednn_packing_available(weight) and weight.numel() >= _PACKED_MIN_WEIGHTS:
            self.packed = torch.ops.mkldnn._reorder_linear_weight(weight, batch_size=16)
            self.packed_from_rows = 1 if weight.numel() >= _PACKED_ALWAYS_WEIGHTS else _PACKED_MIN_ROWS

    @classmethod
    def of(cls, module: nn.Linear) -> _Linear:
        return cls(module.weight.detach(), module.bias.detach())

    def _use_packed(self, x: Tensor) -> bool:
        return self.packed is not None and x.size(0) >= self.packed_from_rows

    def __call__(self, x: Tensor) -> Tensor:
        if self._use_packed(x):
            return torch.ops.mkldnn._linear_pointwise(x, self.packed, self.bias, "none", [], "")
        if self.bias is None:
            return x @ self.weight_in_out
        return torch.addmm(self.bias, x, self.weight_in_out)

    def gelu(self, x: Tensor) -> Tensor:
        """gelu(x @ W.T + b), fused where the kernel allows."""
        if self._use_packed(x):
            return torch.ops.mkldnn._linear_pointwise(x, self.packed, self.bias, "gelu", [], "none")
        return F.gelu(self(x))

    def add_to(self, residual: Tensor, x: Tensor) -> Tensor:
        """residual + x @ W.T + b, fused (the residual add rides on the matmul)."""
        if self._use_packed(x):
            return torch.ops.mkldnn._linear_pointwise.binary(x, residual, self.packed, self.bias, "add")
        return torch.addmm(residual, x, self.weight_in_out).add_(self.bias)


@dataclass(frozen=True)
class _LayerWeights:
    """One decoder layer's parameters."""

    self_norm: tuple[Tensor, Tensor]
    qkv: _Linear  # C -> 3C
    self_out: _Linear
    cross_norm: tuple[Tensor, Tensor]
    query: _Linear
    cross_out: _Linear
    feed_forward_norm: tuple[Tensor, Tensor]
    up: _Linear
    down: _Linear

    @classmethod
    def of(cls, layer: DecoderLayer) -> _LayerWeights:
        def norm(module: nn.LayerNorm) -> tuple[Tensor, Tensor]:
            return module.weight.detach(), module.bias.detach()

        return cls(
            self_norm=norm(layer.self_attention_norm),
            qkv=_Linear.of(layer.self_attention.qkv),
            self_out=_Linear.of(layer.self_attention.proj),
            cross_norm=norm(layer.cross_attention_norm),
            query=_Linear.of(layer.cross_attention.query),
            cross_out=_Linear.of(layer.cross_attention.proj),
            feed_forward_norm=norm(layer.feed_forward_norm),
            up=_Linear.of(layer.feed_forward.up),
            down=_Linear.of(layer.feed_forward.down),
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
        self.output_projection = _Linear(self.embedding, None)  # tied to the embedding
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
        if position == 0 and cache.start_bias is not None:
            x = x + cache.start_bias
        self_key_values = cache.self_key_values[:, :, :, :, : position + 1]  # (L, 2, B, H, position + 1, D)
        for index, layer in enumerate(self.layers):  # x: (B, C)
            h = F.layer_norm(x, (C,), *layer.self_norm, self.eps)
            qkv = layer.qkv(h).view(B, 3, H, 1, D)
            self_key_values[index, :, :, :, position:] = qkv[:, 1:].transpose(0, 1)  # write this step's k, v
            keys, values = self_key_values[index]  # each (B, H, position + 1, D)
            attended = F.scaled_dot_product_attention(qkv[:, 0], keys, values)  # (B, H, 1, D)
            x = layer.self_out.add_to(x, attended.reshape(B, C))

            h = F.layer_norm(x, (C,), *layer.cross_norm, self.eps)
            query = layer.query(h).view(B, H, 1, D)
            keys, values = cache.cross_key_values[index]  # each (B, H, S, D)
            attended = F.scaled_dot_product_attention(query, keys, values, attn_mask=cache.cross_mask)
            x = layer.cross_out.add_to(x, attended.reshape(B, C))

            h = F.layer_norm(x, (C,), *layer.feed_forward_norm, self.eps)
            x = layer.down.add_to(x, layer.up.gelu(h))
        cache.position += 1
        return self.output_projection(F.layer_norm(x, (C,), *self.final_norm, self.eps))  # (B, V)


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
