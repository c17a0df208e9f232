"""The support app's side of the conversation signals (conversations/signals.py): the escalation
triggers, and the staff's draft for each customer message while they own the conversation. Connected
in SupportConfig.ready(); runs inside the transaction that stored the message."""

from typing import Any

from django.dispatch import receiver

from chatbot.conversations.models import Conversation, Message
from chatbot.conversations.signals import bot_reply_stored, customer_message_stored
from chatbot.support import notify, services, triggers
from chatbot.support.suggestions import dispatch_suggestion


@receiver(customer_message_stored)
def on_customer_message(sender: Any, message: Message, **kwargs: Any) -> None:
    status = Conversation.objects.filter(pk=message.conversation_id).values_list("status", flat=True).get()
    if status == Conversation.Status.BOT:
        _escalate(message, triggers.customer_message_trigger(message))
    elif status == Conversation.Status.WITH_STAFF:
        notify.on_commit(dispatch_suggestion, message_id=message.pk)
    elif status == Conversation.Status.WAITING_FOR_STAFF:
        # The queue cards preview the last messages.
        notify.on_commit(notify.events.send_to_group, notify.STAFF_GROUP, {"type": "support.queue"})


@receiver(bot_reply_stored)
def on_bot_reply(sender: Any, message: Message, **kwargs: Any) -> None:
    _escalate(message, triggers.bot_reply_trigger(message))


def _escalate(message: Message, trigger: triggers.Trigger | None) -> None:
    if trigger is not None:
        services.do_escalate(
            conversation=message.conversation,
            reason=trigger.reason,
            detail=trigger.detail,
            trigger_message=message,
        )
