"""A scripted reply engine for fast consumer unit tests (the integration tests use the real tiny model)."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from inference.serving import Reply


@dataclass
class ScriptedEngine:
    """Answers every message with `text`, streamed word by word; or raises `error`."""

    text: str = "Thanks for asking {{Company Name}}. Your order ships today."
    error: Exception | None = None
    version: str = "scripted-test"
    calls: list[dict[str, Any]] = field(default_factory=list)

    def reply(
        self,
        turns: Sequence[Any],
        *,
        slots: Mapping[str, str] | None = None,
        on_delta: Callable[[str], None] | None = None,
    ) -> Reply:
        self.calls.append({"turns": list(turns), "slots": dict(slots or {})})
        if self.error is not None:
            raise self.error
        text = self.text.replace("{{Company Name}}", (slots or {}).get("Company Name", ""))
        pieces = [word + " " for word in text.split(" ")]
        pieces[-1] = pieces[-1].rstrip(" ")
        for piece in pieces:
            if on_delta is not None:
                on_delta(piece)
        return Reply(
            text=text,
            raw_text=self.text,
            intent="track_order",
            intent_probability=0.9,
            confidence=0.8,
            token_count=len(pieces),
            first_token_seconds=0.01,
            total_seconds=0.05,
            model_version=self.version,
        )
