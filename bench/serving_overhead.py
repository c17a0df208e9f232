"""What the serving path adds to raw generation: ReplyEngine.reply (streaming deltas, detokenising,
placeholder filling) against generate() on the same trained model and input, alternating in one process.

    python -m bench.serving_overhead --model var/models/bitext/<version>
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from inference.evaluate import resolve_model_dir
from inference.generate import GenerationSettings, generate
from inference.placeholders import DEFAULT_BUSINESS_PROFILE
from inference.serving import ReplyEngine, ServingSettings, Turn

NEW_TOKENS = 128
MESSAGE = "I need to cancel order 12345 and get a refund to my card, how long does it take?"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", required=True, help="a version directory or a model root (newest)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    generation = GenerationSettings(max_new_tokens=NEW_TOKENS, suppress_eos=True)
    engine = ReplyEngine.load(resolve_model_dir(args.model), settings=ServingSettings(generation=generation))
    turns = [Turn("customer", MESSAGE)]
    source = engine.render(turns)

    def raw() -> None:
        generate(engine.model, [source], generation)

    def served() -> None:
        engine.reply(turns, slots=DEFAULT_BUSINESS_PROFILE, on_delta=lambda delta: None)

    timings: dict[str, list[float]] = {"generate()": [], "ReplyEngine.reply()": []}
    raw(), served()  # warm-up
    for _ in range(args.rounds):
        for name, run in (("generate()", raw), ("ReplyEngine.reply()", served)):
            start = time.perf_counter()
            run()
            timings[name].append(time.perf_counter() - start)
    for name, seconds in timings.items():
        print(
            f"{name:22} {NEW_TOKENS / statistics.median(seconds):6.0f} tokens/s "
            f"(batch 1, {args.threads} threads)"
        )


if __name__ == "__main__":
    main()
