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


ClientFrame = SendMessage | Typing | Ping | RequestHistory


def decode_text_frame(text: str) -> dict[str, Any]:
    """The JSON object in a text frame; anything else is `invalid_json`."""
    try:
        content = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise ProtocolError(ErrorCode.INVALID_JSON, "The frame is not valid JSON.") from None
    if not isinstance(content, dict):
        raise ProtocolError(ErrorCode.INVALID_JSON, 'A frame must be a JSON object with a "type".')
    return content


def parse_client_frame(content: dict[str, Any], *, max_message_chars: int) -> ClientFrame:
    frame_type = content.get("type")
    if frame_type == "message":
        return _parse_message(content, max_message_chars=max_message_chars)
    if frame_type == "typing":
        is_typing = content.get("is_typing")
        if not isinstance(is_typing, bool):
            raise ProtocolError(ErrorCode.INVALID_FIELD, '"is_typing" must be true or false.')
        return Typing(is_typing=is_typing)
    if frame_type == "ping":
        return Ping()
    if frame_type == "history":
        return RequestHistory()
    raise ProtocolError(
        ErrorCode.UNKNOWN_TYPE,
        f"Unknown frame type {str(frame_type)[:40]!r}; expected message, typing, ping or history.",
    )


def _parse_message(content: dict[str, Any], *, max_message_chars: int) -> SendMessage:
    raw_client_id = content.get("client_id")
    if not isinstance(raw_client_id, str):
        raise ProtocolError(ErrorCode.INVALID_FIELD, '"client_id" must be a UUID string made by the client.')
    try:
        client_id = uuid.UUID(raw_client_id)
    except ValueError:
        raise ProtocolError(
            ErrorCode.INVALID_FIELD, '"client_id" must be a UUID string made by the client.'
        ) from None
    echo = str(client_id)
    text = content.get("text")
    if not isinstance(text, str):
        raise ProtocolError(ErrorCode.INVALID_FIELD, '"text" must be a string.', client_id=echo)
    text = text.strip()
    if not text:
        raise ProtocolError(ErrorCode.EMPTY_MESSAGE, "The message is empty.", client_id=echo)
    if len(text) > max_message_chars:
        raise ProtocolError(
            ErrorCode.MESSAGE_TOO_LONG,
            f"The message is {len(text)} characters long; the limit is {max_message_chars}.",
            client_id=echo,
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
    }


def conversation_payload(conversation: Conversation | None) -> dict[str, Any]:
    if conversation is None:
        return {"id": None, "status": Conversation.Status.BOT.value}
    return {"id": str(conversation.public_id), "status": conversation.status}


def history_frame(
    *, conversation: Conversation | None, messages: list[Message], pending_reply: uuid.UUID | None
) -> dict[str, Any]:
    return {
        "type": "history",
        "protocol": PROTOCOL_VERSION,
        "conversation": conversation_payload(conversation),
        "messages": [message_payload(message) for message in messages],
        "pending_reply": str(pending_reply) if pending_reply else None,
    }


def message_frame(payload: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "message": payload}


def token_frame(*, reply_to: str, delta: str) -> dict[str, Any]:
    return {"type": "token", "reply_to": reply_to, "delta": delta}


def typing_frame(*, sender: str, is_typing: bool) -> dict[str, Any]:
    return {"type": "typing", "sender": sender, "is_typing": is_typing}


def status_frame(*, conversation: dict[str, Any], detail: str) -> dict[str, Any]:
    return {"type": "status", "conversation": conversation, "detail": detail}


def error_frame(*, code: str, detail: str, client_id: str | None = None) -> dict[str, Any]:
    return {"type": "error", "code": code, "detail": detail, "client_id": client_id}


def pong_frame() -> dict[str, Any]:
    return {"type": "pong"}
