"""Generation as a spec: cached decoding, batching, sampling, beam search, streaming, quantization."""

import pytest
import torch
import torch.nn.functional as F

from inference.config import ModelConfig
from inference.generate import (
    GenerationSettings,
    generate,
    repeated_ngram_tokens,
    sample_next_token,
    stream,
)
from inference.model import Seq2SeqTransformer
from inference.quantize import quantize_dynamic_int8

PAD, BOS, EOS = 0, 2, 3
INTENTS = ("billing", "shipping")


def make_model(seed: int = 0) -> Seq2SeqTransformer:
    torch.manual_seed(seed)
    return Seq2SeqTransformer(ModelConfig.preset("tiny", intents=INTENTS)).eval()


def make_reversal_pairs(count: int = 8, seed: int = 0) -> list[tuple[list[int], list[int], int]]:
    """(source, reversed source, intent): sources of 3..7 ids, the intent is the parity of the first id."""
    generator = torch.Generator().manual_seed(seed)
    pairs = []
    for _ in range(count):
        length = int(torch.randint(3, 8, (1,), generator=generator))
        source = torch.randint(4, 64, (length,), generator=generator).tolist()
        pairs.append((source, source[::-1], source[0] % 2))
    return pairs


def pad(rows: list[list[int]]) -> torch.Tensor:
    longest = max(len(row) for row in rows)
    return torch.tensor([row + [PAD] * (longest - len(row)) for row in rows])


@pytest.fixture(scope="module")
def reversal():
    """A tiny model trained until it reverses a handful of sequences (about a second on one core)."""
    torch.set_num_threads(1)
    pairs = make_reversal_pairs()
    model = make_model().train()
    src = pad([source for source, _, _ in pairs])
    tgt_in = pad([[BOS] + target for _, target, _ in pairs])
    tgt_out = pad([target + [EOS] for _, target, _ in pairs])
    intents = torch.tensor([intent for _, _, intent in pairs])
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(400):
        _, _, loss = model(src, tgt_in, tgt_out, intents)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if loss.item() < 0.01:
            break
    return model.eval(), pairs


def sequence_logprob(model: Seq2SeqTransformer, source: list[int], token_ids: list[int]) -> float:
    """Total log-prob of token_ids + EOS, computed by a full forward pass (independent of generate)."""
    with torch.inference_mode():
        logits, _, _ = model(torch.tensor([source]), torch.tensor([[BOS] + token_ids]))
        logprobs = F.log_softmax(logits[0], dim=-1)
        return logprobs.gather(1, torch.tensor([token_ids + [EOS]]).T).sum().item()


def test_a_tiny_model_learns_to_reverse_and_then_generates_every_pair_exactly(reversal):
    model, pairs = reversal
    results = generate(model, [source for source, _, _ in pairs], GenerationSettings(max_new_tokens=12))
    assert [result.token_ids for result in results] == [target for _, target, _ in pairs]
    assert [result.intent_id for result in results] == [intent for _, _, intent in pairs]
    assert all(0.5 < result.intent_probability <= 1.0 for result in results)
    assert all(len(result.token_logprobs) == len(result.token_ids) for result in results)
    assert all(-1.0 < logprob <= 0.0 for result in results for logprob in result.token_logprobs)


def test_token_logprobs_are_the_models_own_log_probabilities(reversal):
    model, pairs = reversal
    source = pairs[0][0]
    (result,) = generate(model, [source], GenerationSettings(max_new_tokens=12))
    with torch.inference_mode():
        logits, _, _ = model(torch.tensor([source]), torch.tensor([[BOS] + result.token_ids[:-1]]))
    expected = F.log_softmax(logits[0], -1).gather(1, torch.tensor([result.token_ids]).T).squeeze(1)
    torch.testing.assert_close(torch.tensor(result.token_logprobs), expected, rtol=1e-4, atol=1e-5)


UNSEEN_SOURCES = [[5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [40, 41, 42], [60, 4, 17, 22, 9, 9, 9, 9, 9, 9, 9]]


@pytest.mark.parametrize("trained", [True, False])
def test_a_batch_of_different_lengths_decodes_exactly_like_one_source_at_a_time(reversal, trained):
    model = reversal[0] if trained else make_model(seed=3)
    sources = [pair[0] for pair in reversal[1]] + UNSEEN_SOURCES
    # Untrained, the tied embeddings make the model echo one token; the ban makes it wander instead.
    settings = GenerationSettings(max_new_tokens=24, no_repeat_ngram_size=0 if trained else 2)
    batched = generate(model, sources, settings)
    alone = [generate(model, [source], settings)[0] for source in sources]
    assert len({len(result.token_ids) for result in batched}) > 2, "rows should finish at different steps"
    assert [result.token_ids for result in batched] == [result.token_ids for result in alone]
    assert [result.intent_id for result in batched] == [result.intent_id for result in alone]
    for one, other in zip(batched, alone, strict=True):
        torch.testing.assert_close(one.token_logprobs, other.token_logprobs, rtol=1e-4, atol=1e-5)


def test_sampling_at_temperature_zero_is_deterministic_greedy_decoding():
    model = make_model(seed=4)
    sources = [[5, 9, 12, 40], [7, 7, 8]]
    greedy = generate(model, sources, GenerationSettings(max_new_tokens=20))
    cold = GenerationSettings(max_new_tokens=20, strategy="sample", temperature=0.0, top_p=0.9)
    assert generate(model, sources, cold) == greedy
    assert generate(model, sources, cold) == greedy


def test_sampling_is_a_pure_function_of_the_seed():
    model = make_model(seed=5)
    sources = [[5, 9, 12, 40], [7, 7, 8]]
    settings = GenerationSettings(max_new_tokens=20, strategy="sample", temperature=1.5, seed=11)
    first = generate(model, sources, settings)
    assert generate(model, sources, settings) == first
    other_seed = generate(model, sources, GenerationSettings(**{**settings.__dict__, "seed": 12}))
    assert [result.token_ids for result in other_seed] != [result.token_ids for result in first]


def test_top_p_keeps_only_the_nucleus():
    scores = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    draws = {
        sample_next_token(
            scores, temperature=1.0, top_p=0.7, generator=torch.Generator().manual_seed(seed)
        ).item()
        for seed in range(200)
    }
    assert draws == {0, 1}
    tiny_nucleus = sample_next_token(scores, temperature=1.0, top_p=0.01, generator=torch.Generator())
    assert tiny_nucleus.item() == 0


def test_beam_search_finds_a_sequence_at_least_as_likely_as_greedy(reversal):
    models = [reversal[0]] + [make_model(seed=seed) for seed in (10, 11)]
    greedy_settings = GenerationSettings(max_new_tokens=12)
    beam_settings = GenerationSettings(max_new_tokens=12, strategy="beam", num_beams=4, length_penalty=0.0)
    for model in models:
        for source in UNSEEN_SOURCES:
            greedy = generate(model, [source], greedy_settings)[0].token_ids
            beam = generate(model, [source], beam_settings)[0].token_ids
            assert sequence_logprob(model, source, beam) >= sequence_logprob(model, source, greedy) - 1e-4


def test_beam_search_of_a_batch_equals_beam_search_of_each_source(reversal):
    model, pairs = reversal
    sources = [source for source, _, _ in pairs[:4]]
    settings = GenerationSettings(max_new_tokens=12, strategy="beam", num_beams=3)
    batched = generate(model, sources, settings)
    assert [result.token_ids for result in batched] == [target for _, target, _ in pairs[:4]]
    assert [result.token_ids for result in batched] == [
        generate(model, [s], settings)[0].token_ids for s in sources
    ]


def test_stream_yields_exactly_the_generated_tokens_then_none_for_finished_rows(reversal):
    model, pairs = reversal
    sources = [pairs[0][0], pairs[1][0], pairs[2][0]]
    settings = GenerationSettings(max_new_tokens=12)
    token_stream = stream(model, sources, settings)
    assert [intent for intent, _ in token_stream.intents] == [pair[2] for pair in pairs[:3]]
    streamed: list[list[int]] = [[] for _ in sources]
    finished = [False] * len(sources)
    for step in token_stream:
        assert len(step) == len(sources)
        for row, token in enumerate(step):
            if token is None:
                finished[row] = True
            else:
                assert not finished[row], "a finished row produced another token"
                streamed[row].append(token.token_id)
    assert streamed == [pair[1] for pair in pairs[:3]]
    assert token_stream.results == generate(model, sources, settings)


def test_suppress_eos_always_generates_max_new_tokens(reversal):
    model, pairs = reversal
    results = generate(
        model, [pairs[0][0], pairs[1][0]], GenerationSettings(max_new_tokens=30, suppress_eos=True)
    )
    assert [len(result.token_ids) for result in results] == [30, 30]
    assert all(EOS not in result.token_ids for result in results)


def test_an_eos_penalty_lengthens_replies_and_keeps_the_models_own_log_probabilities(reversal):
    model, pairs = reversal
    source = pairs[0][0]
    (plain,) = generate(model, [source], GenerationSettings(max_new_tokens=30))
    (longer,) = generate(model, [source], GenerationSettings(max_new_tokens=30, eos_penalty=50.0))
    assert len(longer.token_ids) == 30 > len(plain.token_ids)
    assert longer.token_ids[: len(plain.token_ids)] == plain.token_ids  # only the choice of EOS changed
    with torch.inference_mode():
        logits, _, _ = model(torch.tensor([source]), torch.tensor([[BOS] + longer.token_ids[:-1]]))
    expected = F.log_softmax(logits[0], -1).gather(1, torch.tensor([longer.token_ids]).T).squeeze(1)
    torch.testing.assert_close(torch.tensor(longer.token_logprobs), expected, rtol=1e-4, atol=1e-5)


def test_no_repeat_ngram_size_forbids_repeating_any_ngram():
    model = make_model(seed=6)
    source = [[5, 6, 7]]
    looping = generate(model, source, GenerationSettings(max_new_tokens=40, suppress_eos=True))[0].token_ids
    bigrams = list(zip(looping, looping[1:], strict=False))
    assert len(set(bigrams)) < len(bigrams), "the untrained model should repeat itself without the ban"
    for strategy in ("greedy", "beam"):
        settings = GenerationSettings(
            max_new_tokens=40, suppress_eos=True, no_repeat_ngram_size=2, strategy=strategy
        )
        tokens = generate(model, source, settings)[0].token_ids
        bigrams = list(zip(tokens, tokens[1:], strict=False))
        assert len(tokens) == 40
        assert len(set(bigrams)) == len(bigrams)


def test_repeated_ngram_tokens_lists_the_completions_seen_before():
    assert repeated_ngram_tokens([1, 2, 3, 1, 2], 3) == {3}
    assert repeated_ngram_tokens([1, 2, 3, 1], 2) == {2}
    assert repeated_ngram_tokens([1, 2, 3], 1) == {1, 2, 3}
    assert repeated_ngram_tokens([1, 2, 3], 0) == set()


def test_cached_decoding_writes_the_preallocated_cache_in_place():
    model = make_model()
    with torch.inference_mode():
        memory, mask = model.encode(torch.tensor([[5, 6, 7]]))
        cache = model.new_kv_cache(memory, mask, max_len=6)
        storage = cache.self_key_values.data_ptr()
        token = torch.tensor([[BOS]])
        for _ in range(6):
            token = model.decode(token, memory, mask, cache=cache)[:, -1].argmax(-1, keepdim=True)
        assert cache.self_key_values.data_ptr() == storage
        assert cache.position == 6
        with pytest.raises(ValueError, match="KV cache holds 6 positions"):
            model.decode(token, memory, mask, cache=cache)


def test_int8_quantized_model_generates_nearly_the_same_replies(reversal):
    model, pairs = reversal
    quantized = quantize_dynamic_int8(model)
    sources = [source for source, _, _ in pairs]
    settings = GenerationSettings(max_new_tokens=12)
    original = generate(model, sources, settings)
    approximate = generate(quantized, sources, settings)
    assert (
        sum(a.token_ids == b.token_ids for a, b in zip(original, approximate, strict=True)) >= len(pairs) - 1
    )
    assert [result.intent_id for result in approximate] == [result.intent_id for result in original]


def test_bad_requests_are_refused_with_a_reason(reversal):
    model, _ = reversal
    settings = GenerationSettings(max_new_tokens=5)
    with pytest.raises(ValueError, match="source 1 is empty"):
        generate(model, [[5], []], settings)
    with pytest.raises(ValueError, match="source 0 has 65 tokens"):
        generate(model, [[5] * 65], settings)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        generate(model, [[5, 640]], settings)
    with pytest.raises(ValueError, match="exceeds max_target_len"):
        generate(model, [[5]], GenerationSettings(max_new_tokens=65))
    with pytest.raises(ValueError, match="beam search returns only the final result"):
        stream(model, [[5]], GenerationSettings(strategy="beam"))
    with pytest.raises(ValueError, match="unknown strategy"):
        GenerationSettings(strategy="nucleus")
    with pytest.raises(ValueError, match="eos_penalty must be >= 0"):
        GenerationSettings(eos_penalty=-1.0)
    model.train()
    try:
        with pytest.raises(ValueError, match="training mode"):
            generate(model, [[5]], settings)
    finally:
        model.eval()
