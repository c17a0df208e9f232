"""Incremental decoding with an explicit KV cache: greedy, top-p sampling, beam search, token streaming.

One request batch = one encoder pass, cross-attention keys/values computed once, then one decoder step per
new token writing into a preallocated cache (nanochat `engine.py`). Rows that emit EOS are dropped from the
batch so they cost nothing further.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from inference.config import ModelConfig
from inference.decoder_step import DecoderStep, decoder_step_for
from inference.model import KVCache, Seq2SeqTransformer

STRATEGIES = ("greedy", "beam", "sample")


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int = 160
    strategy: str = "greedy"  # "greedy" | "beam" | "sample"
    num_beams: int = 4
    temperature: float = 1.0  # 0 means greedy
    top_p: float = 1.0
    no_repeat_ngram_size: int = 0
    length_penalty: float = 1.0  # beam score = total log-prob / length ** length_penalty
    seed: int | None = None
    suppress_eos: bool = False  # benchmarks: always generate max_new_tokens
    # Subtracted from the end-of-sequence log-probability before choosing (greedy and sampling): > 0 asks for
    # longer replies, e.g. the long candidates of consensus decoding. Reported log-probs stay the model's own.
    eos_penalty: float = 0.0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}; choose one of {STRATEGIES}")
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        if self.num_beams < 1:
            raise ValueError(f"num_beams must be at least 1, got {self.num_beams}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.no_repeat_ngram_size < 0:
            raise ValueError(f"no_repeat_ngram_size must be >= 0, got {self.no_repeat_ngram_size}")
        if self.eos_penalty < 0:
            raise ValueError(f"eos_penalty must be >= 0, got {self.eos_penalty}")


@dataclass
class GeneratedSequence:
    token_ids: list[int]  # generated ids, without BOS and EOS
    token_logprobs: list[float]  # log-probability of each generated id under the model
    intent_id: int
    intent_probability: float


@dataclass(frozen=True)
class StepToken:
    """One new token of one row. A row's StepTokens, in order, are exactly its `token_ids`: the step that
    emits EOS (and every later step) yields None for that row instead."""

    token_id: int
    logprob: float  # under the model itself: before temperature, top-p, bans and EOS suppression


@dataclass
class _Row:
    token_ids: list[int] = field(default_factory=list)
    token_logprobs: list[float] = field(default_factory=list)


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class TokenStream(Iterator[list[StepToken | None]]):
    """Iterating yields, per decoding step, one `StepToken | None` per source row; `intents` is known as soon
    as the stream exists and `results` once it is exhausted."""

    def __init__(
        self, model: Seq2SeqTransformer, sources: Sequence[Sequence[int]], settings: GenerationSettings
    ):
        if settings.strategy == "beam":
            raise ValueError("beam search returns only the final result: call generate()")
        self._steps = _decode_incrementally(model, sources, settings)
        self.intents: list[tuple[int, float]] = next(self._steps)  # runs the encoder
        self.results: list[GeneratedSequence] | None = None

    def __next__(self) -> list[StepToken | None]:
        try:
            return next(self._steps)
        except StopIteration as done:
            self.results = done.value
            raise


def stream(
    model: Seq2SeqTransformer, sources: Sequence[Sequence[int]], settings: GenerationSettings
) -> TokenStream:
    """Greedy or sampled decoding, one step at a time (what serving uses to emit text as it comes)."""
    return TokenStream(model, sources, settings)


def generate(
    model: Seq2SeqTransformer, sources: Sequence[Sequence[int]], settings: GenerationSettings
) -> list[GeneratedSequence]:
    """Decode every source; the result for a row does not depend on the other rows of the batch (greedy)."""
    if settings.strategy == "beam":
        return _beam_search(model, sources, settings)
    token_stream = TokenStream(model, sources, settings)
    for _ in token_stream:
        pass
    assert token_stream.results is not None
    return token_stream.results


def pad_sources(model: Seq2SeqTransformer, sources: Sequence[Sequence[int]]) -> Tensor:
    """Right-padded (B, S) ids on the model's device; rejects empty, too long or out-of-vocabulary rows."""
    config = model.config
    if not sources:
        raise ValueError("no sources to generate from")
    for row, source in enumerate(sources):
        if not source:
            raise ValueError(f"source {row} is empty")
        if len(source) > config.max_source_len:
            raise ValueError(
                f"source {row} has {len(source)} tokens; the model takes {config.max_source_len}"
            )
        if min(source) < 0 or max(source) >= config.vocab_size:
            raise ValueError(f"source {row} has ids outside the vocabulary of {config.vocab_size}")
    longest = max(len(source) for source in sources)
    padded = [list(source) + [config.pad_id] * (longest - len(source)) for source in sources]
    return torch.tensor(padded, dtype=torch.long, device=next(model.parameters()).device)


def check_ready(model: Seq2SeqTransformer, settings: GenerationSettings) -> None:
    if model.training:
        raise ValueError("the model is in training mode (dropout active): call model.eval() first")
    if settings.max_new_tokens > model.config.max_target_len:
        raise ValueError(
            f"max_new_tokens {settings.max_new_tokens} exceeds max_target_len {model.config.max_target_len}"
        )


def step_function(
    model: Seq2SeqTransformer, memory: Tensor, src_key_padding_mask: Tensor
) -> Callable[[Tensor, KVCache], Tensor]:
    """(B,) token ids + cache -> (B, V) logits: the lean DecoderStep when the model's layers allow it
    (float nn.Linear), else the model's own cached `decode` (e.g. a dynamically quantized model)."""
    if DecoderStep.supports(model):
        return decoder_step_for(model)
    return lambda token_ids, cache: model.decode(
        token_ids[:, None], memory, src_key_padding_mask, cache=cache
    )[:, -1]


@dataclass
class Encoded:
    memory: Tensor  # (B, S, C)
    src_key_padding_mask: Tensor  # (B, S)
    intents: list[tuple[int, float]]  # (intent id, softmax probability) per row
    start_bias: Tensor | None  # (B, C) the decoder's intent conditioning, None for an unconditioned model

    def repeated(self, times: int) -> Encoded:
        """Each row `times` times in a row (beam search: K beams per source); intents stay one per source."""
        return Encoded(
            self.memory.repeat_interleave(times, dim=0),
            self.src_key_padding_mask.repeat_interleave(times, dim=0),
            self.intents,
            None if self.start_bias is None else self.start_bias.repeat_interleave(times, dim=0),
        )


def encode_with_intents(model: Seq2SeqTransformer, src: Tensor) -> Encoded:
    """One encoder pass: memory, padding mask, the intent head's choice and the decoder conditioning."""
    memory, src_key_padding_mask = model.encode(src)
    probabilities = torch.softmax(model.classify_intent(memory, src_key_padding_mask).float(), dim=-1)
    best_probability, best_intent = probabilities.max(dim=-1)
    return Encoded(
        memory,
        src_key_padding_mask,
        list(zip(best_intent.tolist(), best_probability.tolist(), strict=True)),
        model.decoder_start_bias(best_intent),
    )


@torch.inference_mode()
def _decode_incrementally(
    model: Seq2SeqTransformer, sources: Sequence[Sequence[int]], settings: GenerationSettings
):
    """Yields the intents first, then one list of StepToken | None per step; returns the sequences."""
    check_ready(model, settings)
    config = model.config
    src = pad_sources(model, sources)
    encoded = encode_with_intents(model, src)
    memory, src_key_padding_mask, intents = encoded.memory, encoded.src_key_padding_mask, encoded.intents
    yield intents

    generator = None
    if settings.strategy == "sample" and settings.temperature > 0:
        generator = torch.Generator(device=src.device)
        if settings.seed is None:
            generator.seed()  # fresh entropy: a different reply each time
        else:
            generator.manual_seed(settings.seed)
    temperature = settings.temperature if settings.strategy == "sample" else 0.0

    rows = [_Row() for _ in sources]
    active = list(range(len(sources)))  # original row index of each cache row
    cache = model.new_kv_cache(
        memory, src_key_padding_mask, max_len=settings.max_new_tokens, start_bias=encoded.start_bias
    )
    decode_step = step_function(model, memory, src_key_padding_mask)
    banned = never_generated(config, settings, src.device)
    next_input = torch.full((len(sources),), config.bos_id, dtype=torch.long, device=src.device)
    for _ in range(settings.max_new_tokens):
        # Choosing from log-probabilities is choosing from the logits (softmax is shift-invariant), and the
        # bans below only touch tokens that are then never chosen: the reported log-probs are the model's own.
        scores = torch.log_softmax(decode_step(next_input, cache).float(), dim=-1)  # (b, V)
        scores.index_fill_(1, banned, float("-inf"))  # in place: the decoder output is ours to modify
        if settings.eos_penalty:
            scores[:, config.eos_id] -= settings.eos_penalty
        if settings.no_repeat_ngram_size:
            histories = [rows[row].token_ids for row in active]
            ban_repeated_ngrams(scores, histories, settings.no_repeat_ngram_size)
        chosen = sample_next_token(scores, temperature=temperature, top_p=settings.top_p, generator=generator)
        chosen_ids = chosen.tolist()
        chosen_logprobs = scores.gather(1, chosen[:, None])[:, 0].tolist()

        step: list[StepToken | None] = [None] * len(sources)
        still_running = []
        for cache_row, (row, token_id, logprob) in enumerate(
            zip(active, chosen_ids, chosen_logprobs, strict=True)
        ):
            if token_id == config.eos_id:
                continue
            rows[row].token_ids.append(token_id)
            rows[row].token_logprobs.append(logprob)
            step[row] = StepToken(token_id, logprob)
            still_running.append(cache_row)
        yield step
        if not still_running:
            break
        if len(still_running) < len(active):  # finished rows leave the batch
            keep = torch.tensor(still_running, device=src.device)
            cache.select_rows(keep)
            chosen = chosen.index_select(0, keep)
            active = [active[i] for i in still_running]
        next_input = chosen

    return [
        GeneratedSequence(row.token_ids, row.token_logprobs, intent_id, intent_probability)
        for row, (intent_id, intent_probability) in zip(rows, intents, strict=True)
    ]


def sample_next_token(
    scores: Tensor,  # (B, V) unnormalised
    *,
    temperature: float,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Next token per row (B,): argmax at temperature 0, else a draw from the top-p nucleus of
    softmax(scores / temperature). A pure function of its arguments and the generator's state."""
    if temperature == 0:
        return scores.argmax(dim=-1)
    probabilities = torch.softmax(scores / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probabilities, order = probabilities.sort(dim=-1, descending=True)
        mass_before = sorted_probabilities.cumsum(dim=-1) - sorted_probabilities
        sorted_probabilities[mass_before >= top_p] = 0.0  # the most likely token always survives
        probabilities = torch.zeros_like(probabilities).scatter_(-1, order, sorted_probabilities)
    return torch.multinomial(probabilities, 1, generator=generator).squeeze(1)


def never_generated(config: ModelConfig, settings: GenerationSettings, device: torch.device) -> Tensor:
    """Ids to ban at every step: PAD and BOS, and EOS when suppressed (`scores.index_fill_(1, ids, -inf)`)."""
    banned = [config.pad_id, config.bos_id] + ([config.eos_id] if settings.suppress_eos else [])
    return torch.tensor(banned, dtype=torch.long, device=device)


def repeated_ngram_tokens(history: Sequence[int], size: int) -> set[int]:
    """Tokens that would complete an n-gram of `size` already present in `history`."""
    if size == 0 or len(history) < size - 1:
        return set()
    prefix = tuple(history[len(history) - size + 1 :])
    return {
        history[start + size - 1]
        for start in range(len(history) - size + 1)
        if tuple(history[start : start + size - 1]) == prefix
    }


def ban_repeated_ngrams(scores: Tensor, histories: Sequence[Sequence[int]], size: int) -> None:
    """Set to -inf, in place, every score that would repeat an n-gram of its row's history."""
    for row, history in enumerate(histories):
        banned = repeated_ngram_tokens(history, size)
        if banned:
            scores[row, list(banned)] = float("-inf")


@dataclass
class _Beam:
    total: float  # total log-prob under the model; -inf marks a dead beam
    token_ids: list[int]
    token_logprobs: list[float]


@dataclass
class _Hypothesis:
    score: float  # total log-prob / length ** length_penalty, EOS included in the length
    token_ids: list[int]
    token_logprobs: list[float]


@dataclass
class _SourceBeams:
    live: list[_Beam]  # K beams: cache rows b*K .. b*K+K-1
    finished: list[_Hypothesis] = field(default_factory=list)
    done: bool = False


def _normalised(total: float, length: int, length_penalty: float) -> float:
    return total / max(length, 1) ** length_penalty


@torch.inference_mode()
def _beam_search(
    model: Seq2SeqTransformer, sources: Sequence[Sequence[int]], settings: GenerationSettings
) -> list[GeneratedSequence]:
    """Beam search over all sources at once: B sources x K beams = B*K cache rows, reordered each step."""
    check_ready(model, settings)
    config, K = model.config, settings.num_beams
    src = pad_sources(model, sources)
    encoded = encode_with_intents(model, src).repeated(K)  # B*K rows
    intents, memory, src_key_padding_mask = encoded.intents, encoded.memory, encoded.src_key_padding_mask
    cache = model.new_kv_cache(
        memory, src_key_padding_mask, max_len=settings.max_new_tokens, start_bias=encoded.start_bias
    )
    # All beams start identical, so only the first is live: the first step expands it into K different ones.
    states = [
        _SourceBeams([_Beam(0.0 if k == 0 else float("-inf"), [], []) for k in range(K)]) for _ in sources
    ]
    decode_step = step_function(model, memory, src_key_padding_mask)
    banned = never_generated(config, settings, src.device)
    next_input = torch.full((len(sources) * K,), config.bos_id, dtype=torch.long, device=src.device)
    for step in range(settings.max_new_tokens):
        logits = decode_step(next_input, cache)
        logprobs = torch.log_softmax(logits.float(), dim=-1)  # (B*K, V)
        scores = logprobs.clone()
        scores.index_fill_(1, banned, float("-inf"))
        beams = [beam for state in states for beam in state.live]
        ban_repeated_ngrams(scores, [beam.token_ids for beam in beams], settings.no_repeat_ngram_size)
        scores += torch.tensor([beam.total for beam in beams], device=scores.device).unsqueeze(1)
        V = scores.size(-1)
        # 2K candidates per source: even if K of them end in EOS, K live beams remain.
        top_totals, top_index = scores.view(len(states), K * V).topk(2 * K, dim=1)
        top_logprobs = logprobs.view(len(states), K * V).gather(1, top_index).tolist()
        parent_rows, new_tokens = [], []
        for b, (state, totals, indexes, token_logprobs) in enumerate(
            zip(states, top_totals.tolist(), top_index.tolist(), top_logprobs, strict=True)
        ):
            candidates = [
                (t, i // V, i % V, lp) for t, i, lp in zip(totals, indexes, token_logprobs, strict=True)
            ]
            parents = (
                list(range(K))
                if state.done
                else _advance(state, candidates, step + 1, config.eos_id, settings)
            )
            parent_rows += [b * K + k for k in parents]
            new_tokens += [beam.token_ids[-1] if beam.token_ids else config.pad_id for beam in state.live]
        if all(state.done for state in states):
            break
        cache.select_rows(torch.tensor(parent_rows, device=src.device))
        next_input = torch.tensor(new_tokens, device=src.device)
    return [
        _best(state, settings.length_penalty, intent_id, intent_probability)
        for state, (intent_id, intent_probability) in zip(states, intents, strict=True)
    ]


def _advance(
    state: _SourceBeams,
    candidates: list[tuple[float, int, int, float]],  # (total, parent beam, token, token logprob), best first
    length: int,
    eos_id: int,
    settings: GenerationSettings,
) -> list[int]:
    """Moves finished candidates aside, keeps the K best live ones; returns each new beam's parent beam."""
    K, penalty = settings.num_beams, settings.length_penalty
    parents: list[int] = []
    survivors: list[_Beam] = []
    for total, parent, token, token_logprob in candidates:
        if total == float("-inf") or len(survivors) == K:
            break
        beam = state.live[parent]
        if token == eos_id:
            hypothesis = _Hypothesis(_normalised(total, length, penalty), beam.token_ids, beam.token_logprobs)
            state.finished.append(hypothesis)
        else:
            parents.append(parent)
            survivors.append(_Beam(total, beam.token_ids + [token], beam.token_logprobs + [token_logprob]))
    while len(survivors) < K:  # fewer than K viable candidates: dead filler beams
        parents.append(0)
        survivors.append(_Beam(float("-inf"), [], []))
    state.live = survivors
    state.done = _is_done(state, length, K, penalty)
    return parents


def _is_done(state: _SourceBeams, length: int, K: int, penalty: float) -> bool:
    """Done when K hypotheses finished and the best live beam, scored at the current length, cannot beat
    the K-th best of them (Hugging Face's default heuristic; exact when length_penalty is 0)."""
    best_live = max(beam.total for beam in state.live)
    if best_live == float("-inf"):
        return True
    if len(state.finished) < K:
        return False
    kth_best = sorted((hypothesis.score for hypothesis in state.finished), reverse=True)[K - 1]
    return kth_best >= _normalised(best_live, length, penalty)


def _best(
    state: _SourceBeams, penalty: float, intent_id: int, intent_probability: float
) -> GeneratedSequence:
    candidates = list(state.finished)
    if not state.done:  # out of steps: the live beams compete with what finished
        candidates += [
            _Hypothesis(
                _normalised(beam.total, len(beam.token_ids), penalty), beam.token_ids, beam.token_logprobs
            )
            for beam in state.live
            if beam.total > float("-inf")
        ]
    best = max(candidates, key=lambda hypothesis: hypothesis.score)
    return GeneratedSequence(best.token_ids, best.token_logprobs, intent_id, intent_probability)
