"""docs/protocol.md as code: every frame the chat socket may send, checked field by field.

`check_server_frame(raw)` takes the text of one server frame and raises AssertionError (naming the
frame) unless it is UTF-8-clean JSON that matches the documented shape of its type exactly: no field
missing, none extra, each of the documented type.
"""

import json
import uuid
from datetime import datetime
from typing import Any

from chatbot.conversations.protocol import ErrorCode

STATUSES = {"bot", "waiting_for_staff", "with_staff", "closed"}
SENDERS = {"customer", "bot", "staff", "system"}
VOTES = {"up", "down", None}
# Every code docs/protocol.md lists for the chat socket.
ERROR_CODES = {value for name, value in vars(ErrorCode).items() if name.isupper()}

MESSAGE_FIELDS = {"id", "client_id", "sender", "text", "created", "reply_to", "author", "feedback"}
SUPPORT_FIELDS = {
    "queue_position",
    "staff_available",
    "within_hours",
    "hours",
    "staff_name",
    "contact_left",
    "contact_email",
    "detail",
}


def check_server_frame(raw: str) -> dict[str, Any]:
    """The parsed frame, once it is valid; AssertionError otherwise."""
    assert isinstance(raw, str), f"a server frame must be text, got {type(raw).__name__}"
    raw.encode("utf-8")  # a lone surrogate would make the frame unsendable as a websocket text frame
    frame = json.loads(raw)
    assert isinstance(frame, dict) and isinstance(frame.get("type"), str), raw[:200]
    checker = FRAME_CHECKS.get(frame["type"])
    assert checker is not None, f"undocumented frame type {frame['type']!r}"
    try:
        checker(frame)
    except AssertionError as error:
        raise AssertionError(f"{error} in {raw[:300]}") from None
    return frame


def _fields(value: dict[str, Any], expected: set[str]) -> None:
    assert isinstance(value, dict), f"expected an object, got {value!r:.80}"
    assert set(value) == expected, f"fields {sorted(value)} instead of {sorted(expected)}"


def _uuid(value: Any, *, nullable: bool = False) -> None:
    if nullable and value is None:
        return
    assert isinstance(value, str) and str(uuid.UUID(value)) == value, f"not a UUID string: {value!r:.80}"


def _text(value: Any, *, nullable: bool = False) -> None:
    if nullable and value is None:
        return
    assert isinstance(value, str), f"not a string: {value!r:.80}"


def _sentence(value: Any) -> None:
    assert isinstance(value, str) and value.strip() and value.rstrip().endswith("."), (
        f"not a sentence: {value!r}"
    )


def check_message(message: dict[str, Any]) -> None:
    _fields(message, MESSAGE_FIELDS)
    _uuid(message["id"])
    _uuid(message["client_id"], nullable=True)
    assert message["sender"] in SENDERS, message["sender"]
    assert isinstance(message["text"], str) and message["text"].strip(), "an empty message"
    datetime.fromisoformat(message["created"])
    _uuid(message["reply_to"], nullable=True)
    _text(message["author"], nullable=True)
    assert message["feedback"] in VOTES, message["feedback"]
    if message["sender"] == "customer":
        assert message["client_id"] is not None, "a customer message without its client_id"


def check_conversation(conversation: dict[str, Any]) -> None:
    _fields(conversation, {"id", "status"})
    _uuid(conversation["id"], nullable=True)
    assert conversation["status"] in STATUSES, conversation["status"]


def check_support(support: dict[str, Any] | None) -> None:
    if support is None:
        return
    _fields(support, SUPPORT_FIELDS)
    position = support["queue_position"]
    assert position is None or (isinstance(position, int) and position >= 1), position
    for flag in ("staff_available", "within_hours", "contact_left"):
        assert isinstance(support[flag], bool), flag
    _text(support["hours"])
    _text(support["staff_name"], nullable=True)
    _text(support["contact_email"], nullable=True)
    _text(support["detail"])


def _history(frame: dict[str, Any]) -> None:
    _fields(frame, {"type", "protocol", "conversation", "messages", "pending_reply", "support"})
    assert frame["protocol"] == 1
    check_conversation(frame["conversation"])
    assert isinstance(frame["messages"], list)
    for message in frame["messages"]:
        check_message(message)
    _uuid(frame["pending_reply"], nullable=True)
    check_support(frame["support"])


def _message(frame: dict[str, Any]) -> None:
    _fields(frame, {"type", "message"})
    check_message(frame["message"])


def _token(frame: dict[str, Any]) -> None:
    _fields(frame, {"type", "reply_to", "attempt", "delta"})
    _uuid(frame["reply_to"])
    assert isinstance(frame["attempt"], str) and frame["attempt"], frame["attempt"]
    _text(frame["delta"])


def _typing(frame: dict[str, Any]) -> None:
    _fields(frame, {"type", "sender", "is_typing"})
    assert frame["sender"] in {"bot", "staff"}, frame["sender"]
    assert isinstance(frame["is_typing"], bool)


def _status(frame: dict[str, Any]) -> None:
    _fields(frame, {"type", "conversation", "detail", "support"})
    check_conversation(frame["conversation"])
    _text(frame["detail"])
    check_support(frame["support"])


def _csat_request(frame: dict[str, Any]) -> None:
    _fields(frame, {"type", "conversation", "staff_name"})
    _uuid(frame["conversation"])
    _text(frame["staff_name"], nullable=True)


def _csat_recorded(frame: dict[str, Any]) -> None:
    _fields(frame, {"type", "conversation", "rating"})
    _uuid(frame["conversation"])
    assert frame["rating"] in {1, 2, 3, 4, 5} and not isinstance(frame["rating"], bool)


def _feedback_recorded(frame: dict[str, Any]) -> None:
    _fields(frame, {"type", "message_id", "vote"})
    _uuid(frame["message_id"])
    assert frame["vote"] in VOTES


def _error(frame: dict[str, Any]) -> None:
    _fields(frame, {"type", "code", "detail", "client_id"})
    assert frame["code"] in ERROR_CODES, f"undocumented error code {frame['code']!r}"
    _sentence(frame["detail"])
    _uuid(frame["client_id"], nullable=True)


def _pong(frame: dict[str, Any]) -> None:
    _fields(frame, {"type"})


FRAME_CHECKS = {
    "history": _history,
    "message": _message,
    "token": _token,
    "typing": _typing,
    "status": _status,
    "csat_request": _csat_request,
    "csat_recorded": _csat_recorded,
    "feedback_recorded": _feedback_recorded,
    "error": _error,
    "pong": _pong,
}
