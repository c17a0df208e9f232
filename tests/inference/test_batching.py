"""ReplyBatcher: concurrent callers share batches, get the text they would get alone, and fail alone."""

import threading

import pytest

from inference.batching import BatcherClosed, BatchFailed, ReplyBatcher
from inference.serving import ReplyEngine, Turn

MESSAGES = ["hello", "where is my order", "refund please", "hi there", "track my parcel", "money back"]


@pytest.fixture(scope="module")
def engine(shop_model):
    _, _, version_dir = shop_model
    return ReplyEngine.load(version_dir, device="cpu")


@pytest.fixture
def batcher(engine):
    # A long wait for company: threads started together surely land in one batch.
    batcher = ReplyBatcher(engine, max_batch_size=8, max_wait_seconds=0.5)
    yield batcher
    batcher.close()


def in_threads(call, arguments):
    """call(argument) in one thread per argument, all started together; results and errors by index."""
    results, errors = {}, {}
    start = threading.Barrier(len(arguments))

    def run(index, argument):
        start.wait()
        try:
            results[index] = call(argument)
        except Exception as error:
            errors[index] = error

    threads = [threading.Thread(target=run, args=item) for item in enumerate(arguments)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


def test_concurrent_replies_are_batched_and_equal_one_at_a_time_replies(engine, batcher):
    deltas = {message: [] for message in MESSAGES}

    def ask(message):
        return batcher.reply([Turn("customer", message)], on_delta=deltas[message].append)

    results, errors = in_threads(ask, MESSAGES)
    assert not errors
    assert max(batcher.batch_sizes) > 1 and sum(batcher.batch_sizes) == len(MESSAGES)
    for index, message in enumerate(MESSAGES):
        alone = engine.reply([Turn("customer", message)])
        assert (results[index].raw_text, results[index].intent) == (alone.raw_text, alone.intent)
        assert "".join(deltas[message]) == results[index].text
        assert 0 < results[index].first_token_seconds <= results[index].total_seconds


def test_a_caller_that_abandons_its_reply_stops_only_its_own(batcher):
    class Abandoned(Exception):
        pass

    def ask(message):
        def on_delta(_delta):
            if message == "refund please":
                raise Abandoned

        return batcher.reply([Turn("customer", message)], on_delta=on_delta)

    results, errors = in_threads(ask, MESSAGES)
    assert list(errors) == [MESSAGES.index("refund please")]
    assert isinstance(errors[MESSAGES.index("refund please")], Abandoned)
    assert all(reply.text for reply in results.values()) and len(results) == len(MESSAGES) - 1


def test_a_malformed_conversation_fails_alone_before_it_is_queued(batcher):
    with pytest.raises(ValueError, match="unknown role"):
        batcher.reply([Turn("admin", "hi")])
    assert batcher.batch_sizes == []
    assert batcher.reply([Turn("customer", "hello")]).text


def test_a_failing_decoding_fails_every_reply_of_its_batch_with_the_cause(engine, monkeypatch):
    batcher = ReplyBatcher(engine, max_batch_size=8, max_wait_seconds=0.5)

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(engine, "reply_batch", broken)
    _, errors = in_threads(lambda message: batcher.reply([Turn("customer", message)]), MESSAGES[:3])
    assert len(errors) == 3
    for error in errors.values():
        assert isinstance(error, BatchFailed) and "out of memory" in str(error)
        assert isinstance(error.__cause__, RuntimeError)
    monkeypatch.undo()
    assert batcher.reply([Turn("customer", "hello")]).text  # the decoding thread lives on
    batcher.close()


def test_close_answers_what_is_queued_then_ends_the_thread(engine, monkeypatch):
    batcher = ReplyBatcher(engine, max_batch_size=2, max_wait_seconds=0.2)
    decoding, release = threading.Event(), threading.Event()
    real_reply_batch = engine.reply_batch

    def held_reply_batch(*args, **kwargs):
        decoding.set()
        release.wait(timeout=30)
        return real_reply_batch(*args, **kwargs)

    monkeypatch.setattr(engine, "reply_batch", held_reply_batch)
    results = {}
    threads = [
        threading.Thread(target=lambda m=m: results.update({m: batcher.reply([Turn("customer", m)])}))
        for m in MESSAGES[:4]
    ]
    for thread in threads:
        thread.start()
    assert decoding.wait(timeout=30)
    while batcher._pending.qsize() < 2:  # the first batch holds two, the other two wait in the queue
        threading.Event().wait(0.01)
    batcher.close(wait=False)
    with pytest.raises(BatcherClosed, match="was replaced"):
        batcher.reply([Turn("customer", "hello")])
    release.set()
    for thread in threads:
        thread.join(timeout=60)
    batcher.close()
    assert sorted(results) == sorted(MESSAGES[:4]) and batcher.batch_sizes == [2, 2]
    assert not batcher._thread.is_alive()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_batch_size": 0}, "max_batch_size must be at least 1"),
        ({"max_wait_seconds": -1}, "max_wait_seconds cannot be negative"),
    ],
)
def test_it_refuses_impossible_settings(engine, options, message):
    with pytest.raises(ValueError, match=message):
        ReplyBatcher(engine, **options)
