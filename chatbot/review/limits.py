"""How long a corrected reply may be.

Two limits apply. A correction is a message a customer could have been sent, so it is held to the chat's
limit (CHATBOT_MAX_MESSAGE_CHARS), like anything staff write. And training must keep it whole:
`inference.train` cuts every reply to `max_target_len_cap - 1` tokenizer pieces. That cap and the
tokenizer are read from the model answering now (its metrics.json and tokenizer.model: no torch), so the
limit is the one a retrain with the same settings applies. Without a trained model only the first applies.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings

from chatbot.conversations import engine


@dataclass(frozen=True)
class CorrectionLimits:
    max_chars: int
    max_pieces: int | None  # None: no model to measure with
    count_pieces: Callable[[str], int] | None
    model_version: str


def correction_limits() -> CorrectionLimits:
    from inference.versions import METRICS_FILE, TOKENIZER_FILE

    unmeasured = CorrectionLimits(
        max_chars=settings.CHATBOT_MAX_MESSAGE_CHARS, max_pieces=None, count_pieces=None, model_version=""
    )
    model_dir = engine.model_dir_to_serve()
    if model_dir is None:
        return unmeasured
    tokenizer_path, metrics_path = model_dir / TOKENIZER_FILE, model_dir / METRICS_FILE
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        cap = int(metrics["train_config"]["max_target_len_cap"])
        count_pieces = _piece_counter(str(tokenizer_path), tokenizer_path.stat().st_mtime_ns)
    except (OSError, ValueError, KeyError, TypeError):
        return unmeasured  # a model trained before the cap was recorded, or a broken directory
    return CorrectionLimits(
        max_chars=settings.CHATBOT_MAX_MESSAGE_CHARS,
        max_pieces=cap - 1,  # the target's other position is the start token
        count_pieces=count_pieces,
        model_version=model_dir.name,
    )


@lru_cache(maxsize=4)
def _piece_counter(path: str, modified_ns: int) -> Callable[[str], int]:
    """One loaded tokenizer per file version (a few ms to load, cached for every later review)."""
    from inference.tokenizer import Tokenizer

    tokenizer = Tokenizer.load(Path(path))
    return lambda text: len(tokenizer.encode(text))
