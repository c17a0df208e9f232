"""Answering one customer message with the model: stream the text, store the reply, announce it.

Runs in a Celery worker (distributed mode) or the in-process reply thread (embedded mode); the caller
binds the event loop (events.bind_event_loop). Whatever happens, the typing indicator is switched off.
"""

import logging

from django.conf import settings

from chatbot.conversations import engine, events, selectors, services
from chatbot.conversations.models import Customer, Message
from chatbot.conversations.protocol import ErrorCode

logger = logging.getLogger(__name__)

REPLY_FAILED_TEXT = "Sorry, the assistant could not answer just now. Please try again in a moment."
UNAVAILABLE_TEXT = "The assistant is not available right now. Please try again later."


def business_slots(*, customer: Customer) -> dict[str, str]:
    """Values for the {{placeholders}} the model writes (names as in the training data).

    Per-order values (order number, refund amount) are unknown here; serving fills those with a
    natural fallback.
    """
    slots = {
        "Company Name": settings.CHATBOT_COMPANY_NAME,
        "Website Name": settings.CHATBOT_COMPANY_NAME,
        "Website URL": settings.CHATBOT_COMPANY_WEBSITE,
        "Customer Support Phone Number": settings.CHATBOT_SUPPORT_PHONE,
        "Support Phone Number": settings.CHATBOT_SUPPORT_PHONE,
        "Customer Support Email": settings.CHATBOT_SUPPORT_EMAIL,
        "Customer Support Hours": settings.CHATBOT_SUPPORT_HOURS,
        "Customer Support Availability": settings.CHATBOT_SUPPORT_HOURS,
    }
    if customer.name:
        slots["Customer Name"] = customer.name
    return slots


def answer_customer_message(*, message_id: int) -> Message | None:
    """Generate, stream and store the bot's reply to a customer message.

    Returns the stored bot message, or None when there was nothing to do (already answered, staff took
    over, message gone) or the model failed (then an `error` frame and a system message were sent).
    """
    message = selectors.message_awaiting_bot_reply(message_id=message_id)
    if message is None:
        return None
    group = message.conversation.group_name
    events.send_to_group(group, services.typing_event(sender="bot", is_typing=True))
    try:
        return _generate_and_store(message)
    finally:
        events.send_to_group(group, services.typing_event(sender="bot", is_typing=False))


def _generate_and_store(message: Message) -> Message | None:
    try:
        reply_engine = engine.get_engine()
    except Exception:
        logger.exception("No reply engine for message %s", message.pk)
        services.do_store_reply_failure(message=message, code=ErrorCode.UNAVAILABLE, detail=UNAVAILABLE_TEXT)
        return None

    from inference.serving import Turn  # with the engine: torch only where replies are made

    group = message.conversation.group_name
    reply_to = str(message.public_id)
    dialogue = selectors.dialogue_before_reply(message=message, turns=settings.CHATBOT_CONTEXT_TURNS)

    def send_delta(delta: str) -> None:
        if delta:
            events.send_to_group(group, {"type": "chat.token", "reply_to": reply_to, "delta": delta})

    try:
        reply = reply_engine.reply(
            [Turn(role=sender, text=text) for sender, text in dialogue],
            slots=business_slots(customer=message.conversation.customer),
            on_delta=send_delta,
        )
        if not reply.text.strip():
            raise ValueError("the model generated an empty reply")
    except Exception:
        logger.exception("Generating the reply to message %s failed", message.pk)
        services.do_store_reply_failure(
            message=message, code=ErrorCode.REPLY_FAILED, detail=REPLY_FAILED_TEXT
        )
        return None

    return services.do_store_bot_reply(
        message=message,
        reply=services.BotReply(
            text=reply.text,
            model_version=reply.model_version,
            intent=reply.intent,
            intent_probability=reply.intent_probability,
            confidence=reply.confidence,
            token_count=reply.token_count,
            first_token_seconds=reply.first_token_seconds,
            total_seconds=reply.total_seconds,
        ),
    )
