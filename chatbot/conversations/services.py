"""Everything that changes conversation state: `check_*` validates, `do_*` changes and emits events.

Events go to the channel layer only after the transaction commits (events.send_to_group_on_commit),
and a reply is dispatched only after the customer message is committed, so a worker in another
process always finds the row.
"""

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from chatbot.conversations import events, protocol, selectors, signals, throttling
from chatbot.conversations.dispatch import dispatch_reply
from chatbot.conversations.models import Conversation, Customer, Message, ModelVersion
from chatbot.conversations.protocol import ErrorCode, ProtocolError
from chatbot.customers import slot_memory
from chatbot.privacy import live_text, masking

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReceivedMessage:
    message: Message
    created: bool  # False: a resend of a message stored earlier


@dataclass(frozen=True)
class BotReply:
    """What the reply engine produced, in the terms the database stores (seconds become ms here)."""

    text: str
    model_version: str
    intent: str
    intent_probability: float
    confidence: float
    token_count: int
    first_token_seconds: float
    total_seconds: float


def message_event(message: Message) -> dict[str, Any]:
    """`message` for the conversation's group. `internals` (intent, confidence) are for staff consoles;
    the customer socket only ever sends `message` on."""
    return {
        "type": "chat.message",
        "conversation": str(message.conversation.public_id),
        "message": protocol.message_payload(message),
        "internals": protocol.message_internals(message),
    }


def typing_event(*, conversation: Conversation, sender: str, is_typing: bool, **extra: Any) -> dict[str, Any]:
    return {
        "type": "chat.typing",
        "conversation": str(conversation.public_id),
        "sender": sender,
        "is_typing": is_typing,
        **extra,
    }


def check_customer_message(*, customer: Customer, client_id: uuid.UUID) -> Message | None:
    """The already stored message for a resent client_id, else None once the rate limit allows a new one.

    Raises ProtocolError(rate_limited). Resends are free: they store nothing.
    """
    existing = selectors.customer_message_by_client_id(customer=customer, client_id=client_id)
    if existing is not None:
        return existing
    allowed = throttling.allow_message(
        customer_id=customer.pk,
        limit=settings.CHATBOT_RATE_LIMIT_MESSAGES,
        period_seconds=settings.CHATBOT_RATE_LIMIT_SECONDS,
    )
    if not allowed:
        raise ProtocolError(
            ErrorCode.RATE_LIMITED,
            f"Too many messages: at most {settings.CHATBOT_RATE_LIMIT_MESSAGES} every "
            f"{settings.CHATBOT_RATE_LIMIT_SECONDS} seconds. Please wait a moment.",
            client_id=str(client_id),
        )
    return None


def do_open_conversation(*, customer: Customer) -> Conversation:
    """The customer's open conversation, created on first use (two racing sockets get the same one)."""
    conversation = selectors.open_conversation(customer=customer)
    if conversation is not None:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(customer=customer)
    except IntegrityError:
        conversation = selectors.open_conversation(customer=customer)
        if conversation is None:
            raise
        return conversation


def do_receive_customer_message(
    *, conversation: Conversation, client_id: uuid.UUID, text: str
) -> ReceivedMessage:
    """Store a customer message; after commit acknowledge it to the conversation and start the reply.

    Idempotent by client_id: a resend returns the stored message and starts nothing. The bot answers
    only if the conversation is still the bot's once `customer_message_stored` was handled (a receiver
    may have handed it to staff). The database gets the text masked (chatbot.privacy, docs/privacy.md);
    the reply to it is made from the text as typed.
    """
    stored_text = masking.mask_for_storage(text)

    def start_reply() -> None:
        live_text.remember_typed_text(message_id=message.pk, typed=text, stored=stored_text)
        dispatch_reply(message_id=message.pk)

    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                sender=Message.Sender.CUSTOMER,
                client_id=client_id,
                text=stored_text,
            )
            # From the text as typed: the stored one may be masked (what is kept follows the same policy).
            slot_memory.do_remember_slots(conversation=conversation, typed_text=text)
            Conversation.objects.filter(pk=conversation.pk).update(updated=timezone.now())
            events.send_to_group_on_commit(conversation.group_name, message_event(message))
            signals.customer_message_stored.send(sender=Message, message=message)
            status = Conversation.objects.filter(pk=conversation.pk).values_list("status", flat=True).get()
            if status == Conversation.Status.BOT:
                transaction.on_commit(start_reply, robust=True)
    except IntegrityError:
        existing = selectors.customer_message_by_client_id(
            customer=conversation.customer, client_id=client_id
        )
        if existing is None:
            raise
        return ReceivedMessage(message=existing, created=False)
    return ReceivedMessage(message=message, created=True)


def do_send_customer_typing(*, conversation: Conversation, is_typing: bool) -> None:
    """Tell the conversation's other sockets (staff consoles) whether the customer is typing."""
    events.send_to_group(
        conversation.group_name,
        {"type": "customer.typing", "conversation": str(conversation.public_id), "is_typing": is_typing},
    )


def access_votable_reply(*, customer: Customer, message_id: uuid.UUID) -> Message:
    """The bot reply `message_id` in one of the customer's conversations.

    Raises ProtocolError: `unknown_message` when there is no such message or it is another customer's
    (the same answer, so ids of other conversations cannot be probed); `not_bot_reply` for a
    customer, staff or system message.
    """
    message = selectors.customer_conversation_message(customer=customer, public_id=message_id)
    if message is None:
        raise ProtocolError(ErrorCode.UNKNOWN_MESSAGE, "There is no such message in your conversation.")
    if message.sender != Message.Sender.BOT:
        raise ProtocolError(ErrorCode.NOT_BOT_REPLY, "Only the bot's replies can be rated.")
    return message


def do_vote_on_reply(*, customer: Customer, message_id: uuid.UUID, vote: str | None) -> Message:
    """Records, changes or (vote None) removes the customer's vote on a bot reply, then tells every
    socket of the conversation. Idempotent: the same vote again changes nothing (not even its time)
    and is confirmed again."""
    with transaction.atomic():
        message = access_votable_reply(customer=customer, message_id=message_id)
        feedback = vote or ""
        if message.feedback != feedback:
            message.feedback = feedback
            message.feedback_at = timezone.now() if vote else None
            message.save(update_fields=["feedback", "feedback_at"])
        events.send_to_group_on_commit(
            message.conversation.group_name,
            {
                "type": "chat.feedback",
                "conversation": str(message.conversation.public_id),
                "message_id": str(message.public_id),
                "vote": vote,
            },
        )
    return message


def do_store_bot_reply(*, message: Message, reply: BotReply) -> Message | None:
    """Store the bot's answer to `message` and announce it after commit.

    None when a reply was already stored (a redelivered task lost the race): the database's
    one-bot-reply-per-message constraint decides, never a read-then-write check. None as well when the
    conversation was handed to staff while the reply was being generated: the status is read under the
    conversation's row lock, the same lock an escalation's conditional update takes.
    """
    conversation = message.conversation
    try:
        with transaction.atomic():
            if not selectors.lock_conversation_if_bot(conversation=conversation):
                logger.info(
                    "Conversation %s left the bot; dropping the reply to %s", conversation.pk, message.pk
                )
                return None
            bot_message = Message.objects.create(
                conversation=conversation,
                sender=Message.Sender.BOT,
                # The reply may quote what the customer typed (a filled-in e-mail address).
                text=masking.mask_for_storage(reply.text),
                reply_to=message,
                model_version=reply.model_version,
                intent=reply.intent,
                intent_probability=reply.intent_probability,
                confidence=min(max(reply.confidence, 0.0), 1.0),
                token_count=reply.token_count,
                first_token_ms=round(reply.first_token_seconds * 1000),
                latency_ms=round(reply.total_seconds * 1000),
            )
            Conversation.objects.filter(pk=conversation.pk).update(updated=timezone.now())
            events.send_to_group_on_commit(conversation.group_name, message_event(bot_message))
            signals.bot_reply_stored.send(sender=Message, message=bot_message)
    except IntegrityError:
        logger.info("Message %s already has a bot reply; not storing another", message.pk)
        return None
    return bot_message


def do_store_reply_failure(*, message: Message, code: str, detail: str) -> Message:
    """Record that the bot could not answer: an `error` frame now, and a system message for the transcript."""
    conversation = message.conversation
    with transaction.atomic():
        notice = Message.objects.create(
            conversation=conversation, sender=Message.Sender.SYSTEM, text=detail, reply_to=message
        )
        error = {
            "type": "chat.error",
            "conversation": str(conversation.public_id),
            "code": code,
            "detail": detail,
            "client_id": str(message.client_id),
        }
        events.send_to_group_on_commit(conversation.group_name, error)
        events.send_to_group_on_commit(conversation.group_name, message_event(notice))
    return notice


def do_register_model_version(
    *, name: str, path: str, metrics: dict[str, Any], activate: bool
) -> ModelVersion:
    version, _ = ModelVersion.objects.update_or_create(name=name, defaults={"path": path, "metrics": metrics})
    if activate:
        version = do_activate_model_version(version=version)
    return version


def do_activate_model_version(*, version: ModelVersion) -> ModelVersion:
    """Make `version` the one that answers; every engine switches to it on its next reply."""
    with transaction.atomic():
        ModelVersion.objects.filter(is_active=True).exclude(pk=version.pk).update(is_active=False)
        ModelVersion.objects.filter(pk=version.pk).update(is_active=True)
    version.refresh_from_db()
    return version
