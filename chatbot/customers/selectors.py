"""Read-only queries of the customers app. Nothing here writes or sends events."""

from typing import Any

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery

from chatbot.conversations.models import Conversation, Customer, Message

# The most conversations the "previous conversations" list shows; older ones stay in the database.
CONVERSATION_LIST_LIMIT = 20
# Characters of a conversation's first customer message the list shows.
PREVIEW_CHARS = 80


def account_customer(*, user: Any) -> Customer | None:
    """The customer a login chats as: its oldest linked customer (other browsers' merge into it)."""
    return Customer.objects.filter(user=user).order_by("created", "id").first()


def customer_conversations(
    *, customer: Customer, limit: int = CONVERSATION_LIST_LIMIT
) -> list[dict[str, Any]]:
    """The customer's conversations that have messages, most recently active first, each with its first
    customer message (as stored: masked), when it started and its last message's time."""
    first_question = (
        Message.objects.filter(conversation=OuterRef("pk"), sender=Message.Sender.CUSTOMER)
        .order_by("id")
        .values("text")[:1]
    )
    rows = (
        Conversation.objects.filter(customer=customer)
        .annotate(
            message_count=Count("messages", filter=~Q(messages__sender=Message.Sender.SYSTEM)),
            started=Min("messages__created"),
            last_activity=Max("messages__created"),
            preview=Subquery(first_question),
        )
        .filter(message_count__gt=0)
        .order_by("-last_activity", "-id")[:limit]
    )
    return [
        {
            "conversation": conversation,
            "started": conversation.started,
            "last_activity": conversation.last_activity,
            "messages": conversation.message_count,
            "preview": _shorten(conversation.preview or ""),
        }
        for conversation in rows
    ]


def customer_conversation(*, customer: Customer, public_id: Any) -> Conversation | None:
    """One of the customer's conversations; None for another customer's (or no such conversation)."""
    return Conversation.objects.filter(customer=customer, public_id=public_id).first()


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1].rstrip() + "…"
