"""Which intent does a model give to messages it never saw: off-topic ones and common on-topic requests?

    python -m bench.demo_probe --model var/models/demo/<version>

Prints intent, intent probability and confidence per message; docs/model.md quotes it for the demo model
(whether off-topic text is read as a complaint or a request for a person, which hands it to staff).
"""

from __future__ import annotations

import argparse

from inference.evaluate import resolve_model_dir
from inference.serving import ReplyEngine, Turn

OFF_TOPIC = (
    "what's the best pizza in town",
    "explain quantum physics",
    "can you book me a flight to paris",
    "who wrote hamlet",
    "zxcvbnm",
    "how do I change a flat tire",
    "what's the score of the match",
    "sing me a song",
    "how much is a bitcoin worth today",
    "what's the meaning of life",
)
ON_TOPIC = (
    "where is my order NW-48213?",
    "I want to return my boots",
    "my parcel never arrived and I'm furious",
    "can I talk to a human",
    "how long does delivery take",
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", required=True, help="a version directory or a model root (newest)")
    engine = ReplyEngine.load(resolve_model_dir(parser.parse_args().model))
    for group, messages in (("off-topic", OFF_TOPIC), ("on-topic", ON_TOPIC)):
        print(group)
        for text in messages:
            reply = engine.reply([Turn("customer", text)])
            print(
                f"  {text:42} {reply.intent:24} p={reply.intent_probability:.2f} "
                f"confidence={reply.confidence:.2f}"
            )


if __name__ == "__main__":
    main()
