"""`ReplyEngine`: the one thing the Django side calls to answer a conversation.

Load a version directory once (model, tokenizer, intents), then `reply(turns, slots=..., on_delta=...)`:
the conversation is rendered with role markers, decoded token by token, detokenised incrementally and its
placeholders filled as they stream, so `on_delta` never sees a raw `{{Placeholder}}`.

Confidence (in [0, 1]) is the geometric mean of two probabilities the model assigns itself:
    confidence = sqrt( exp(mean log-probability of the generated tokens) * intent probability )
The first factor is the per-token likelihood of the reply (1 when every token was certain), the second the
intent head's softmax probability of the predicted intent. An empty reply has confidence 0.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from inference import versions
from inference.checkpoint import load_model
from inference.consensus import consensus_index
from inference.data import ROLES, Turn
from inference.generate import GeneratedSequence, GenerationSettings, default_device, generate, stream
from inference.model import Seq2SeqTransformer
from inference.placeholders import StreamingFiller, extract_entities, normalise_slots
from inference.tokenizer import StreamDecoder, Tokenizer

__all__ = ["Reply", "ReplyEngine", "ServingSettings", "Turn", "reply_confidence"]


@dataclass(frozen=True)
class Reply:
    text: str  # what the customer sees: placeholders filled
    raw_text: str  # as generated, with {{placeholders}}
    intent: str
    intent_probability: float
    confidence: float  # in [0, 1]
    token_count: int
    first_token_seconds: float
    total_seconds: float
    model_version: str


@dataclass(frozen=True)
class ServingSettings:
    # ReplyEngine caps max_new_tokens at the model's longest target; `load` without settings uses that cap.
    generation: GenerationSettings = field(
        default_factory=lambda: GenerationSettings(strategy="greedy", no_repeat_ngram_size=0)
    )
    max_turns: int = 6  # conversation turns the encoder sees, newest last
    # Consensus decoding (inference/consensus.py), on when consensus_samples N > 0: the candidates are the
    # greedy reply and N replies sampled at consensus_temperature, the second half of them with
    # consensus_eos_penalty (complete, longer replies); each is scored against N more replies sampled at
    # consensus_evidence_temperature. The reply then arrives whole, not token by token.
    consensus_samples: int = 0
    consensus_temperature: float = 0.5
    consensus_eos_penalty: float = 1.0
    consensus_evidence_temperature: float = 1.0

    def __post_init__(self) -> None:
        if self.consensus_samples < 0:
            raise ValueError(f"consensus_samples must be >= 0, got {self.consensus_samples}")
        for name in ("consensus_temperature", "consensus_evidence_temperature"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.consensus_eos_penalty < 0:
            raise ValueError(f"consensus_eos_penalty must be >= 0, got {self.consensus_eos_penalty}")


@dataclass
class ConsensusPool:
    """What consensus decoding draws for one source, set by set (ServingSettings)."""

    greedy: GeneratedSequence
    plain: list[GeneratedSequence]  # sampled at consensus_temperature
    lengthened: list[GeneratedSequence]  # the same, with consensus_eos_penalty
    evidence: list[GeneratedSequence]  # sampled at consensus_evidence_temperature

    @property
    def candidates(self) -> list[GeneratedSequence]:
        return [self.greedy, *self.plain, *self.lengthened]


def reply_confidence(token_logprobs: Sequence[float], intent_probability: float) -> float:
    """sqrt(exp(mean token log-prob) * intent probability), clamped to [0, 1]; 0 for an empty reply."""
    if not token_logprobs:
        return 0.0
    token_likelihood = math.exp(sum(token_logprobs) / len(token_logprobs))
    return min(1.0, max(0.0, math.sqrt(token_likelihood * intent_probability)))


class ReplyEngine:
    """A loaded model version. `reply` is serialised by a lock: one worker thread at a time uses it."""

    def __init__(
        self,
        *,
        model: Seq2SeqTransformer,
        tokenizer: Tokenizer,
        version: str,
        settings: ServingSettings | None = None,
    ) -> None:
        if model.config.tokenizer_sha256 and model.config.tokenizer_sha256 != tokenizer.sha256:
            raise ValueError("the model was trained with a different tokenizer")
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.version = version
        self.intents = model.config.intents
        settings = settings or ServingSettings()
        if settings.generation.max_new_tokens > model.config.max_target_len - 1:
            settings = replace(
                settings,
                generation=replace(settings.generation, max_new_tokens=model.config.max_target_len - 1),
            )
        self.settings = settings
        self._lock = threading.Lock()

    @classmethod
    def load(
        cls,
        model_dir: Path | str,
        *,
        device: str | torch.device | None = None,
        quantize: bool = False,
        settings: ServingSettings | None = None,
    ) -> ReplyEngine:
        """Load a complete version directory (model.pt + tokenizer.model); refuses a half-written one.

        Without explicit settings, replies may be as long as the longest reply the model was trained on.
        """
        model_dir = Path(model_dir)
        if not versions.is_complete(model_dir):
            raise FileNotFoundError(
                f"{model_dir} is not a complete model version (no {versions.COMPLETE_MARKER})"
            )
        tokenizer = Tokenizer.load(model_dir / versions.TOKENIZER_FILE)
        device = torch.device(device) if device is not None else default_device()
        model = load_model(
            model_dir / versions.MODEL_FILE, expected_tokenizer_sha256=tokenizer.sha256, device=device
        )
        if quantize:
            from inference.quantize import quantize_dynamic_int8

            model = quantize_dynamic_int8(model)
        if settings is None:
            longest = GenerationSettings(max_new_tokens=model.config.max_target_len - 1)
            settings = ServingSettings(generation=longest)
        return cls(model=model, tokenizer=tokenizer, version=model_dir.name, settings=settings)

    def render(self, turns: Sequence[Turn]) -> list[int]:
        _check_turns(turns)
        return self.tokenizer.render_conversation(
            turns, max_len=self.model.config.max_source_len, max_turns=self.settings.max_turns
        )

    def reply(
        self,
        turns: Sequence[Turn],
        *,
        slots: Mapping[str, str] | None = None,
        on_delta: Callable[[str], None] | None = None,
    ) -> Reply:
        """Answer the newest turn. Slot values come from `slots` (business and customer profile) and from
        entities the customer typed (those win: an order number in the chat beats a profile default)."""
        return self.reply_batch([turns], slots=[slots], on_delta=[on_delta])[0]

    def reply_batch(
        self,
        conversations: Sequence[Sequence[Turn]],
        *,
        slots: Sequence[Mapping[str, str] | None] | None = None,
        on_delta: Sequence[Callable[[str], None] | None] | None = None,
    ) -> list[Reply]:
        """Answer several conversations in one batched decoding; each result equals its own `reply`."""
        if not conversations:
            return []
        count = len(conversations)
        slots = list(slots) if slots is not None else [None] * count
        callbacks = list(on_delta) if on_delta is not None else [None] * count
        if len(slots) != count or len(callbacks) != count:
            raise ValueError("slots and on_delta need one entry per conversation")
        sources = [self.render(turns) for turns in conversations]
        rows = [
            _RowState(self.tokenizer.stream_decoder(), StreamingFiller(_merge_slots(s, turns)), callback)
            for s, turns, callback in zip(slots, conversations, callbacks, strict=True)
        ]
        with self._lock:
            started = time.perf_counter()
            if self.settings.consensus_samples:
                results = self._emit_whole(rows, self._consensus(sources))
            elif self.settings.generation.strategy == "beam":  # beam search only has a final result
                results = self._emit_whole(rows, generate(self.model, sources, self.settings.generation))
            else:
                results = self._stream(sources, rows, started)
            total = time.perf_counter() - started
        assert results is not None
        replies = []
        for row, result in zip(rows, results, strict=True):
            row.finish()
            replies.append(
                Reply(
                    text="".join(row.deltas),
                    raw_text=row.decoder.text,
                    intent=self.intents[result.intent_id],
                    intent_probability=float(result.intent_probability),
                    confidence=reply_confidence(result.token_logprobs, result.intent_probability),
                    token_count=len(result.token_ids),
                    first_token_seconds=total if row.first_token_seconds is None else row.first_token_seconds,
                    total_seconds=total,
                    model_version=self.version,
                )
            )
        return replies

    def _consensus(self, sources: list[list[int]]) -> list[GeneratedSequence]:
        """Per source, the candidate (ServingSettings) with the highest mean chrF against the evidence."""
        chosen = []
        for pool in self.consensus_pools(sources):
            texts = [self.tokenizer.decode(candidate.token_ids) for candidate in pool.candidates]
            evidence = [self.tokenizer.decode(sample.token_ids) for sample in pool.evidence]
            chosen.append(pool.candidates[consensus_index(texts, evidence)])
        return chosen

    def consensus_pools(self, sources: list[list[int]]) -> list[ConsensusPool]:
        """Per source, what consensus decoding chooses from and scores against (ServingSettings)."""
        settings, generation = self.settings, self.settings.generation
        samples, lengthened_samples = settings.consensus_samples, settings.consensus_samples // 2
        candidates = replace(generation, strategy="sample", temperature=settings.consensus_temperature)
        seed = generation.seed  # seeded runs draw each set from its own seed, or the sets would correlate
        greedy = generate(self.model, sources, replace(generation, strategy="greedy"))
        plain = self._sample(sources, samples - lengthened_samples, candidates)
        lengthened = self._sample(
            sources,
            lengthened_samples,
            replace(candidates, eos_penalty=settings.consensus_eos_penalty, seed=_offset(seed, 1)),
        )
        evidence = self._sample(
            sources,
            samples,
            replace(candidates, temperature=settings.consensus_evidence_temperature, seed=_offset(seed, 2)),
        )
        return [ConsensusPool(*sets) for sets in zip(greedy, plain, lengthened, evidence, strict=True)]

    def _sample(
        self, sources: list[list[int]], count: int, settings: GenerationSettings
    ) -> list[list[GeneratedSequence]]:
        """`count` replies sampled for each source, decoded as one batch; one list per source."""
        if not count:
            return [[] for _ in sources]
        results = generate(self.model, [source for source in sources for _ in range(count)], settings)
        return [results[index * count : (index + 1) * count] for index in range(len(sources))]

    @staticmethod
    def _emit_whole(rows: list[_RowState], results: list[GeneratedSequence]) -> list[GeneratedSequence]:
        for row, result in zip(rows, results, strict=True):
            for token_id in result.token_ids:
                row.emit(row.decoder.push(token_id))
        return results

    def _stream(self, sources: list[list[int]], rows: list[_RowState], started: float):
        token_stream = stream(self.model, sources, self.settings.generation)
        for step in token_stream:
            now = time.perf_counter() - started
            for row, token in zip(rows, step, strict=True):
                if token is not None:
                    if row.first_token_seconds is None:
                        row.first_token_seconds = now
                    row.emit(row.decoder.push(token.token_id))
        return token_stream.results


@dataclass
class _RowState:
    decoder: StreamDecoder
    filler: StreamingFiller
    callback: Callable[[str], None] | None
    deltas: list[str] = field(default_factory=list)
    first_token_seconds: float | None = None

    def emit(self, raw_delta: str) -> None:
        filled = self.filler.feed(raw_delta)
        if filled:
            self.deltas.append(filled)
            if self.callback is not None:
                self.callback(filled)

    def finish(self) -> None:
        self.emit(self.decoder.finish())
        rest = self.filler.finish()
        if rest:
            self.deltas.append(rest)
            if self.callback is not None:
                self.callback(rest)


def _offset(seed: int | None, offset: int) -> int | None:
    return None if seed is None else seed + offset


def _merge_slots(slots: Mapping[str, str] | None, turns: Sequence[Turn]) -> dict[str, str]:
    return {**normalise_slots(slots), **extract_entities(turns)}


def _check_turns(turns: Sequence[Turn]) -> None:
    if not turns:
        raise ValueError("a reply needs at least one turn")
    for turn in turns:
        if turn.role not in ROLES:
            raise ValueError(f"unknown role {turn.role!r}; expected one of {list(ROLES)}")
        if not isinstance(turn.text, str):
            raise ValueError("turn text must be a string")
