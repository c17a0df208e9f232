"""The websocket protocol v1 (docs/protocol.md): server frame builders and client frame parsing.

Every frame the chat socket sends is built here, and every client frame is validated here; a client
mistake is raised once as ProtocolError and turned into an `error` frame by the consumer.
"""

import json
import uuid
from dataclasses import dataclass
from typing import Any

from chatbot.conversations.models import Conversation, Message

PROTOCOL_VERSION = 1


class ErrorCode:
    INVALID_JSON = "invalid_json"
    BINARY_NOT_SUPPORTED = "binary_not_supported"
    UNKNOWN_TYPE = "unknown_type"
    INVALID_FIELD = "invalid_field"
    EMPTY_MESSAGE = "empty_message"
    MESSAGE_TOO_LONG = "message_too_long"
    RATE_LIMITED = "rate_limited"
    REPLY_FAILED = "reply_failed"
    UNAVAILABLE = "unavailable"
    TEMPORARILY_UNAVAILABLE = "temporarily_unavailable"
    # Staff hand-over (docs/support.md)
    ESCALATION_DISABLED = "escalation_disabled"
    NOT_WAITING = "not_waiting"
    INVALID_EMAIL = "invalid_email"
    NOT_RATEABLE = "not_rateable"
    ALREADY_RATED = "already_rated"
    # Thumbs on bot replies
    UNKNOWN_MESSAGE = "unknown_message"
    NOT_BOT_REPLY = "not_bot_reply"
    # Earlier conversations and starting a new one (docs/personalization.md)
    UNKNOWN_CONVERSATION = "unknown_conversation"
    CONVERSATION_WITH_STAFF = "conversation_with_staff"


# The detail of `temporarily_unavailable`: the database could not be reached, so nothing was stored.
TEMPORARILY_UNAVAILABLE_TEXT = "The chat cannot save or load messages just now. Please try again in a moment."


class ProtocolError(Exception):
    """A client frame the server refuses; the socket stays open and nothing is stored."""

    def __init__(self, code: str, detail: str, *, client_id: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.client_id = client_id


# --- Client → server ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendMessage:
    client_id: uuid.UUID
    text: str


@dataclass(frozen=True)
class Typing:
    is_typing: bool


@dataclass(frozen=True)
class Ping:
    pass


@dataclass(frozen=True)
class RequestHistory:
    pass


@dataclass(frozen=True)
class RequestStaff:
    """The "Talk to a person" button."""


@dataclass(frozen=True)
class LeaveContact:
    email: str
    message: str


@dataclass(frozen=True)
class RateConversation:
    conversation_id: uuid.UUID
    rating: int
    comment: str


@dataclass(frozen=True)
class VoteOnReply:
    """Thumbs up or down on a bot reply; None takes the vote back."""

    message_id: uuid.UUID
    vote: str | None


@dataclass(frozen=True)
class ListConversations:
    """The customer's earlier conversations, for the "Previous conversations" list."""


@dataclass(frozen=True)
class OpenTranscript:
    """One of the customer's conversations, to read again."""

    conversation_id: uuid.UUID


@dataclass(frozen=True)
class StartNewConversation:
    """Close the current conversation; the next message starts a new one."""


ClientFrame = (
    SendMessage
    | Typing
    | Ping
    | RequestHistory
    | RequestStaff
    | LeaveContact
    | RateConversation
    | VoteOnReply
    | ListConversations
    | OpenTranscript
    | StartNewConversation
)

# Longest e-mail address (RFC 5321 path limit, and Django's EmailField).
MAX_EMAIL_CHARS = 254
# Longest CSAT comment (CsatRating.COMMENT_MAX_CHARS).
MAX_CSAT_COMMENT_CHARS = 1000


def decode_text_frame(text: str) -> dict[str, Any]:
    """The JSON object in a text frame; anything else is `invalid_json`."""
    try:
        content = json.loads(text)
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError and also a number too long to convert (over 4300 digits,
        # Python's guard against quadratic int parsing); RecursionError, nesting deeper than the stack.
        raise ProtocolError(ErrorCode.INVALID_JSON, "The frame is not valid JSON.") from None
    if not isinstance(content, dict):
        raise ProtocolError(ErrorCode.INVALID_JSON, 'A frame must be a JSON object with a "type".')
    return content


def parse_client_frame(content: dict[str, Any], *, max_message_chars: int) -> ClientFrame:
    frame_type = content.get("type")
    if frame_type == "message":
        return parse_message_fields(content, max_message_chars=max_message_chars)
    if frame_type == "typing":
        is_typing = content.get("is_typing")
        if not isinstance(is_typing, bool):
            raise ProtocolError(ErrorCode.INVALID_FIELD, '"is_typing" must be true or false.')
        return Typing(is_typing=is_typing)
    if frame_type == "ping":
        return Ping()
    if frame_type == "history":
        return RequestHistory()
    if frame_type == "escalate":
        return RequestStaff()
    if frame_type == "contact":
        return _parse_contact(content, max_message_chars=max_message_chars)
    if frame_type == "csat":
        return _parse_csat(content)
    if frame_type == "feedback":
        return _parse_feedback(content)
    if frame_type == "conversations":
        return ListConversations()
    if frame_type == "transcript":
        return OpenTranscript(conversation_id=parse_uuid(content.get("conversation"), "conversation"))
    if frame_type == "new_conversation":
        return StartNewConversation()
    # Only a string is quoted back: str() of a large array or object would be built whole, to keep 40 chars.
    if isinstance(frame_type, str):
        problem = f"Unknown frame type {frame_type[:40]!r}"
    elif frame_type is None:
        problem = 'The frame has no "type"'
    else:
        problem = f'The frame\'s "type" is a JSON {_json_type_name(frame_type)}, not a string'
    raise ProtocolError(
        ErrorCode.UNKNOWN_TYPE,
        f"{problem}; expected message, typing, ping, history, escalate, contact, csat, feedback, "
        "conversations, transcript or new_conversation.",
    )


def _json_type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "array" if isinstance(value, list) else "object"


def parse_uuid(value: Any, field: str) -> uuid.UUID:
    """A UUID given as a string; anything else is `invalid_field` naming the field."""
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise ProtocolError(ErrorCode.INVALID_FIELD, f'"{field}" must be a UUID string.')


def parse_text(
    value: Any,
    *,
    field: str,
    label: str,
    max_chars: int,
    required: bool = True,
    client_id: str | None = None,
) -> str:
    """A trimmed string of at most `max_chars` characters (not empty when `required`); `label` names it
    in the error a person reads ("The message")."""
    if not isinstance(value, str):
        raise ProtocolError(ErrorCode.INVALID_FIELD, f'"{field}" must be a string.', client_id=client_id)
    text = value.strip()
    if not is_storable_text(text):
        raise ProtocolError(
            ErrorCode.INVALID_FIELD,
            f"{label} contains a character that is not text (a NUL, or half of a UTF-16 surrogate pair).",
            client_id=client_id,
        )
    if required and not text:
        raise ProtocolError(ErrorCode.EMPTY_MESSAGE, f"{label} is empty.", client_id=client_id)
    if len(text) > max_chars:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LONG,
            f"{label} is {len(text)} characters long; the limit is {max_chars}.",
            client_id=client_id,
        )
    return text


def is_storable_text(text: str) -> bool:
    """Text every database keeps as it is. JSON can carry what a browser's text field never produces:
    NUL (PostgreSQL refuses it in text columns) and lone surrogates (no UTF-8 encoding exists)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_contact(content: dict[str, Any], *, max_message_chars: int) -> LeaveContact:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    email = content.get("email")
    if not isinstance(email, str):
        raise ProtocolError(ErrorCode.INVALID_FIELD, '"email" must be a string.')
    email = email.strip()
    try:
        if len(email) > MAX_EMAIL_CHARS:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise ProtocolError(
            ErrorCode.INVALID_EMAIL, "Please enter a valid e-mail address, like name@example.com."
        ) from None
    message = parse_text(
        content.get("message", ""),
        field="message",
        label="The message",
        max_chars=max_message_chars,
        required=False,
    )
    return LeaveContact(email=email, message=message)


def _parse_csat(content: dict[str, Any]) -> RateConversation:
    conversation_id = parse_uuid(content.get("conversation"), "conversation")
    rating = content.get("rating")
    # bool is an int in Python; true must not count as a rating of 1.
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ProtocolError(ErrorCode.INVALID_FIELD, '"rating" must be a whole number from 1 to 5.')
    comment = parse_text(
        content.get("comment", ""),
        field="comment",
        label="The comment",
        max_chars=MAX_CSAT_COMMENT_CHARS,
        required=False,
    )
    return RateConversation(conversation_id=conversation_id, rating=rating, comment=comment)


def _parse_feedback(content: dict[str, Any]) -> VoteOnReply:
    message_id = parse_uuid(content.get("message_id"), "message_id")
    # Required, so that a frame that forgot the vote does not take one back.
    vote = content.get("vote", "missing")
    if vote is not None and (not isinstance(vote, str) or vote not in Message.Vote.values):
        raise ProtocolError(ErrorCode.INVALID_FIELD, '"vote" must be "up", "down" or null.')
    return VoteOnReply(message_id=message_id, vote=vote)


def parse_message_fields(content: dict[str, Any], *, max_message_chars: int) -> SendMessage:
    """The client_id and text of a `message` frame (the customer's, and the staff console's)."""
    raw_client_id = content.get("client_id")
    try:
        client_id = uuid.UUID(raw_client_id) if isinstance(raw_client_id, str) else None
    except ValueError:
        client_id = None
    if client_id is None:
        raise ProtocolError(ErrorCode.INVALID_FIELD, '"client_id" must be a UUID string made by the client.')
    text = parse_text(
        content.get("text"),
        field="text",
        label="The message",
        max_chars=max_message_chars,
        client_id=str(client_id),
    )
    return SendMessage(client_id=client_id, text=text)


# --- Server → client ------------------------------------------------------------------------------


def message_payload(message: Message) -> dict[str, Any]:
    """MESSAGE as customers see it: no model internals (intent, confidence) ever."""
    return {
        "id": str(message.public_id),
        "client_id": str(message.client_id) if message.client_id else None,
        "sender": message.sender,
        "text": message.text,
        "created": message.created.isoformat(),
        "reply_to": str(message.reply_to.public_id) if message.reply_to_id else None,
        "author": staff_first_name(message.author) if message.author_id else None,
        "feedback": message.feedback or None,
    }


def message_internals(message: Message) -> dict[str, Any]:
    """For staff only, never part of a customer's frame: how a bot reply was made, and the full name of
    a staff message's author."""
    return {
        "intent": message.intent or None,
        "intent_probability": message.intent_probability,
        "confidence": message.confidence,
        "model_version": message.model_version or None,
        "author": staff_full_name(message.author) if message.author_id else None,
    }


def staff_first_name(user: Any) -> str:
    """What customers see of a staff member: the first name, else the user name."""
    return user.first_name.strip() or user.get_username()


def staff_full_name(user: Any) -> str:
    """What colleagues see of a staff member: the full name, else the user name."""
    return user.get_full_name().strip() or user.get_username()


def conversation_payload(conversation: Conversation | None) -> dict[str, Any]:
    if conversation is None:
        return {"id": None, "status": Conversation.Status.BOT.value}
    return {"id": str(conversation.public_id), "status": conversation.status}


def history_frame(
    *,
    conversation: Conversation | None,
    messages: list[Message],
    pending_reply: uuid.UUID | None,
    support: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "type": "history",
        "protocol": PROTOCOL_VERSION,
        "conversation": conversation_payload(conversation),
        "messages": [message_payload(message) for message in messages],
        "pending_reply": str(pending_reply) if pending_reply else None,
        "support": support,
    }


def conversations_frame(conversations: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer to `conversations`: rows of chatbot.customers.selectors.customer_conversations."""
    return {
        "type": "conversations",
        "conversations": [
            {
                **conversation_payload(row["conversation"]),
                "started": row["started"].isoformat(),
                "last_activity": row["last_activity"].isoformat(),
                "messages": row["messages"],
                "preview": row["preview"],
            }
            for row in conversations
        ],
    }


def transcript_frame(*, conversation: Conversation, messages: list[Message]) -> dict[str, Any]:
    """The answer to `transcript`: an earlier conversation's messages, to read (not to continue)."""
    return {
        "type": "transcript",
        "conversation": conversation_payload(conversation),
        "messages": [message_payload(message) for message in messages],
    }


def message_frame(payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "message": payload}


def token_frame(*, reply_to: str, attempt: str, delta: str) -> dict[str, Any]:
    return {"type": "token", "reply_to": reply_to, "attempt": attempt, "delta": delta}


def typing_frame(*, sender: str, is_typing: bool) -> dict[str, Any]:
    return {"type": "typing", "sender": sender, "is_typing": is_typing}


def status_frame(
    *, conversation: dict[str, Any], detail: str, support: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"type": "status", "conversation": conversation, "detail": detail, "support": support}


def csat_request_frame(*, conversation_id: str, staff_name: str | None) -> dict[str, Any]:
    return {"type": "csat_request", "conversation": conversation_id, "staff_name": staff_name}


def csat_recorded_frame(*, conversation_id: str, rating: int) -> dict[str, Any]:
    return {"type": "csat_recorded", "conversation": conversation_id, "rating": rating}


def feedback_recorded_frame(*, message_id: str, vote: str | None) -> dict[str, Any]:
    return {"type": "feedback_recorded", "message_id": message_id, "vote": vote}


def error_frame(*, code: str, detail: str, client_id: str | None = None) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail, "client_id": client_id}


def pong_frame() -> dict[str, Any]:
    return {"type": "pong"}
