"""An intent-conditioned decoder: the intent embedding rides on the first target position, in training from
the gold intent, in generation from the intent head's choice, and every decoding path agrees on it."""

import torch

from inference.checkpoint import load_model, save_checkpoint
from inference.config import ModelConfig
from inference.decoder_step import DecoderStep
from inference.generate import GenerationSettings, generate
from inference.serving import ReplyEngine, Turn
from tests.inference.factories import train_tiny, write_shop_jsonl
from tests.inference.test_model import BOS, make_model, random_ids


def conditioned_model(seed: int = 0):
    model = make_model(seed, intent_conditioned=True)
    with torch.no_grad():  # decisive intent embeddings: a wrong one would change the logits visibly
        model.intent_embedding.weight.mul_(3.0)
    return model


def test_only_a_conditioned_model_has_an_intent_embedding():
    assert make_model().decoder_start_bias(torch.tensor([0])) is None
    model = conditioned_model()
    assert model.decoder_start_bias(torch.tensor([0, 2])).shape == (2, model.config.d_model)


def test_the_intent_changes_the_reply_logits_from_the_first_position_on():
    model = conditioned_model()
    src, tgt = random_ids(1, 6), torch.cat([torch.tensor([[BOS]]), random_ids(1, 4, seed=2)], dim=1)
    with torch.inference_mode():
        memory, mask = model.encode(src)
        as_billing, as_refund = (
            model.decode(tgt, memory, mask, start_bias=model.decoder_start_bias(torch.tensor([intent])))
            for intent in (0, 2)
        )
    assert not torch.allclose(as_billing[:, 0], as_refund[:, 0])
    assert not torch.allclose(as_billing[:, -1], as_refund[:, -1])


def test_cached_and_lean_decoding_equal_full_recomputation_with_the_intent():
    model = conditioned_model()
    src = random_ids(3, 6)
    tgt = torch.cat([torch.full((3, 1), BOS), random_ids(3, 6, seed=9)], dim=1)
    intents = torch.tensor([2, 0, 1])
    with torch.inference_mode():
        memory, mask = model.encode(src)
        bias = model.decoder_start_bias(intents)
        full = model.decode(tgt, memory, mask, start_bias=bias)
        cache = model.new_kv_cache(memory, mask, max_len=tgt.size(1), start_bias=bias)
        cached = torch.cat([model.decode(tgt[:, t : t + 1], memory, mask, cache=cache) for t in range(7)], 1)
        step = DecoderStep(model)
        cache = model.new_kv_cache(memory, mask, max_len=tgt.size(1), start_bias=bias)
        cache.select_rows(torch.tensor([2, 0]))  # before the first step: the start bias follows its rows
        stepped = [step(tgt[[2, 0], t], cache) for t in range(7)]
    torch.testing.assert_close(cached, full, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(torch.stack(stepped, 1), full[[2, 0]], rtol=1e-4, atol=1e-5)


def test_training_conditions_on_the_gold_intent_and_falls_back_to_the_head_without_one():
    model = conditioned_model()
    src = random_ids(2, 6)
    tgt_in = torch.cat([torch.full((2, 1), BOS), random_ids(2, 4, seed=3)], dim=1)
    with torch.inference_mode():
        logits, intent_logits, _ = model(src, tgt_in, intent_ids=torch.tensor([1, -100]))
        memory, mask = model.encode(src)
        expected_intents = torch.tensor([1, int(intent_logits[1].argmax())])
        expected = model.decode(tgt_in, memory, mask, start_bias=model.decoder_start_bias(expected_intents))
    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-5)


def test_generation_follows_the_intent_head_in_every_strategy(monkeypatch):
    model = conditioned_model()
    sources = [random_ids(1, 5, seed=seed)[0].tolist() for seed in (4, 5)]
    runs = {}
    for forced in (0, 2):

        def head(memory, mask, forced=forced):
            logits = torch.zeros(memory.size(0), len(model.config.intents))
            logits[:, forced] = 5.0
            return logits

        monkeypatch.setattr(model, "classify_intent", head)
        for strategy in ("greedy", "beam"):
            settings = GenerationSettings(max_new_tokens=8, strategy=strategy, num_beams=3)
            runs[forced, strategy] = [result.token_ids for result in generate(model, sources, settings)]
            assert all(result.intent_id == forced for result in generate(model, sources, settings))
    assert runs[0, "greedy"] != runs[2, "greedy"]
    assert runs[0, "beam"] != runs[2, "beam"]


def test_batched_generation_equals_one_at_a_time_with_the_intent():
    model = conditioned_model()
    sources = [random_ids(1, length, seed=length)[0].tolist() for length in (3, 7, 5)]
    settings = GenerationSettings(max_new_tokens=10)
    batched = [result.token_ids for result in generate(model, sources, settings)]
    assert batched == [generate(model, [source], settings)[0].token_ids for source in sources]


def test_a_conditioned_checkpoint_loads_with_identical_outputs(tmp_path):
    model = conditioned_model()
    save_checkpoint(tmp_path / "model.pt", model)
    loaded = load_model(tmp_path / "model.pt", device="cpu")
    assert loaded.config.intent_conditioned
    sources = [random_ids(1, 6)[0].tolist()]
    settings = GenerationSettings(max_new_tokens=8)
    assert generate(loaded, sources, settings)[0].token_ids == generate(model, sources, settings)[0].token_ids


def test_a_config_written_before_conditioning_existed_loads_unconditioned():
    data = ModelConfig.preset("tiny").to_dict()
    del data["intent_conditioned"]
    assert ModelConfig.from_dict(data).intent_conditioned is False


def test_a_conditioned_tiny_model_learns_the_shop_replies(tmp_path):
    data = write_shop_jsonl(tmp_path / "shop.jsonl")
    version_dir = train_tiny(data, tmp_path / "models", epochs=40, intent_conditioning=True)
    engine = ReplyEngine.load(version_dir, device="cpu")
    assert engine.model.config.intent_conditioned
    reply = engine.reply([Turn("customer", "refund please")])
    assert reply.intent == "get_refund"
    assert reply.raw_text.startswith("I have started your refund.")
