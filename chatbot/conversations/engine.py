"""The reply engine of this process: loaded lazily on the first reply, once, and swapped when the
served model changes (an admin activates another version, or a newer directory appears).

Callers get the engine behind a `ReplyBatcher` (inference/batching.py): the replies several threads ask
for at the same time (a Celery worker's thread pool, the embedded server's reply threads) are decoded in
one batch.

Never loaded at import: a Celery prefork child must initialise torch (and CUDA) itself.
"""

import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from chatbot.conversations import selectors

if TYPE_CHECKING:
    from inference.batching import ReplyBatcher


class EngineUnavailable(Exception):
    """No trained model to answer with."""


_lock = threading.Lock()
_loaded: tuple[Path, "ReplyBatcher"] | None = None


def model_dir_to_serve() -> Path | None:
    """The active ModelVersion's directory, else the newest complete one under CHATBOT_MODEL_DIR."""
    # Imported here so web processes in distributed mode never import torch.
    from inference.versions import latest_version

    version = selectors.active_model_version()
    if version is not None:
        path = Path(version.path)
        return path if path.is_absolute() else Path(settings.CHATBOT_MODEL_DIR) / path
    latest = latest_version(Path(settings.CHATBOT_MODEL_DIR))
    return Path(latest) if latest is not None else None


def get_engine() -> "ReplyBatcher":
    """The engine for the model to serve now; loads it on first use or when that model changed."""
    global _loaded
    model_dir = model_dir_to_serve()
    if model_dir is None:
        raise EngineUnavailable(
            f"No trained model under {settings.CHATBOT_MODEL_DIR}: "
            "run `manage.py ensure_demo_model` or `manage.py train_model`."
        )
    with _lock:
        if _loaded is None or _loaded[0] != model_dir:
            import torch

            from inference.batching import ReplyBatcher
            from inference.serving import ReplyEngine

            if settings.CHATBOT_TORCH_THREADS:
                torch.set_num_threads(settings.CHATBOT_TORCH_THREADS)
            loaded = ReplyEngine.load(model_dir)
            if settings.CHATBOT_CONSENSUS_SAMPLES:
                loaded.settings = replace(
                    loaded.settings, consensus_samples=settings.CHATBOT_CONSENSUS_SAMPLES
                )
            if _loaded is not None:  # what the old model has queued is still answered, by it
                _loaded[1].close(wait=False)
            batcher = ReplyBatcher(
                loaded,
                max_batch_size=settings.CHATBOT_BATCH_MAX_SIZE,
                max_wait_seconds=settings.CHATBOT_BATCH_WAIT_MS / 1000,
            )
            _loaded = (model_dir, batcher)
        return _loaded[1]


def unload_engine() -> None:
    """Forget the loaded engine (tests that switch model roots)."""
    global _loaded
    with _lock:
        if _loaded is not None:
            _loaded[1].close(wait=False)
        _loaded = None
