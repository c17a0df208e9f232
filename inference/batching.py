"""Dynamic batching: replies requested at the same time by many threads are decoded as one batch.

A worker answering many customers at once (a Celery worker with a thread pool, or the embedded server's
reply threads) calls `ReplyBatcher.reply` from each thread. One decoding thread takes whatever requests are
waiting (up to `max_batch_size`, after waiting at most `max_wait_seconds` for company), runs them through
`ReplyEngine.reply_batch`, and hands every row's text deltas back to the thread that asked. Batched
decoding gives each row the same text as decoding it alone (tested in the serving tests), so batching
changes throughput, never answers.

The deltas are delivered in the caller's own thread: its callback may use thread-bound state (a database
connection, the event loop it sends socket frames through) and may raise to abandon its reply (a customer
handed to staff mid-reply), which stops that reply only; the batch goes on for the others.

A request that arrives while a batch is decoding waits for that batch to finish (request-level batching,
not token-level: rows do not join a running decoding).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from inference.serving import Reply, ReplyEngine, Turn

__all__ = ["BatchFailed", "BatcherClosed", "ReplyBatcher"]


class BatchFailed(RuntimeError):
    """The batched decoding this reply was part of raised; the cause is chained."""


class BatcherClosed(RuntimeError):
    """The batcher was closed (its model replaced) before this reply was queued."""


@dataclass(eq=False)
class _Request:
    turns: Sequence[Turn]
    slots: Mapping[str, str] | None
    submitted: float
    # Text deltas (str), then the Reply or the exception that ended it.
    outbox: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)
    abandoned: bool = False


class _Stop:
    """Put on the queue to end the decoding thread once the requests before it are answered."""


class ReplyBatcher:
    """`reply(turns, slots=..., on_delta=...)` like `ReplyEngine.reply`, safe to call from many threads at
    once; concurrent calls share one batched decoding."""

    def __init__(self, engine: ReplyEngine, *, max_batch_size: int = 16, max_wait_seconds: float = 0.005):
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
        if max_wait_seconds < 0:
            raise ValueError(f"max_wait_seconds cannot be negative, got {max_wait_seconds}")
        self.engine = engine
        self.max_batch_size = max_batch_size
        self.max_wait_seconds = max_wait_seconds
        self.batch_sizes: list[int] = []  # one entry per decoded batch, for benchmarks and tests
        self._pending: queue.SimpleQueue[_Request | _Stop] = queue.SimpleQueue()
        # Queueing and closing exclude each other: every request queued before the stop marker is answered,
        # and none can be queued after it (it would wait forever).
        self._queueing = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._decode_forever, name="reply-batcher", daemon=True)
        self._thread.start()

    @property
    def version(self) -> str:
        return self.engine.version

    def reply(
        self,
        turns: Sequence[Turn],
        *,
        slots: Mapping[str, str] | None = None,
        on_delta: Callable[[str], None] | None = None,
    ) -> Reply:
        """Answer the newest turn (see `ReplyEngine.reply`); blocks until this reply is complete.

        Timings count from this call, so they include the wait for a batch to start.
        """
        self.engine.render(turns)  # a malformed conversation fails here, alone, not in someone's batch
        request = _Request(turns=turns, slots=slots, submitted=time.perf_counter())
        with self._queueing:
            if self._closed:
                raise BatcherClosed(f"model {self.version} was replaced; ask again")
            self._pending.put(request)
        first_delta_at = None
        try:
            while True:
                item = request.outbox.get()
                if isinstance(item, str):
                    first_delta_at = first_delta_at or time.perf_counter()
                    if on_delta is not None:
                        on_delta(item)
                elif isinstance(item, Reply):
                    finished = time.perf_counter()
                    return replace(
                        item,
                        first_token_seconds=(first_delta_at or finished) - request.submitted,
                        total_seconds=finished - request.submitted,
                    )
                else:
                    raise item
        finally:
            request.abandoned = True  # an exception in on_delta: the decoding thread stops feeding this row

    def close(self, *, wait: bool = True) -> None:
        """Refuse new requests, answer what is queued, then end the decoding thread (an engine being
        replaced); `wait` until it has ended."""
        with self._queueing:
            if not self._closed:
                self._closed = True
                self._pending.put(_Stop())
        if wait:
            self._thread.join()

    def _decode_forever(self) -> None:
        while True:
            batch, stop = self._next_batch()
            if batch:
                self._decode(batch)
            if stop:
                return

    def _next_batch(self) -> tuple[list[_Request], bool]:
        first = self._pending.get()
        if isinstance(first, _Stop):
            return [], True
        batch = [first]
        deadline = time.perf_counter() + self.max_wait_seconds
        while len(batch) < self.max_batch_size:
            try:
                item = self._pending.get(timeout=max(deadline - time.perf_counter(), 0))
            except queue.Empty:
                break
            if isinstance(item, _Stop):
                return batch, True
            batch.append(item)
        return batch, False

    def _decode(self, batch: list[_Request]) -> None:
        def feed(request: _Request) -> Callable[[str], None]:
            def deliver(delta: str) -> None:
                if not request.abandoned:
                    request.outbox.put(delta)

            return deliver

        self.batch_sizes.append(len(batch))
        try:
            replies = self.engine.reply_batch(
                [request.turns for request in batch],
                slots=[request.slots for request in batch],
                on_delta=[feed(request) for request in batch],
            )
        except Exception as error:  # the model failed: every caller of this batch learns why
            for request in batch:
                failure = BatchFailed(f"the batched decoding failed: {error}")
                failure.__cause__ = error
                request.outbox.put(failure)
            return
        for request, reply in zip(batch, replies, strict=True):
            request.outbox.put(reply)
