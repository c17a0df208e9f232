"""Versioned model directories under a model root: `<root>/YYYYMMDD-HHMMSS-<preset>/`.

Training writes into a fresh directory and writes the completeness marker last, after every other file is
closed; loaders only ever see directories with the marker, so a crashed or half-copied run is never served.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

COMPLETE_MARKER = "COMPLETE"
MODEL_FILE = "model.pt"
TOKENIZER_FILE = "tokenizer.model"
METRICS_FILE = "metrics.json"
TRAIN_LOG_FILE = "train_log.json"
LOSS_PLOT_FILE = "loss.png"
DATA_FILE = "data.json"
TRAIN_STATE_FILE = "train_state.pt"  # optimizer, schedule position and last weights, for --resume

_VERSION_NAME = re.compile(r"^(\d{8}-\d{6})-([A-Za-z0-9_]+)(?:-(\d+))?$")


def new_version_name(preset: str, *, now: datetime | None = None) -> str:
    """`YYYYMMDD-HHMMSS-<preset>` in UTC."""
    if not re.fullmatch(r"[A-Za-z0-9_]+", preset):
        raise ValueError(f"preset name {preset!r} must be letters, digits or underscores")
    return f"{(now or datetime.now(UTC)):%Y%m%d-%H%M%S}-{preset}"


def create_version_dir(root: Path | str, preset: str, *, now: datetime | None = None) -> Path:
    """Make a new, empty version directory; a second one in the same second gets a `-2`, `-3` suffix."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    name = new_version_name(preset, now=now)
    for attempt in range(1, 1000):
        candidate = root / (name if attempt == 1 else f"{name}-{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise RuntimeError(f"could not create a version directory for {name} under {root}")


def mark_complete(version_dir: Path | str) -> None:
    """Write the marker (listing the files it vouches for) atomically, as the very last step."""
    version_dir = Path(version_dir)
    files = sorted(path.name for path in version_dir.iterdir() if path.is_file())
    temporary = version_dir / f".{COMPLETE_MARKER}.tmp"
    temporary.write_text(json.dumps({"files": files}, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, version_dir / COMPLETE_MARKER)


def is_complete(version_dir: Path | str) -> bool:
    return (Path(version_dir) / COMPLETE_MARKER).is_file()


def _sort_key(path: Path) -> tuple[str, int]:
    match = _VERSION_NAME.match(path.name)
    assert match is not None
    return match.group(1), int(match.group(3) or 1)


def list_versions(root: Path | str) -> list[Path]:
    """Complete version directories under `root`, oldest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [path for path in root.iterdir() if _VERSION_NAME.match(path.name) and is_complete(path)]
    return sorted(found, key=_sort_key)


def latest_version(root: Path | str) -> Path | None:
    """The newest complete version directory, or None when there is none."""
    versions = list_versions(root)
    return versions[-1] if versions else None
