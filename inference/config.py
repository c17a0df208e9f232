"""The model's shape, saved inside every checkpoint so a model can be rebuilt from the file alone."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

# Presets fix the architecture; vocabulary, intents and the tokenizer checksum come from the data
# (the training script passes them as overrides).
_PRESETS: dict[str, dict[str, Any]] = {
    # Unit tests: trains a copy task on CPU in seconds.
    "tiny": dict(
        vocab_size=64,
        d_model=48,
        n_heads=2,
        d_ff=96,
        n_encoder_layers=1,
        n_decoder_layers=1,
        max_source_len=64,
        max_target_len=64,
        dropout=0.0,
    ),
    # CPU default and the benchmark shape (docs/performance.md).
    "small": dict(
        vocab_size=8000,
        d_model=256,
        n_heads=4,
        d_ff=1024,
        n_encoder_layers=3,
        n_decoder_layers=3,
        max_source_len=256,
        max_target_len=192,
        dropout=0.1,
    ),
    # GPU training: the "base" Transformer of Vaswani et al.
    "base": dict(
        vocab_size=8000,
        d_model=512,
        n_heads=8,
        d_ff=2048,
        n_encoder_layers=6,
        n_decoder_layers=6,
        max_source_len=256,
        max_target_len=192,
        dropout=0.1,
    ),
}


@dataclass
class ModelConfig:
    vocab_size: int
    d_model: int
    n_heads: int
    d_ff: int
    n_encoder_layers: int
    n_decoder_layers: int
    max_source_len: int  # longest source the positional encoding covers
    max_target_len: int  # longest target, BOS included; bounds max_new_tokens + 1
    dropout: float
    intents: tuple[str, ...] = ("unknown",)  # intent labels; the intent head has len(intents) outputs
    tokenizer_sha256: str = ""  # checksum of the tokenizer model the vocabulary belongs to
    pad_id: int = 0
    bos_id: int = 2
    eos_id: int = 3
    # The decoder's first position also carries an embedding of the intent (the gold one in training, the
    # intent head's choice in generation), so the reply follows the predicted intent. Off in checkpoints
    # written before it existed.
    intent_conditioned: bool = False

    def __post_init__(self) -> None:
        self.intents = tuple(self.intents)
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model {self.d_model} is not divisible by n_heads {self.n_heads}")
        if not self.intents:
            raise ValueError("intents must name at least one label")
        if len(set(self.intents)) != len(self.intents):
            raise ValueError(f"intents contain duplicates: {self.intents}")
        for name in ("pad_id", "bos_id", "eos_id"):
            token_id = getattr(self, name)
            if not 0 <= token_id < self.vocab_size:
                raise ValueError(f"{name} {token_id} is outside the vocabulary of {self.vocab_size}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> ModelConfig:
        """A named shape ("tiny" | "small" | "base") with some fields replaced."""
        if name not in _PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {sorted(_PRESETS)}")
        return cls(**{**_PRESETS[name], **overrides})

    def replace(self, **changes: Any) -> ModelConfig:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible values (the intents tuple becomes a list)."""
        data = asdict(self)
        data["intents"] = list(self.intents)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown ModelConfig fields {unknown}; upgrade the checkpoint first")
        return cls(**data)
