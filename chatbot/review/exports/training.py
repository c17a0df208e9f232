"""Corrected replies as training pairs, in the format `inference.data.read_jsonl` reads:

    {"context": [{"role": "customer", "text": ...}, ...], "response": <corrected reply>, "intent": ...}

The context is the dialogue the model saw (CHATBOT_CONTEXT_TURNS turns up to the customer message); the
response is the reviewer's correction with the business profile's placeholders put back; the intent is
the reviewer's corrected intent, else the bot's. Every text goes through `export_text`.
"""

import datetime
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet

from chatbot.conversations.models import Conversation, Message
from chatbot.customers.business import business_profile
from chatbot.review.exports.context import ReplyInContext, messages_of, replies_in_context
from chatbot.review.exports.text import export_text
from chatbot.review.models import Annotation


def corrections(*, since: datetime.datetime | None = None) -> QuerySet:
    """Annotations with a corrected reply (saved at or after `since`)."""
    found = Annotation.objects.exclude(corrected_reply="")
    return found.filter(updated__gte=since) if since is not None else found


def conversations_with_corrections(
    conversations: QuerySet, *, since: datetime.datetime | None = None
) -> QuerySet:
    in_conversation = corrections(since=since).filter(message__conversation=OuterRef("pk"))
    return conversations.filter(Exists(in_conversation))


def training_records(conversations: QuerySet, *, since: datetime.datetime | None = None) -> Iterator[dict]:
    """One record per corrected reply in `conversations`, oldest conversation first."""
    chosen = conversations_with_corrections(conversations, since=since)

    def corrected(reply: Message) -> bool:
        annotation = getattr(reply, "annotation", None)
        return bool(
            annotation is not None
            and annotation.corrected_reply
            and (since is None or annotation.updated >= since)
        )

    found = replies_in_context(messages_of(chosen), turns=settings.CHATBOT_CONTEXT_TURNS, wanted=corrected)
    # The business profile may come from the database: read once per export, not once per pair.
    business = business_profile().slots()
    for item in found:
        yield training_record(item, business=business)


def training_record(item: ReplyInContext, *, business: dict[str, str]) -> dict:
    """`business`: the business profile's slots (`business_profile().slots()`)."""
    annotation = item.reply.annotation
    customer = item.reply.conversation.customer
    slots = {**business, "Customer Name": customer.name} if customer.name else business
    # The bot's earlier turns quote the shop's contact details: not personal data, kept.
    shop = list(business.values())
    context = [{"role": turn.sender, "text": export_text(turn.text, keep=shop)} for turn in item.context]
    return {
        "context": [turn for turn in context if turn["text"]],
        "response": export_text(annotation.corrected_reply, placeholders_for=slots),
        "intent": annotation.corrected_intent or item.reply.intent,
    }


def training_lines(conversations: QuerySet, *, since: datetime.datetime | None = None) -> Iterator[str]:
    for record in training_records(conversations, since=since):
        yield json.dumps(record, ensure_ascii=False) + "\n"


def write_training_file(path: Path, *, since: datetime.datetime | None = None) -> int:
    """Write every correction to `path` as JSONL; returns how many. The file appears whole or not at all
    (written next to it, then renamed), so a failed export never leaves half a training file."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    count = 0
    try:
        with open(descriptor, "w", encoding="utf-8") as handle:
            for line in training_lines(Conversation.objects.all(), since=since):
                handle.write(line)
                count += 1
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return count
