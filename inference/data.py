"""Training data: readers for the Bitext CSV and our multi-turn JSONL, deduplication, the train/dev split.

Every reader validates the whole file before returning anything and names the row and the reason of the
first bad row in a `DataError`. The split is decided per example by a SHA-256 of its normalised context,
so it is the same on every run and machine, identical customer messages never straddle train and dev,
and adding rows never moves existing ones.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROLES = ("customer", "bot", "staff")
BITEXT_COLUMNS = ("instruction", "intent", "response")


class DataError(ValueError):
    """A malformed data file; the message names the file, the row or line, and what is wrong."""


@dataclass(frozen=True)
class Turn:
    role: str  # "customer" | "bot" | "staff"
    text: str


@dataclass(frozen=True)
class Example:
    context: tuple[Turn, ...]  # oldest first; the last turn is the one the response answers
    response: str  # the reference reply, with {{Placeholders}} unfilled
    intent: str
    origin: str  # "file:row" for messages and reports

    @property
    def message(self) -> str:
        """The text of the newest turn: the customer message being answered."""
        return self.context[-1].text


def read_examples(path: Path | str) -> list[Example]:
    """Read a `.csv` (Bitext columns) or `.jsonl` (our format) file."""
    path = Path(path)
    if path.suffix == ".csv":
        return read_bitext_csv(path)
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    raise DataError(f"{path}: unknown data format {path.suffix!r}; expected .csv or .jsonl")


def read_bitext_csv(path: Path | str) -> list[Example]:
    """Single-turn examples from the Bitext CSV: instruction -> response, with the intent label."""
    path = Path(path)
    examples = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in BITEXT_COLUMNS if column not in (reader.fieldnames or ())]
        if missing:
            raise DataError(f"{path}: missing columns {missing}; found {reader.fieldnames}")
        for row_number, row in enumerate(reader, start=1):
            where = f"{path.name}:{row_number}"
            for column in BITEXT_COLUMNS:
                if not (row[column] or "").strip():
                    raise DataError(f"{path}: row {row_number} (line {reader.line_num}): empty {column!r}")
            examples.append(
                Example(
                    context=(Turn("customer", row["instruction"].strip()),),
                    response=row["response"].strip(),
                    intent=row["intent"].strip(),
                    origin=where,
                )
            )
    return examples


def read_jsonl(path: Path | str) -> list[Example]:
    """Multi-turn examples: one `{"context": [{"role", "text"}, ...], "response", "intent"}` per line."""
    path = Path(path)
    examples = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                examples.append(_parse_jsonl_record(line, origin=f"{path.name}:{line_number}"))
            except DataError as error:
                raise DataError(f"{path}: line {line_number}: {error}") from None
    return examples


def _parse_jsonl_record(line: str, *, origin: str) -> Example:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise DataError(f"invalid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(record, dict):
        raise DataError(f"expected a JSON object, got {type(record).__name__}")
    context = record.get("context")
    if not isinstance(context, list) or not context:
        raise DataError("'context' must be a non-empty list of turns")
    turns = []
    for index, turn in enumerate(context):
        if not isinstance(turn, dict):
            raise DataError(f"context[{index}] must be an object with 'role' and 'text'")
        if turn.get("role") not in ROLES:
            raise DataError(f"context[{index}].role must be one of {list(ROLES)}, got {turn.get('role')!r}")
        text = turn.get("text")
        if not isinstance(text, str) or not text.strip():
            raise DataError(f"context[{index}].text must be a non-empty string")
        turns.append(Turn(turn["role"], text.strip()))
    for field in ("response", "intent"):
        value = record.get(field)
        if not isinstance(value, str) or not value.strip():
            raise DataError(f"{field!r} must be a non-empty string")
    return Example(
        context=tuple(turns),
        response=record["response"].strip(),
        intent=record["intent"].strip(),
        origin=origin,
    )


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _context_key(example: Example) -> str:
    return "\n".join(f"{turn.role}: {_normalise(turn.text)}" for turn in example.context)


def deduplicate(examples: Iterable[Example]) -> list[Example]:
    """Drop repeats of the same context and reply (case and spacing ignored); the first one stays."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for example in examples:
        key = (_context_key(example), _normalise(example.response))
        if key not in seen:
            seen.add(key)
            unique.append(example)
    return unique


def split_position(example: Example) -> float:
    """A stable number in [0, 1) from the example's context: below the dev fraction means dev."""
    digest = hashlib.sha256(_context_key(example).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_train_dev(
    examples: Sequence[Example], *, dev_fraction: float = 0.1
) -> tuple[list[Example], list[Example]]:
    """Deterministic hash-based split; an intent whose every example hashed into dev gets one back.

    Intents with enough examples land in dev at close to `dev_fraction` (a per-example coin flip that is
    the same everywhere), and every intent is present in train so the intent head can learn it.
    """
    if not 0.0 <= dev_fraction < 1.0:
        raise ValueError(f"dev_fraction must be in [0, 1), got {dev_fraction}")
    train = [example for example in examples if split_position(example) >= dev_fraction]
    dev = [example for example in examples if split_position(example) < dev_fraction]
    train_intents = {example.intent for example in train}
    for intent in sorted({example.intent for example in dev} - train_intents):
        rescued = max((example for example in dev if example.intent == intent), key=split_position)
        dev.remove(rescued)
        train.append(rescued)
    return train, dev


def file_sha256(paths: Iterable[Path | str]) -> str:
    """One checksum over the bytes of the data files, in order: records which data a model saw."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def load_split(
    paths: Sequence[Path | str], *, dev_fraction: float = 0.1
) -> tuple[list[Example], list[Example]]:
    """Read every file, drop duplicates across them, and split: what training and evaluation both use."""
    examples = deduplicate(example for path in paths for example in read_examples(path))
    return split_train_dev(examples, dev_fraction=dev_fraction)
