"""The sentencepiece tokenizer: special symbols, conversation rendering and streaming detokenisation.

Ids 0-3 are pad/unk/bos/eos. The role markers and the turn separator are sentencepiece CONTROL symbols:
`encode()` never produces them from text, so a customer who types "<bot>" gets ordinary pieces and cannot
forge a turn; `render_conversation()` inserts them by id. Every `{{Placeholder}}` seen in the training
replies is a USER-DEFINED symbol, so the model writes a placeholder as one piece and serving can fill it
as it streams. Normalisation is the identity and byte fallback is on: any Unicode text (Chinese, emoji,
newlines, double spaces) round-trips exactly.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

import sentencepiece as spm

PAD_ID, UNK_ID, BOS_ID, EOS_ID = 0, 1, 2, 3
ROLE_MARKERS = {"customer": "<customer>", "bot": "<bot>", "staff": "<staff>"}
SEPARATOR = "<sep>"
CONTROL_SYMBOLS = (*ROLE_MARKERS.values(), SEPARATOR)

# A placeholder as written in the training replies. Names with commas or quotes are left to ordinary
# pieces: sentencepiece receives the symbol list as one comma-separated string.
PLACEHOLDER_PATTERN = re.compile(r"\{\{[^{}\n]{1,80}\}\}")
_SAFE_SYMBOL = re.compile(r"\{\{[^{}\n,\"]{1,80}\}\}")
_WORD_BOUNDARY = "\u2581"  # sentencepiece's "▁": a space inside a piece


class TurnLike(Protocol):
    role: str
    text: str


def find_placeholders(texts: Iterable[str]) -> list[str]:
    """Every distinct `{{Placeholder}}` in `texts`, sorted, that can become one sentencepiece symbol."""
    found = {match for text in texts for match in PLACEHOLDER_PATTERN.findall(text)}
    return sorted(symbol for symbol in found if _SAFE_SYMBOL.fullmatch(symbol))


def train_tokenizer(
    *, texts: Sequence[str], placeholders: Iterable[str], model_path: Path, vocab_size: int
) -> Tokenizer:
    """Train a unigram model on `texts` (customer messages and replies) and write it to `model_path`.

    Pieces may span spaces (`split_by_whitespace=False`): support replies repeat whole phrases, and
    multi-word pieces cut the reply length by about a third, which is training and decoding time.
    `vocab_size` is an upper bound; a small corpus gets the vocabulary it can fill.
    """
    if not texts:
        raise ValueError("cannot train a tokenizer on no text")
    if vocab_size < 1:
        raise ValueError(f"cannot train a tokenizer of up to {vocab_size} pieces: it needs at least one")
    # In symbols, a space must be written as "▁" or sentencepiece never matches them against text.
    symbols = [symbol.replace(" ", _WORD_BOUNDARY) for symbol in placeholders]
    model = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(texts),
            model_writer=model,
            model_type="unigram",
            vocab_size=vocab_size,
            hard_vocab_limit=False,
            pad_id=PAD_ID,
            unk_id=UNK_ID,
            bos_id=BOS_ID,
            eos_id=EOS_ID,
            control_symbols=list(CONTROL_SYMBOLS),
            user_defined_symbols=symbols,
            byte_fallback=True,
            character_coverage=1.0,
            normalization_rule_name="identity",
            remove_extra_whitespaces=False,
            split_by_whitespace=False,
            split_digits=True,  # order numbers are copied digit by digit
            max_sentence_length=16384,
            num_threads=1,
            minloglevel=2,
        )
    except RuntimeError as error:
        # sentencepiece says "INTERNAL: <source>(<line>) [<check>] <reason>"; only the reason helps a user.
        reason = str(error).rpartition("] ")[2].strip() or str(error)
        raise ValueError(
            f"cannot train a tokenizer of up to {vocab_size} pieces on this text: {reason}"
        ) from error
    model_path = Path(model_path)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    model_path.write_bytes(model.getvalue())
    return Tokenizer.load(model_path)


class Tokenizer:
    """A loaded sentencepiece model plus the conversation format the model was trained on."""

    def __init__(self, model_bytes: bytes) -> None:
        self._processor = spm.SentencePieceProcessor()
        try:
            self._processor.LoadFromSerializedProto(model_bytes)
        except (OSError, RuntimeError) as error:
            raise ValueError(f"not a sentencepiece model: {error}") from error
        if self._processor.get_piece_size() == 0:
            raise ValueError("not a sentencepiece model: it has no pieces")
        self.sha256 = hashlib.sha256(model_bytes).hexdigest()
        self.vocab_size = self._processor.get_piece_size()
        self.pad_id, self.unk_id, self.bos_id, self.eos_id = PAD_ID, UNK_ID, BOS_ID, EOS_ID
        self.role_ids = {role: self._control_id(marker) for role, marker in ROLE_MARKERS.items()}
        self.sep_id = self._control_id(SEPARATOR)
        self.placeholder_ids = frozenset(
            index
            for index in range(self.vocab_size)
            if PLACEHOLDER_PATTERN.fullmatch(self.id_to_piece(index).replace(_WORD_BOUNDARY, " "))
        )

    @classmethod
    def load(cls, model_path: Path | str) -> Tokenizer:
        return cls(Path(model_path).read_bytes())

    def _control_id(self, symbol: str) -> int:
        index = self._processor.piece_to_id(symbol)
        if not self._processor.is_control(index):
            raise ValueError(f"tokenizer model lacks the control symbol {symbol}")
        return index

    def encode(self, text: str) -> list[int]:
        """Ordinary pieces only: control symbols cannot come out of text."""
        return self._processor.encode(text)

    def decode(self, ids: Sequence[int]) -> str:
        """Text of `ids`; pad, bos, eos and control symbols decode to nothing."""
        return self._processor.decode(list(ids))

    def id_to_piece(self, index: int) -> str:
        return self._processor.id_to_piece(index)

    def render_turn(self, turn: TurnLike) -> list[int]:
        if turn.role not in self.role_ids:
            raise ValueError(f"unknown role {turn.role!r}; expected one of {sorted(self.role_ids)}")
        return [self.role_ids[turn.role], *self.encode(turn.text), self.sep_id]

    def render_conversation(
        self, turns: Sequence[TurnLike], *, max_len: int, max_turns: int = 6
    ) -> list[int]:
        """Encoder input `<role> text <sep> <role> text <sep> ...` for the last `max_turns` turns.

        The newest turn (the one being answered) is always kept; if it alone is too long, its middle is
        cut, because customers state the problem at the start and ask the question at the end. Older turns
        are dropped oldest first until the rest fits in `max_len`.
        """
        if not turns:
            raise ValueError("a conversation needs at least one turn")
        if max_len < 3:
            raise ValueError(f"max_len {max_len} cannot hold a role marker, text and separator")
        recent = list(turns)[-max_turns:]
        newest = self.render_turn(recent[-1])
        if len(newest) > max_len:
            text_ids = newest[1:-1]
            budget = max_len - 2
            head = budget // 2
            newest = [newest[0], *text_ids[:head], *text_ids[len(text_ids) - (budget - head) :], newest[-1]]
        rendered = newest
        for turn in reversed(recent[:-1]):
            earlier = self.render_turn(turn)
            if len(earlier) + len(rendered) > max_len:
                break
            rendered = earlier + rendered
        return rendered

    def stream_decoder(self) -> StreamDecoder:
        return StreamDecoder(self)


class StreamDecoder:
    """Turns generated ids into text deltas whose concatenation is exactly `decode(all ids)`.

    Each push decodes the whole sequence so far (sentencepiece handles "▁" word boundaries and the dropped
    leading space) and emits what is new. A byte-fallback character split over several pieces decodes to
    U+FFFD until its last byte arrives, so trailing U+FFFD is held back until more ids or `finish()`.
    """

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tokenizer = tokenizer
        self._ids: list[int] = []
        self._emitted = ""

    @property
    def text(self) -> str:
        """Text emitted so far."""
        return self._emitted

    def push(self, token_id: int) -> str:
        self._ids.append(token_id)
        decoded = self._tokenizer.decode(self._ids)
        stable = decoded.rstrip("\ufffd")
        return self._advance(stable)

    def finish(self) -> str:
        return self._advance(self._tokenizer.decode(self._ids))

    def _advance(self, decoded: str) -> str:
        if not decoded.startswith(self._emitted):
            # Not expected from sentencepiece; wait for the final text rather than emit a wrong prefix.
            return ""
        delta = decoded[len(self._emitted) :]
        self._emitted = decoded
        return delta
