"""Encoder-decoder Transformer with an intent head: modules only.

The shape follows the annotated Transformer (encoder, decoder, shared embeddings); the conventions follow
nanoGPT (pre-LN residual blocks with a final LayerNorm, fused QKV projection, `scaled_dot_product_attention`,
tied output projection). Shapes in comments: B batch, S source length, T target length, C d_model,
H heads, D head size, V vocabulary, L decoder layers.

Masks: `src_key_padding_mask` / `tgt_key_padding_mask` are True at PADDING positions (the nn.Transformer
convention). The masks handed to `scaled_dot_product_attention` are either boolean, True where attention is
ALLOWED (the decoder's causal + padding mask), or additive, 0 where allowed and -inf at padding (key masks).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from inference.config import ModelConfig


@dataclass
class KVCache:
    """Decoder state for one batch of requests during incremental decoding.

    Self-attention keys/values live in preallocated tensors written in place at `position`, so a decoding
    step allocates no growing tensors; cross-attention keys/values are computed once from the encoder
    memory. Build one with `Seq2SeqTransformer.new_kv_cache`.
    """

    self_key_values: Tensor  # (L, 2, B, H, max_len, D): keys at [:, 0], values at [:, 1]
    cross_key_values: Tensor  # (L, 2, B, H, S, D)
    cross_mask: Tensor | None  # (B, 1, 1, S) additive: 0 or -inf at padding; None when nothing is padded
    start_bias: Tensor | None = None  # (B, C) added to the first position's input: the intent embedding
    position: int = 0  # number of target positions already written

    @property
    def batch_size(self) -> int:
        return self.self_key_values.size(2)

    @property
    def max_len(self) -> int:
        return self.self_key_values.size(4)

    def select_rows(self, rows: Tensor) -> None:
        """Keep (and reorder) batch rows: beam search reordering, dropping finished requests."""
        self.self_key_values = self.self_key_values.index_select(2, rows)
        self.cross_key_values = self.cross_key_values.index_select(2, rows)
        if self.cross_mask is not None:
            self.cross_mask = self.cross_mask.index_select(0, rows)
        if self.start_bias is not None:
            self.start_bias = self.start_bias.index_select(0, rows)


class SinusoidalPositionalEncoding(nn.Module):
    """Fixed sin/cos table (Vaswani et al. 3.5); a non-persistent buffer, rebuilt from the config."""

    def __init__(self, d_model: int, max_len: int) -> None:
        super().__init__()
        position = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)  # (max_len, 1)
        frequency = torch.exp(
            torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model)
        )
        table = torch.zeros(max_len, d_model)
        table[:, 0::2] = torch.sin(position * frequency)
        table[:, 1::2] = torch.cos(position * frequency)
        self.register_buffer("table", table, persistent=False)  # (max_len, C)

    def forward(self, start: int, length: int) -> Tensor:
        if start + length > self.table.size(0):
            raise ValueError(f"position {start + length} exceeds the maximum length {self.table.size(0)}")
        return self.table[start : start + length]  # (T, C)


class SelfAttention(nn.Module):
    """Multi-head self-attention with one fused QKV projection; optionally writes into a KV cache."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.n_heads = config.n_heads
        self.dropout = config.dropout
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.proj = nn.Linear(config.d_model, config.d_model)

    def forward(
        self,
        x: Tensor,  # (B, T, C)
        *,
        attn_mask: Tensor | None = None,  # broadcastable to (B, H, T, T_keys), True = attend
        is_causal: bool = False,
        cache: KVCache | None = None,
        layer: int = 0,
    ) -> Tensor:
        B, T, C = x.shape
        # One matmul for all heads and q, k, v; the view/permute splits them without copying.
        qkv = (
            self.qkv(x).view(B, T, 3, self.n_heads, C // self.n_heads).permute(2, 0, 3, 1, 4)
        )  # (3, B, H, T, D)
        q, k, v = qkv
        if cache is not None:  # append this step's keys/values in place, attend over everything so far
            end = cache.position + T
            cache.self_key_values[layer, :, :, :, cache.position : end] = qkv[1:]
            k, v = cache.self_key_values[layer, :, :, :, :end]  # each (B, H, end, D)
        y = F.scaled_dot_product_attention(  # (B, H, T, D)
            q,
            k,
            v,
            attn_mask=attn_mask,
            is_causal=is_causal,
            dropout_p=self.dropout if self.training else 0.0,
        )
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class CrossAttention(nn.Module):
    """Decoder-to-encoder attention; keys/values come from `project_memory`, once per request."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.n_heads = config.n_heads
        self.dropout = config.dropout
        self.query = nn.Linear(config.d_model, config.d_model)
        self.key_value = nn.Linear(config.d_model, 2 * config.d_model)
        self.proj = nn.Linear(config.d_model, config.d_model)

    def project_memory(self, memory: Tensor) -> Tensor:
        B, S, C = memory.shape
        return self.key_value(memory).view(B, S, 2, self.n_heads, C // self.n_heads).permute(2, 0, 3, 1, 4)
        # (2, B, H, S, D): keys, values

    def forward(self, x: Tensor, key_values: Tensor, attn_mask: Tensor | None) -> Tensor:
        B, T, C = x.shape
        keys, values = key_values  # each (B, H, S, D)
        q = self.query(x).view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)  # (B, H, T, D)
        y = F.scaled_dot_product_attention(
            q, keys, values, attn_mask=attn_mask, dropout_p=self.dropout if self.training else 0.0
        )
        return self.proj(y.transpose(1, 2).reshape(B, T, C))


class FeedForward(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.up = nn.Linear(config.d_model, config.d_ff)
        self.down = nn.Linear(config.d_ff, config.d_model)

    def forward(self, x: Tensor) -> Tensor:
        return self.down(F.gelu(self.up(x)))


class EncoderLayer(nn.Module):
    """Pre-LN: x + SelfAttn(LN(x)), then x + FFN(LN(x)); dropout on each residual branch."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.attention_norm = nn.LayerNorm(config.d_model)
        self.attention = SelfAttention(config)
        self.feed_forward_norm = nn.LayerNorm(config.d_model)
        self.feed_forward = FeedForward(config)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor, attn_mask: Tensor | None) -> Tensor:
        x = x + self.dropout(self.attention(self.attention_norm(x), attn_mask=attn_mask))
        return x + self.dropout(self.feed_forward(self.feed_forward_norm(x)))


class DecoderLayer(nn.Module):
    """Pre-LN: masked self-attention, cross-attention over the encoder memory, feed-forward."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.self_attention_norm = nn.LayerNorm(config.d_model)
        self.self_attention = SelfAttention(config)
        self.cross_attention_norm = nn.LayerNorm(config.d_model)
        self.cross_attention = CrossAttention(config)
        self.feed_forward_norm = nn.LayerNorm(config.d_model)
        self.feed_forward = FeedForward(config)
        self.dropout = nn.Dropout(config.dropout)

    def forward(
        self,
        x: Tensor,  # (B, T, C)
        *,
        self_mask: Tensor | None,
        is_causal: bool,
        cross_key_values: Tensor,  # (2, B, H, S, D)
        cross_mask: Tensor | None,
        cache: KVCache | None,
        layer: int,
    ) -> Tensor:
        attended = self.self_attention(
            self.self_attention_norm(x), attn_mask=self_mask, is_causal=is_causal, cache=cache, layer=layer
        )
        x = x + self.dropout(attended)
        x = x + self.dropout(self.cross_attention(self.cross_attention_norm(x), cross_key_values, cross_mask))
        return x + self.dropout(self.feed_forward(self.feed_forward_norm(x)))


class IntentHead(nn.Module):
    """A small classifier on the mean of the non-padding encoder states."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.hidden = nn.Linear(config.d_model, config.d_model)
        self.dropout = nn.Dropout(config.dropout)
        self.out = nn.Linear(config.d_model, len(config.intents))

    def forward(self, memory: Tensor, src_key_padding_mask: Tensor) -> Tensor:
        keep = (~src_key_padding_mask).unsqueeze(-1).to(memory.dtype)  # (B, S, 1)
        pooled = (memory * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)  # (B, C)
        return self.out(self.dropout(torch.tanh(self.hidden(pooled))))  # (B, n_intents)


def _key_mask(key_padding_mask: Tensor, dtype: torch.dtype) -> Tensor:
    """(B, S) True-at-padding -> (B, 1, 1, S) additive mask: 0 where attention is allowed, -inf at padding.
    Additive rather than boolean: SDPA would otherwise convert a boolean mask on every call."""
    mask = torch.zeros(key_padding_mask.shape, dtype=dtype, device=key_padding_mask.device)
    return mask.masked_fill_(key_padding_mask, float("-inf"))[:, None, None, :]


class Seq2SeqTransformer(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.token_embedding = nn.Embedding(config.vocab_size, config.d_model, padding_idx=config.pad_id)
        self.positional_encoding = SinusoidalPositionalEncoding(
            config.d_model, max(config.max_source_len, config.max_target_len)
        )
        self.embedding_dropout = nn.Dropout(config.dropout)
        self.encoder_layers = nn.ModuleList(EncoderLayer(config) for _ in range(config.n_encoder_layers))
        self.encoder_norm = nn.LayerNorm(config.d_model)
        self.decoder_layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.n_decoder_layers))
        self.decoder_norm = nn.LayerNorm(config.d_model)
        self.intent_head = IntentHead(config)
        # nn.Embedding's own N(0, 1) initialisation: the same unit scale as the scaled token vectors.
        self.intent_embedding = (
            nn.Embedding(len(config.intents), config.d_model) if config.intent_conditioned else None
        )
        self._init_weights()

    def _init_weights(self) -> None:
        # Xavier-uniform projections and zero biases, as in the annotated Transformer: with pre-LN blocks
        # every sublayer sees unit-variance input, so no depth-dependent rescaling is needed.
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
        # Embeddings get std 1/sqrt(C): after the sqrt(C) scaling the token vectors have unit variance, the
        # same scale as the positional encoding, and the tied output projection starts with O(1) logits.
        nn.init.normal_(self.token_embedding.weight, std=self.config.d_model**-0.5)
        with torch.no_grad():
            self.token_embedding.weight[self.config.pad_id].zero_()

    def _embed(self, ids: Tensor, start: int, start_bias: Tensor | None = None) -> Tensor:
        x = self.token_embedding(ids) * math.sqrt(self.config.d_model) + self.positional_encoding(
            start, ids.size(1)
        )  # (B, T, C)
        if start_bias is not None and start == 0:
            x = x + F.pad(start_bias[:, None, :], (0, 0, 0, ids.size(1) - 1))  # first position only
        return self.embedding_dropout(x)

    def encode(self, src_ids: Tensor) -> tuple[Tensor, Tensor]:
        """(B, S) source ids -> memory (B, S, C) and src_key_padding_mask (B, S), True at padding."""
        src_key_padding_mask = src_ids.eq(self.config.pad_id)
        # Without padding, no mask lets SDPA take its fastest path.
        x = self._embed(src_ids, 0)
        attn_mask = _key_mask(src_key_padding_mask, x.dtype) if src_key_padding_mask.any() else None
        for layer in self.encoder_layers:
            x = layer(x, attn_mask)
        return self.encoder_norm(x), src_key_padding_mask

    def classify_intent(self, memory: Tensor, src_key_padding_mask: Tensor) -> Tensor:
        return self.intent_head(memory, src_key_padding_mask)  # (B, n_intents)

    def decoder_start_bias(self, intent_ids: Tensor) -> Tensor | None:
        """(B,) intent indices -> (B, C) added to the decoder's first input; None for a model that does not
        condition its replies on the intent."""
        if self.intent_embedding is None:
            return None
        return self.intent_embedding(intent_ids)

    def _training_start_bias(self, intent_logits: Tensor, intent_ids: Tensor | None) -> Tensor | None:
        """The given intents where known (teacher forcing), else the head's choice, as in generation."""
        if self.intent_embedding is None:
            return None
        conditioning = intent_logits.argmax(dim=-1)
        if intent_ids is not None:
            conditioning = torch.where(intent_ids.ge(0), intent_ids, conditioning)
        return self.decoder_start_bias(conditioning)

    @torch.no_grad()
    def new_kv_cache(
        self, memory: Tensor, src_key_padding_mask: Tensor, *, max_len: int, start_bias: Tensor | None = None
    ) -> KVCache:
        """An empty decoder cache for `max_len` target positions, cross-attention keys/values filled in;
        `start_bias` is `decoder_start_bias` of the rows' intents."""
        if max_len > self.config.max_target_len:
            raise ValueError(f"max_len {max_len} exceeds max_target_len {self.config.max_target_len}")
        B, S, C = memory.shape
        H, D, L = self.config.n_heads, self.config.head_dim, len(self.decoder_layers)
        cross = [layer.cross_attention.project_memory(memory) for layer in self.decoder_layers]
        return KVCache(
            self_key_values=memory.new_zeros(L, 2, B, H, max_len, D),
            cross_key_values=torch.stack(cross),
            cross_mask=_key_mask(src_key_padding_mask, memory.dtype) if src_key_padding_mask.any() else None,
            start_bias=start_bias,
        )

    def decode(
        self,
        tgt_ids: Tensor,  # (B, T)
        memory: Tensor,  # (B, S, C)
        src_key_padding_mask: Tensor,  # (B, S)
        *,
        tgt_key_padding_mask: Tensor | None = None,  # (B, T), full decoding only
        start_bias: Tensor | None = None,  # (B, C) `decoder_start_bias`, full decoding only
        cache: KVCache | None = None,
    ) -> Tensor:
        """Logits (B, T, V) for target positions. With a cache, `tgt_ids` are the next tokens after
        `cache.position`; the cache (built from this memory) supplies the cross-attention keys/values and
        the start bias, and receives the new self-attention keys/values."""
        T = tgt_ids.size(1)
        if cache is None:
            start = 0
            cross_key_values = [layer.cross_attention.project_memory(memory) for layer in self.decoder_layers]
            cross_mask = _key_mask(src_key_padding_mask, memory.dtype)
        else:
            if tgt_key_padding_mask is not None or start_bias is not None:
                raise ValueError("cached decoding takes no padding mask or start bias (the cache holds it)")
            if cache.position + T > cache.max_len:
                raise ValueError(f"the KV cache holds {cache.max_len} positions; {cache.position + T} needed")
            start = cache.position
            cross_key_values, cross_mask = cache.cross_key_values, cache.cross_mask
            start_bias = cache.start_bias
        self_mask, is_causal = self._decoder_self_mask(T, start, tgt_key_padding_mask, tgt_ids.device)
        x = self._embed(tgt_ids, start, start_bias)
        for index, layer in enumerate(self.decoder_layers):
            x = layer(
                x,
                self_mask=self_mask,
                is_causal=is_causal,
                cross_key_values=cross_key_values[index],
                cross_mask=cross_mask,
                cache=cache,
                layer=index,
            )
        if cache is not None:
            cache.position += T
        # Tied output projection: the same matrix embeds tokens and scores them.
        return F.linear(self.decoder_norm(x), self.token_embedding.weight)  # (B, T, V)

    @staticmethod
    def _decoder_self_mask(
        T: int, start: int, tgt_key_padding_mask: Tensor | None, device: torch.device
    ) -> tuple[Tensor | None, bool]:
        """(attn_mask, is_causal) for decoder self-attention of T queries at positions start..start+T."""
        if tgt_key_padding_mask is None and start == 0:
            return None, T > 1  # SDPA's built-in causal mask
        if tgt_key_padding_mask is None and T == 1:
            return None, False  # one new query may see every cached key
        query_positions = torch.arange(start, start + T, device=device)
        key_positions = torch.arange(start + T, device=device)
        allowed = key_positions[None, :] <= query_positions[:, None]  # (T, start + T)
        if tgt_key_padding_mask is None:
            return allowed, False
        # Padding keys are hidden; each query still sees itself so no row is fully masked (NaN-free).
        diagonal = key_positions[None, :] == query_positions[:, None]
        allowed = allowed & (~tgt_key_padding_mask[:, None, None, :] | diagonal)  # (B, 1, T, T)
        return allowed, False

    def forward(
        self,
        src_ids: Tensor,  # (B, S)
        tgt_in_ids: Tensor,  # (B, T) BOS + target
        tgt_out_ids: Tensor | None = None,  # (B, T) target + EOS, padded with pad_id
        intent_ids: Tensor | None = None,  # (B,) intent index; -100 marks an unknown intent
        *,
        label_smoothing: float = 0.0,
        intent_loss_weight: float = 1.0,
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """(logits (B, T, V), intent_logits (B, n_intents), loss or None without targets).
        An intent-conditioned decoder gets the given intents (teacher forcing) and, for rows without one,
        the intent head's choice, as in generation."""
        memory, src_key_padding_mask = self.encode(src_ids)
        intent_logits = self.classify_intent(memory, src_key_padding_mask)
        logits = self.decode(
            tgt_in_ids,
            memory,
            src_key_padding_mask,
            tgt_key_padding_mask=tgt_in_ids.eq(self.config.pad_id),
            start_bias=self._training_start_bias(intent_logits, intent_ids),
        )
        loss = None
        if tgt_out_ids is not None:
            loss = F.cross_entropy(
                logits.reshape(-1, logits.size(-1)),
                tgt_out_ids.reshape(-1),
                ignore_index=self.config.pad_id,
                label_smoothing=label_smoothing,
            )
        if intent_ids is not None:
            intent_loss = intent_loss_weight * F.cross_entropy(intent_logits, intent_ids, ignore_index=-100)
            loss = intent_loss if loss is None else loss + intent_loss
        return logits, intent_logits, loss
