"""The model's invariants: masks hold, cached decoding equals full recomputation, losses are what they say."""

import pytest
import torch

from inference.config import ModelConfig
from inference.decoder_step import DecoderStep, decoder_step_for
from inference.model import Seq2SeqTransformer
from inference.quantize import quantize_dynamic_int8

PAD, BOS, EOS = 0, 2, 3


def make_model(seed: int = 0, **overrides) -> Seq2SeqTransformer:
    torch.manual_seed(seed)
    config = ModelConfig.preset("tiny", intents=("billing", "shipping", "refund"), **overrides)
    return Seq2SeqTransformer(config).eval()


def random_ids(*shape: int, seed: int = 1) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(4, 64, shape, generator=generator)


def test_config_round_trips_through_a_plain_dict():
    config = ModelConfig.preset("small", intents=("a", "b"), tokenizer_sha256="abc")
    data = config.to_dict()
    assert data["intents"] == ["a", "b"]
    assert ModelConfig.from_dict(data) == config


def test_config_rejects_unknown_fields_and_bad_shapes():
    with pytest.raises(ValueError, match="unknown ModelConfig fields"):
        ModelConfig.from_dict({**ModelConfig.preset("tiny").to_dict(), "colour": "red"})
    with pytest.raises(ValueError, match="not divisible"):
        ModelConfig.preset("tiny", d_model=50, n_heads=3)
    with pytest.raises(ValueError, match="unknown preset"):
        ModelConfig.preset("huge")


def test_presets_have_the_documented_shapes():
    small = ModelConfig.preset("small")
    assert (small.d_model, small.n_heads, small.d_ff, small.n_encoder_layers, small.n_decoder_layers) == (
        256,
        4,
        1024,
        3,
        3,
    )
    assert small.vocab_size == 8000
    base = ModelConfig.preset("base")
    assert (base.d_model, base.n_heads, base.d_ff, base.n_encoder_layers) == (512, 8, 2048, 6)


def test_changing_a_future_target_token_changes_no_earlier_logit():
    model = make_model()
    src = random_ids(2, 7)
    tgt = torch.cat([torch.full((2, 1), BOS), random_ids(2, 5, seed=2)], dim=1)
    changed = tgt.clone()
    changed[:, 4] = (changed[:, 4] + 1 - 4) % 60 + 4
    with torch.inference_mode():
        logits, _, _ = model(src, tgt)
        changed_logits, _, _ = model(src, changed)
    torch.testing.assert_close(logits[:, :4], changed_logits[:, :4])
    assert not torch.allclose(logits[:, 4:], changed_logits[:, 4:])


def test_padded_source_tokens_change_nothing():
    model = make_model()
    src = random_ids(1, 5)
    padded = torch.cat([src, torch.full((1, 3), PAD)], dim=1)
    tgt = torch.cat([torch.full((1, 1), BOS), random_ids(1, 4, seed=3)], dim=1)
    with torch.inference_mode():
        logits, intents, _ = model(src, tgt)
        padded_logits, padded_intents, _ = model(padded, tgt)
    torch.testing.assert_close(logits, padded_logits)
    torch.testing.assert_close(intents, padded_intents)


def test_one_row_does_not_see_another_rows_padding():
    model = make_model()
    short = torch.cat([random_ids(1, 4), torch.full((1, 4), PAD)], dim=1)
    long = random_ids(1, 8, seed=5)
    tgt = torch.cat([torch.full((2, 1), BOS), random_ids(2, 3, seed=6)], dim=1)
    with torch.inference_mode():
        batched, _, _ = model(torch.cat([short, long]), tgt)
        alone, _, _ = model(short[:, :4], tgt[:1])
    torch.testing.assert_close(batched[:1], alone)


def test_cached_step_by_step_decoding_equals_full_recomputation():
    model = make_model()
    src = torch.cat([random_ids(2, 6), torch.tensor([[PAD, PAD], [9, 10]])], dim=1)
    tgt = torch.cat([torch.full((2, 1), BOS), random_ids(2, 6, seed=7)], dim=1)
    with torch.inference_mode():
        memory, mask = model.encode(src)
        full = model.decode(tgt, memory, mask)
        cache = model.new_kv_cache(memory, mask, max_len=tgt.size(1))
        steps = [model.decode(tgt[:, t : t + 1], memory, mask, cache=cache) for t in range(tgt.size(1))]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=1e-4, atol=1e-5)


def test_cached_decoding_accepts_several_tokens_at_once():
    model = make_model()
    src = random_ids(1, 6)
    tgt = torch.cat([torch.full((1, 1), BOS), random_ids(1, 6, seed=8)], dim=1)
    with torch.inference_mode():
        memory, mask = model.encode(src)
        full = model.decode(tgt, memory, mask)
        cache = model.new_kv_cache(memory, mask, max_len=8)
        first = model.decode(tgt[:, :3], memory, mask, cache=cache)
        rest = model.decode(tgt[:, 3:], memory, mask, cache=cache)
    torch.testing.assert_close(torch.cat([first, rest], dim=1), full, rtol=1e-4, atol=1e-5)


def test_loss_combines_token_and_intent_terms_and_ignores_padding():
    model = make_model()
    src = random_ids(2, 5)
    tgt_in = torch.tensor([[BOS, 5, 6, 7], [BOS, 8, 9, PAD]])
    tgt_out = torch.tensor([[5, 6, 7, EOS], [8, 9, EOS, PAD]])
    intents = torch.tensor([0, 2])
    with torch.inference_mode():
        _, _, none = model(src, tgt_in)
        _, _, token_loss = model(src, tgt_in, tgt_out)
        _, _, intent_loss = model(src, tgt_in, None, intents)
        _, _, both = model(src, tgt_in, tgt_out, intents, intent_loss_weight=0.5)
    assert none is None
    torch.testing.assert_close(both, token_loss + 0.5 * intent_loss)


def test_output_projection_is_tied_to_the_embedding():
    model = make_model()
    with torch.inference_mode():
        memory, mask = model.encode(random_ids(1, 3))
        model.token_embedding.weight[7].zero_()
        logits = model.decode(torch.tensor([[BOS]]), memory, mask)
    assert logits[0, 0, 7].item() == 0.0


def test_the_lean_decoder_step_equals_full_recomputation_even_after_dropping_rows():
    model = make_model()
    src = torch.cat([random_ids(3, 6), torch.tensor([[PAD, PAD], [9, 10], [11, PAD]])], dim=1)
    tgt = torch.cat([torch.full((3, 1), BOS), random_ids(3, 6, seed=9)], dim=1)
    step = DecoderStep(model)
    with torch.inference_mode():
        memory, mask = model.encode(src)
        full = model.decode(tgt, memory, mask)  # (3, 7, V)
        cache = model.new_kv_cache(memory, mask, max_len=tgt.size(1))
        stepped = [step(tgt[:, t], cache) for t in range(4)]
        cache.select_rows(torch.tensor([2, 0]))  # row 1 finished; the others swap places
        stepped_after = [step(tgt[[2, 0], t], cache) for t in range(4, 7)]
    torch.testing.assert_close(torch.stack(stepped, dim=1), full[:, :4], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(torch.stack(stepped_after, dim=1), full[[2, 0], 4:], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("rows", [1, 5])
def test_the_decoder_step_with_onednn_packed_matrices_equals_full_recomputation(rows):
    torch.manual_seed(0)
    config = ModelConfig.preset("small", intents=("billing", "shipping"), vocab_size=8000)
    model = Seq2SeqTransformer(config).eval()
    step = DecoderStep(model)
    if torch.backends.mkldnn.is_available():  # the small shape is big enough for the packed kernels
        assert step.output_projection.packed is not None and step.layers[0].up.packed is not None
    src = random_ids(rows, 12)
    tgt = torch.cat([torch.full((rows, 1), BOS), random_ids(rows, 5, seed=9)], dim=1)
    with torch.inference_mode():
        memory, mask = model.encode(src)
        full = model.decode(tgt, memory, mask)
        cache = model.new_kv_cache(memory, mask, max_len=tgt.size(1))
        stepped = torch.stack([step(tgt[:, t], cache) for t in range(tgt.size(1))], dim=1)
    torch.testing.assert_close(stepped, full, rtol=1e-4, atol=2e-4)


def test_the_lean_decoder_step_leaves_quantized_models_to_decode():
    model = make_model()
    assert DecoderStep.supports(model)
    assert not DecoderStep.supports(quantize_dynamic_int8(model))


def test_the_packed_decoder_step_follows_changes_to_the_weights():
    model = make_model()
    src, token = random_ids(1, 5), torch.tensor([BOS])
    first = decoder_step_for(model)
    assert decoder_step_for(model) is first  # packed once while the weights stay the same
    with torch.no_grad():
        model.decoder_layers[0].feed_forward.up.weight.mul_(2.0)  # what an optimizer step does: in place
    with torch.inference_mode():
        memory, mask = model.encode(src)
        cache = model.new_kv_cache(memory, mask, max_len=1)
        stepped = decoder_step_for(model)(token, cache)
        expected = model.decode(token[:, None], memory, mask)[:, -1]
    torch.testing.assert_close(stepped, expected, rtol=1e-4, atol=1e-5)
