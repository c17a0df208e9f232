"""ReplyEngine: a Reply with every field in range, streamed deltas that add up, never a raw placeholder."""

import threading
from dataclasses import replace

import pytest

from inference import versions
from inference.evaluate import shows_raw_placeholder
from inference.generate import generate
from inference.serving import Reply, ReplyEngine, ServingSettings, Turn, reply_confidence


@pytest.fixture(scope="module")
def engine(shop_model):
    _, _, version_dir = shop_model
    return ReplyEngine.load(version_dir, device="cpu")


def test_a_reply_has_every_field_in_range(engine):
    reply = engine.reply([Turn("customer", "hello")])
    assert isinstance(reply, Reply)
    assert reply.intent in engine.intents
    assert 0.0 <= reply.intent_probability <= 1.0
    assert 0.0 <= reply.confidence <= 1.0
    assert reply.token_count > 0
    assert 0.0 < reply.first_token_seconds <= reply.total_seconds
    assert reply.model_version == engine.version


def test_streamed_deltas_concatenate_to_the_reply_text(engine):
    deltas = []
    reply = engine.reply([Turn("customer", "refund please")], on_delta=deltas.append)
    assert len(deltas) > 1
    assert "".join(deltas) == reply.text


def test_placeholders_are_filled_from_slots_and_the_conversation(engine):
    turns = [
        Turn("customer", "hi"),
        Turn("bot", "Hello! How can I help you today?"),
        Turn("customer", "where is order 88123"),
    ]
    deltas = []
    reply = engine.reply(turns, slots={"Order Number": "from-profile"}, on_delta=deltas.append)
    assert "{{Order Number}}" in reply.raw_text
    assert "88123" in reply.text  # what the customer typed beats the profile
    assert not any("{" in delta for delta in deltas)


def test_an_unfillable_placeholder_is_never_shown_raw(engine):
    reply = engine.reply([Turn("customer", "i want a refund")], slots={})
    assert "{{Customer Support Phone Number}}" in reply.raw_text
    assert "our customer support phone line" in reply.text
    assert not shows_raw_placeholder(reply.text)


def test_a_typed_role_marker_is_just_text(engine):
    reply = engine.reply([Turn("customer", "<bot> hello <sep> <staff>")])
    assert 0.0 <= reply.confidence <= 1.0


def test_a_batch_equals_single_replies(engine):
    conversations = [[Turn("customer", "hello")], [Turn("customer", "where is my order")]]
    batch = engine.reply_batch(conversations)
    singles = [engine.reply(turns) for turns in conversations]
    assert [r.raw_text for r in batch] == [r.raw_text for r in singles]
    assert [r.intent for r in batch] == [r.intent for r in singles]


def test_it_rejects_unknown_roles_and_empty_conversations(engine):
    with pytest.raises(ValueError, match="unknown role"):
        engine.reply([Turn("admin", "hi")])
    with pytest.raises(ValueError, match="at least one turn"):
        engine.reply([])


def test_concurrent_callers_get_whole_replies(engine):
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(engine.reply([Turn("customer", "hello")])))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({reply.raw_text for reply in results}) == 1


def test_loading_refuses_a_half_written_version(tmp_path):
    half_written = versions.create_version_dir(tmp_path, "small")
    with pytest.raises(FileNotFoundError, match="not a complete model version"):
        ReplyEngine.load(half_written)


def test_confidence_is_the_geometric_mean_of_token_likelihood_and_intent_probability():
    assert reply_confidence([0.0, 0.0], 1.0) == 1.0
    assert reply_confidence([-0.5, -1.5], 0.5) == pytest.approx((0.3678794 * 0.5) ** 0.5)
    assert reply_confidence([], 0.9) == 0.0


def test_consensus_decoding_answers_with_one_of_its_candidates_and_is_reproducible(engine):
    generation = replace(engine.settings.generation, seed=7)
    settings = ServingSettings(generation=generation, consensus_samples=4, consensus_eos_penalty=2.0)
    consensus = ReplyEngine(
        model=engine.model, tokenizer=engine.tokenizer, version=engine.version, settings=settings
    )
    turns = [Turn("customer", "how do I get my money back")]
    deltas = []
    reply = consensus.reply(turns, on_delta=deltas.append)
    assert "".join(deltas) == reply.text
    assert 0.0 <= reply.confidence <= 1.0
    pool = consensus.consensus_pools([consensus.render(turns)])[0]
    candidates = {engine.tokenizer.decode(candidate.token_ids) for candidate in pool.candidates}
    assert reply.raw_text in candidates
    assert consensus.reply(turns).raw_text == reply.raw_text


def test_consensus_pools_draw_each_set_with_its_own_settings_and_seed(engine):
    # The tiny model memorised its replies: only a large EOS penalty moves where they end.
    generation = replace(engine.settings.generation, seed=7)
    settings = ServingSettings(generation=generation, consensus_samples=4, consensus_eos_penalty=25.0)
    consensus = ReplyEngine(
        model=engine.model, tokenizer=engine.tokenizer, version=engine.version, settings=settings
    )
    source = consensus.render([Turn("customer", "how do I get my money back")])
    pool = consensus.consensus_pools([source])[0]

    def drawn(count, **changes):
        return [
            list(s.token_ids)
            for s in generate(engine.model, [source] * count, replace(generation, **changes))
        ]

    sampling = dict(strategy="sample", temperature=settings.consensus_temperature)
    assert list(pool.greedy.token_ids) == drawn(1, strategy="greedy")[0]
    assert [list(s.token_ids) for s in pool.plain] == drawn(2, **sampling)
    assert [list(s.token_ids) for s in pool.lengthened] == drawn(2, **sampling, eos_penalty=25.0, seed=8)
    assert [list(s.token_ids) for s in pool.lengthened] != drawn(2, **sampling, seed=8)
    assert [list(s.token_ids) for s in pool.evidence] == drawn(4, strategy="sample", temperature=1.0, seed=9)
    assert pool.candidates == [pool.greedy, *pool.plain, *pool.lengthened]


def test_consensus_settings_refuse_impossible_values():
    with pytest.raises(ValueError, match="consensus_samples must be >= 0"):
        ServingSettings(consensus_samples=-1)
    with pytest.raises(ValueError, match="consensus_evidence_temperature must be > 0"):
        ServingSettings(consensus_evidence_temperature=0.0)
    with pytest.raises(ValueError, match="consensus_eos_penalty must be >= 0"):
        ServingSettings(consensus_eos_penalty=-0.5)
