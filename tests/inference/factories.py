"""Small data files and tiny trained models for the inference tests (CPU, seconds)."""

import json
from pathlib import Path

from inference.train import TrainConfig, train

SHOP_EXAMPLES = {
    "track_order": (
        [
            "where is my order",
            "track my parcel please",
            "has my order shipped yet",
            "where is order 1234",
            "my package has not arrived",
            "status of my order",
        ],
        "Your order {{Order Number}} is on its way.",
    ),
    "get_refund": (
        [
            "i want a refund",
            "refund please",
            "give me my money back",
            "how do i get a refund",
            "the jacket was broken, refund",
            "can i get my money back",
        ],
        "I have started your refund. Call {{Customer Support Phone Number}} with any questions.",
    ),
    "greeting": (
        ["hi", "hello", "good morning", "hey there", "hello, anyone there?", "hi, i need help"],
        "Hello! How can I help you today?",
    ),
}


def write_shop_jsonl(path: Path) -> Path:
    lines = [
        json.dumps(
            {"context": [{"role": "customer", "text": message}], "response": response, "intent": intent}
        )
        for intent, (messages, response) in SHOP_EXAMPLES.items()
        for message in messages
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def train_tiny(data: Path, model_root: Path, *, epochs: int = 60, **overrides) -> Path:
    """A tiny model that memorises the shop examples; every example in train (no dev split)."""
    settings = dict(
        preset="tiny",
        epochs=epochs,
        batch_size=6,
        learning_rate=1e-2,
        warmup_steps=10,
        label_smoothing=0.0,
        dev_fraction=0.0,
        threads=1,
        progress=False,
    )
    config = TrainConfig(data=[str(data)], model_root=str(model_root), **{**settings, **overrides})
    return train(config)
