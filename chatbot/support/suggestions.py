"""Drafting the model's answer for staff: while staff own a conversation, each customer message gets the
answer the bot would have given, shown in the console as an editable draft (never sent by itself).

The draft is made by the same reply engine and dispatch as the bot's own replies
(conversations.replies.generate_reply, conversations.dispatch): the in-process model thread in
embedded mode, a Celery task on the `inference` queue in distributed mode.
"""

import logging
from typing import Any

from chatbot.conversations.dispatch import dispatch_model_work
from chatbot.conversations.models import Conversation, Message
from chatbot.conversations.replies import generate_reply
from chatbot.support import selectors, staff_services
from chatbot.support.models import SuggestedReply

logger = logging.getLogger(__name__)


def dispatch_suggestion(*, message_id: int) -> None:
    """Start drafting an answer to a customer message. Call after commit."""

    def task() -> Any:
        from chatbot.support.tasks import suggest_reply_task

        return suggest_reply_task

    dispatch_model_work(
        task=task, work=lambda object_id: suggest_reply(message_id=object_id), object_id=message_id
    )


def suggest_reply(*, message_id: int) -> SuggestedReply | None:
    """Draft and store the answer to a customer message; None when there is nothing to do (the
    conversation is not with staff, someone answered since, a draft exists) or the model failed."""
    message = (
        Message.objects.select_related("conversation__customer")
        .filter(pk=message_id, sender=Message.Sender.CUSTOMER)
        .first()
    )
    if message is None or message.conversation.status != Conversation.Status.WITH_STAFF:
        return None
    escalation = selectors.open_escalation(conversation=message.conversation)
    latest = selectors.last_dialogue_message(conversation=message.conversation)
    if escalation is None or latest is None or latest.pk != message.pk:
        return None
    if escalation.suggestions.filter(message=message).exists():
        return None
    try:
        reply = generate_reply(message)
    except Exception:
        # Staff simply get no draft; they answer as they would anyway.
        logger.exception("Drafting a suggested reply to message %s failed", message.pk)
        return None
    return staff_services.do_store_suggestion(
        escalation=escalation,
        message=message,
        text=reply.text,
        intent=reply.intent,
        confidence=reply.confidence,
        model_version=reply.model_version,
    )
