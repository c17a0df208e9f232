"""Transcripts as CSV (every message, one row each) and JSONL (every bot reply in its context).

CSV is the full record: customer, bot, staff and system messages with the reply details, the customer's
vote and the review. JSONL is the training format `inference.data.read_jsonl` reads, one line per bot
reply ("context" the dialogue the model saw, "response" what the bot said, "intent" the bot's intent),
with the reply's details alongside; `evaluate_model` and `train_model` take it as it is.
"""

import csv
import json
from collections.abc import Iterator

from django.conf import settings
from django.db.models import QuerySet

from chatbot.conversations.models import Message
from chatbot.privacy.masking import public_contact_details
from chatbot.review.exports.context import messages_of, replies_in_context
from chatbot.review.exports.text import export_text

CSV_COLUMNS = [
    "conversation",
    "conversation_started",
    "conversation_status",
    "customer",
    "message",
    "time",
    "sender",
    "staff_member",
    "text",
    "reply_to",
    "intent",
    "intent_probability",
    "confidence",
    "latency_ms",
    "first_token_ms",
    "model_version",
    "customer_vote",
    "review",
    "review_reasons",
    "corrected_reply",
    "corrected_intent",
    "reviewer",
]
# A cell starting with one of these is a formula to a spreadsheet: "=HYPERLINK(...)" typed by a
# customer must not run on the reviewer's machine (OWASP "CSV injection"). Such cells get a leading "'".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Bot replies without a recorded intent: the label the model uses for "no intent" (inference/config.py).
UNKNOWN_INTENT = "unknown"


class _Echo:
    """A file-like object whose write() returns the line instead of storing it (Django's CSV recipe)."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def csv_lines(conversations: QuerySet) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    keep = public_contact_details()  # once per export: it may come from the database
    for message in messages_of(conversations):
        yield writer.writerow([csv_cell(value) for value in _csv_row(message, keep=keep)])


def _csv_row(message: Message, *, keep: list[str]) -> list[object]:
    conversation = message.conversation
    review = getattr(message, "annotation", None)
    return [
        conversation.public_id,
        conversation.created.isoformat(),
        conversation.status,
        conversation.customer.public_id,
        message.public_id,
        message.created.isoformat(),
        message.sender,
        message.author.get_username() if message.author else "",
        export_text(message.text, keep=keep),
        message.reply_to_public_id or "",
        message.intent,
        message.intent_probability,
        message.confidence,
        message.latency_ms,
        message.first_token_ms,
        message.model_version,
        message.feedback,
        review.verdict if review else "",
        ";".join(review.reasons) if review else "",
        export_text(review.corrected_reply, keep=keep) if review else "",
        review.corrected_intent if review else "",
        review.reviewer.get_username() if review and review.reviewer else "",
    ]


def jsonl_lines(conversations: QuerySet) -> Iterator[str]:
    found = replies_in_context(
        messages_of(conversations), turns=settings.CHATBOT_CONTEXT_TURNS, wanted=lambda reply: True
    )
    keep = public_contact_details()
    for item in found:
        reply, review = item.reply, getattr(item.reply, "annotation", None)
        record = {
            "context": [
                {"role": turn.sender, "text": export_text(turn.text, keep=keep)} for turn in item.context
            ],
            "response": export_text(reply.text, keep=keep),
            "intent": reply.intent or UNKNOWN_INTENT,
            "conversation": str(reply.conversation.public_id),
            "message": str(reply.public_id),
            "time": reply.created.isoformat(),
            "model_version": reply.model_version,
            "intent_probability": reply.intent_probability,
            "confidence": reply.confidence,
            "latency_ms": reply.latency_ms,
            "customer_vote": reply.feedback or None,
            "review": _review(review, keep=keep) if review else None,
        }
        yield json.dumps(record, ensure_ascii=False) + "\n"


def _review(review, *, keep: list[str]) -> dict:
    return {
        "verdict": review.verdict,
        "reasons": review.reasons,
        "corrected_reply": export_text(review.corrected_reply, keep=keep),
        "corrected_intent": review.corrected_intent,
        "reviewer": review.reviewer.get_username() if review.reviewer else "",
        "updated": review.updated.isoformat(),
    }
