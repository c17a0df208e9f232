"""Bot replies with the dialogue the model saw when it wrote them, from one ordered pass over messages.

Both JSONL exports are built on this: one query (`.iterator()` over messages ordered by conversation),
and memory for one conversation at a time, whatever the size of the export.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db.models import F, QuerySet

from chatbot.conversations.models import Message
from chatbot.conversations.selectors import DIALOGUE_SENDERS

# Rows fetched per round trip (and per server-side cursor fetch on PostgreSQL).
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class ReplyInContext:
    reply: Message
    context: list[Message]  # the dialogue turns up to the customer message answered, oldest first


def messages_of(conversations: QuerySet) -> Iterator[Message]:
    """Every message of `conversations` with what the exports print, conversation by conversation, in
    time order; streamed from the database in chunks."""
    return (
        Message.objects.filter(conversation__in=conversations.order_by().values("pk"))
        .select_related("conversation__customer", "author", "annotation__reviewer")
        .annotate(reply_to_public_id=F("reply_to__public_id"))
        .order_by("conversation_id", "created", "id")
        .iterator(chunk_size=CHUNK_SIZE)
    )


def replies_in_context(
    messages: Iterable[Message], *, turns: int, wanted: Callable[[Message], bool]
) -> Iterator[ReplyInContext]:
    """Each bot reply for which `wanted(reply)` is true, with the last `turns` dialogue turns up to the
    customer message it answers (as `dialogue_before_reply` gives the model). Replies without such a
    turn before them are skipped: there is nothing they answered."""
    conversation_id, dialogue = None, []
    for message in messages:
        if message.conversation_id != conversation_id:
            conversation_id, dialogue = message.conversation_id, []
        if message.sender == Message.Sender.BOT and wanted(message):
            answered = message.reply_to_id or message.pk
            context = [turn for turn in dialogue if turn.pk <= answered][-turns:]
            if context:
                yield ReplyInContext(reply=message, context=context)
        if message.sender in DIALOGUE_SENDERS:
            dialogue.append(message)
