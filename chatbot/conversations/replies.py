"""Answering one customer message with the model: stream the text, store the reply, announce it.

Runs in a Celery worker (distributed mode) or the in-process reply thread (embedded mode); the caller
binds the event loop (events.bind_event_loop). Whatever happens, the typing indicator is switched off.
"""

import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import InterfaceError, OperationalError

from chatbot.conversations import engine, events, selectors, services
from chatbot.conversations.models import Conversation, Message
from chatbot.conversations.protocol import ErrorCode
from chatbot.customers import slots as customer_slots
from chatbot.privacy import live_text

if TYPE_CHECKING:
    from inference.serving import Reply

logger = logging.getLogger(__name__)

# The errors of a database that cannot be reached (down, restarting, failing over), as opposed to a query
# it refused: worth retrying the reply for.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)

REPLY_FAILED_TEXT = "Sorry, the assistant could not answer just now. Please try again in a moment."
UNAVAILABLE_TEXT = "The assistant is not available right now. Please try again later."


class ReplyAbandoned(Exception):
    """The conversation left the bot (handed to staff) while its reply was being generated."""


# How often a streaming reply checks that the conversation is still the bot's.
STILL_ANSWERING_CHECK_SECONDS = 0.25


def answer_customer_message(*, message_id: int) -> Message | None:
    """Generate, stream and store the bot's reply to a customer message.

    Returns the stored bot message, or None when there was nothing to do (already answered, staff took
    over before or during the reply, message gone) or the model failed (then an `error` frame and a
    system message were sent).
    """
    message = selectors.message_awaiting_bot_reply(message_id=message_id)
    if message is None:
        live_text.forget_typed_text(message_ids=[message_id])
        return None
    conversation = message.conversation
    send_live_event(
        conversation.group_name,
        services.typing_event(conversation=conversation, sender="bot", is_typing=True),
    )
    try:
        return _generate_and_store(message, typed_text=live_text.typed_text(message_id=message_id))
    finally:
        live_text.forget_typed_text(message_ids=[message_id])
        send_live_event(
            conversation.group_name,
            services.typing_event(conversation=conversation, sender="bot", is_typing=False),
        )


def send_live_event(group: str, event: dict[str, Any]) -> None:
    """Typing and streamed tokens are a courtesy; the stored reply is what counts (a page that missed
    them gets it in its history). So a channel layer that fails, Redis restarting or a connection it
    dropped, is logged and skipped instead of failing the reply with it."""
    try:
        events.send_to_group(group, event)
    except Exception as error:
        logger.warning(
            "Live %s event to %s not sent: %s: %s", event["type"], group, type(error).__name__, error
        )


def give_up_on_reply(*, message_id: int) -> None:
    """The reply to a stored message could never be started (the broker stayed unreachable): tell the
    customer as for any failed reply, unless it was answered or left the bot meanwhile."""
    message = selectors.message_awaiting_bot_reply(message_id=message_id)
    if message is not None:
        services.do_store_reply_failure(
            message=message, code=ErrorCode.REPLY_FAILED, detail=REPLY_FAILED_TEXT
        )


def generate_reply(
    message: Message, *, on_delta: Callable[[str], None] | None = None, typed_text: str | None = None
) -> "Reply":
    """The model's answer to a customer message, given the dialogue up to it; nothing is stored.

    `typed_text`: the message as the customer typed it, when the stored text is masked (the bot's own
    reply may use an e-mail address or order number given in it; chatbot.privacy.live_text).
    Used for the bot's own replies and for the drafts staff are offered (chatbot.support.suggestions).
    Raises engine.EngineUnavailable without a usable model (none trained, or it failed to load), and
    whatever the model raises while generating.
    """
    try:
        reply_engine = engine.get_engine()
    except (engine.EngineUnavailable, *DATABASE_UNAVAILABLE):
        raise  # an unreachable database is not the model's fault: the task waits for it (tasks.py)
    except Exception as error:
        raise engine.EngineUnavailable(f"the model failed to load: {error}") from error

    from inference.serving import Turn  # with the engine: torch only where replies are made

    dialogue = selectors.dialogue_before_reply(message=message, turns=settings.CHATBOT_CONTEXT_TURNS)
    if typed_text is not None:
        dialogue[-1] = (dialogue[-1][0], typed_text)  # the newest turn is `message` itself
    reply = reply_engine.reply(
        [Turn(role=sender, text=text) for sender, text in dialogue],
        slots=customer_slots.reply_slots(conversation=message.conversation, dialogue=dialogue),
        on_delta=on_delta,
    )
    if not reply.text.strip():
        raise ValueError("the model generated an empty reply")
    return reply


def _generate_and_store(message: Message, *, typed_text: str | None) -> Message | None:
    conversation = message.conversation
    reply_to = str(message.public_id)
    # A redelivered task streams the reply again from its start: the page drops the text of an
    # attempt it no longer hears from instead of appending the new stream to it.
    attempt = uuid.uuid4().hex
    next_check = time.monotonic() + STILL_ANSWERING_CHECK_SECONDS
    # Deltas wait here until the next token event is due: one event per CHATBOT_STREAM_INTERVAL_MS
    # per reply at most, the first at once. Batched decoding makes tokens faster than a web process
    # can relay one event each to hundreds of sockets (bench/load.py: its channels overflowed and
    # final replies expired unsent); a few events a second still read as typing.
    unsent: list[str] = []
    next_send = 0.0

    def send_unsent() -> None:
        nonlocal next_send
        next_send = time.monotonic() + settings.CHATBOT_STREAM_INTERVAL_MS / 1000
        if unsent:
            event = {
                "type": "chat.token",
                "conversation": str(conversation.public_id),
                "reply_to": reply_to,
                "attempt": attempt,
                "delta": "".join(unsent),
            }
            unsent.clear()
            send_live_event(conversation.group_name, event)

    def send_delta(delta: str) -> None:
        nonlocal next_check
        if time.monotonic() >= next_check:
            # Staff took over mid-reply: stop generating, and stop showing the customer the bot's words.
            if not selectors.conversation_has_status(
                conversation=conversation, status=Conversation.Status.BOT
            ):
                raise ReplyAbandoned
            next_check = time.monotonic() + STILL_ANSWERING_CHECK_SECONDS
        if delta:
            unsent.append(delta)
            if time.monotonic() >= next_send:
                send_unsent()

    try:
        reply = generate_reply(message, on_delta=send_delta, typed_text=typed_text)
    except ReplyAbandoned:
        logger.info("Conversation %s went to staff while answering message %s", conversation.pk, message.pk)
        return None
    except DATABASE_UNAVAILABLE:
        raise  # not the model's failure: nothing to tell the customer yet, the task is retried
    except engine.EngineUnavailable:
        logger.exception("No reply engine for message %s", message.pk)
        services.do_store_reply_failure(message=message, code=ErrorCode.UNAVAILABLE, detail=UNAVAILABLE_TEXT)
        return None
    except Exception:
        logger.exception("Generating the reply to message %s failed", message.pk)
        services.do_store_reply_failure(
            message=message, code=ErrorCode.REPLY_FAILED, detail=REPLY_FAILED_TEXT
        )
        return None

    send_unsent()  # the last deltas before the final message, which the page checks them against
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
