"""Read-only queries. Nothing here writes or sends events."""

import uuid

from chatbot.conversations.models import Conversation, Customer, Message, ModelVersion

# The newest messages a history frame carries; older ones stay in the database (and the admin).
HISTORY_LIMIT = 200

# Senders whose messages are turns of the dialogue the model sees; system notices are not.
DIALOGUE_SENDERS = (Message.Sender.CUSTOMER, Message.Sender.BOT, Message.Sender.STAFF)


def open_conversation(*, customer: Customer) -> Conversation | None:
    """The customer's current conversation: the one that is not closed (at most one, by constraint)."""
    return customer.conversations.exclude(status=Conversation.Status.CLOSED).first()


def conversation_messages(*, conversation: Conversation, limit: int = HISTORY_LIMIT) -> list[Message]:
    """The newest `limit` messages, oldest first."""
    newest = conversation.messages.select_related("reply_to", "author").order_by("-created", "-id")[:limit]
    return list(reversed(newest))


def pending_reply_client_id(*, conversation: Conversation) -> uuid.UUID | None:
    """The client_id of the latest customer message the bot is still answering, if any.

    Only while the bot answers (status "bot"): a message with any reply (bot answer or failure notice)
    is done, and so is one followed by a later message from someone else.
    """
    if conversation.status != Conversation.Status.BOT:
        return None
    latest = conversation.messages.order_by("-created", "-id").first()
    if latest is None or latest.sender != Message.Sender.CUSTOMER or latest.replies.exists():
        return None
    return latest.client_id


def customer_message_by_client_id(*, customer: Customer, client_id: uuid.UUID) -> Message | None:
    return (
        Message.objects.select_related("reply_to", "conversation", "author")
        .filter(conversation__customer=customer, sender=Message.Sender.CUSTOMER, client_id=client_id)
        .first()
    )


def customer_conversation_message(*, customer: Customer, public_id: uuid.UUID) -> Message | None:
    """Any message in one of the customer's conversations; None for another customer's."""
    return (
        Message.objects.select_related("conversation")
        .filter(public_id=public_id, conversation__customer=customer)
        .first()
    )


def message_awaiting_bot_reply(*, message_id: int) -> Message | None:
    """The customer message, if the bot should still answer it.

    None when it is gone, is not a customer's, already has a bot reply, or staff took the conversation:
    what makes a redelivered reply task a no-op.
    """
    message = (
        Message.objects.select_related("conversation", "conversation__customer")
        .filter(pk=message_id, sender=Message.Sender.CUSTOMER)
        .first()
    )
    if message is None or message.conversation.status != Conversation.Status.BOT:
        return None
    if message.replies.filter(sender=Message.Sender.BOT).exists():
        return None
    return message


def dialogue_before_reply(*, message: Message, turns: int) -> list[tuple[str, str]]:
    """The last `turns` (sender, text) pairs of the dialogue up to and including `message`."""
    # Ids grow with time, and unlike timestamps they never tie.
    rows = (
        message.conversation.messages.filter(sender__in=DIALOGUE_SENDERS, id__lte=message.id)
        .order_by("-id")
        .values_list("sender", "text")[:turns]
    )
    return list(reversed(rows))


def conversation_has_status(*, conversation: Conversation, status: str) -> bool:
    return Conversation.objects.filter(pk=conversation.pk, status=status).exists()


def lock_conversation_if_bot(*, conversation: Conversation) -> bool:
    """Inside a transaction: lock the conversation's row and say whether the bot still answers it.

    PostgreSQL holds the row lock until commit, so an escalation's conditional update waits for it (or
    this waits for the escalation's); SQLite's immediate transactions serialise writers anyway.
    """
    status = (
        Conversation.objects.select_for_update()
        .filter(pk=conversation.pk)
        .values_list("status", flat=True)
        .first()
    )
    return status == Conversation.Status.BOT


def active_model_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(is_active=True).first()
