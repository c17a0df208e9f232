"""The staff console socket `/ws/support/` (docs/protocol.md, "The staff socket"): client frame parsing
and every server frame. Same conventions as the customer socket (chatbot/conversations/protocol.py):
JSON objects with a `type`, client mistakes raised once as ProtocolError and answered with `error`.

Unlike the customer's frames, these carry model internals (intent, confidence) and internal notes.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from chatbot.conversations.models import Conversation, Message
from chatbot.conversations.protocol import (
    PROTOCOL_VERSION,
    ErrorCode,
    ProtocolError,
    message_internals,
    message_payload,
    parse_message_fields,
    parse_text,
    parse_uuid,
    staff_full_name,
)
from chatbot.support.models import Escalation, InternalNote, SuggestedReply, SupportEvent

PRESENCE_STATUSES = ("online", "away")
RESOLVE_OUTCOMES = tuple(o.value for o in Escalation.Outcome if o != Escalation.Outcome.HANDED_BACK)
# An internal note may be longer than a chat message: it is a hand-over memo.
MAX_NOTE_CHARS = 4000


class StaffErrorCode(ErrorCode):
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    ALREADY_CLAIMED = "already_claimed"
    CONFLICT = "conflict"
    INVALID_TARGET = "invalid_target"


# --- Client → server ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConversationFrame:
    """A frame about one conversation: open, claim, hand_back."""

    type: str
    conversation_id: uuid.UUID


@dataclass(frozen=True)
class StaffMessage:
    conversation_id: uuid.UUID
    client_id: uuid.UUID
    text: str
    suggestion_id: uuid.UUID | None


@dataclass(frozen=True)
class Note:
    conversation_id: uuid.UUID
    text: str


@dataclass(frozen=True)
class StaffTyping:
    conversation_id: uuid.UUID
    is_typing: bool


@dataclass(frozen=True)
class Transfer:
    conversation_id: uuid.UUID
    to_user_id: int


@dataclass(frozen=True)
class Resolve:
    conversation_id: uuid.UUID
    outcome: str


@dataclass(frozen=True)
class DiscardSuggestion:
    suggestion_id: uuid.UUID


@dataclass(frozen=True)
class SetPresence:
    status: str


@dataclass(frozen=True)
class Ping:
    pass


StaffFrame = (
    ConversationFrame
    | StaffMessage
    | Note
    | StaffTyping
    | Transfer
    | Resolve
    | DiscardSuggestion
    | SetPresence
    | Ping
)
FRAME_TYPES = (
    "open, claim, message, note, typing, transfer, resolve, hand_back, discard_suggestion, presence or ping"
)


def parse_staff_frame(content: dict[str, Any], *, max_message_chars: int) -> StaffFrame:
    frame_type = content.get("type")
    if frame_type == "ping":
        return Ping()
    if frame_type == "presence":
        status = content.get("status")
        if status not in PRESENCE_STATUSES:
            raise ProtocolError(ErrorCode.INVALID_FIELD, '"status" must be "online" or "away".')
        return SetPresence(status=status)
    if frame_type == "discard_suggestion":
        return DiscardSuggestion(suggestion_id=parse_uuid(content.get("suggestion"), "suggestion"))
    if frame_type not in {"open", "claim", "message", "note", "typing", "transfer", "resolve", "hand_back"}:
        raise ProtocolError(
            ErrorCode.UNKNOWN_TYPE, f"Unknown frame type {str(frame_type)[:40]!r}; expected {FRAME_TYPES}."
        )
    conversation_id = parse_uuid(content.get("conversation"), "conversation")
    if frame_type == "message":
        return _parse_message(content, conversation_id, max_message_chars=max_message_chars)
    if frame_type == "note":
        text = parse_text(content.get("text"), field="text", label="The note", max_chars=MAX_NOTE_CHARS)
        return Note(conversation_id=conversation_id, text=text)
    if frame_type == "typing":
        is_typing = content.get("is_typing")
        if not isinstance(is_typing, bool):
            raise ProtocolError(ErrorCode.INVALID_FIELD, '"is_typing" must be true or false.')
        return StaffTyping(conversation_id=conversation_id, is_typing=is_typing)
    if frame_type == "transfer":
        to = content.get("to")
        if isinstance(to, bool) or not isinstance(to, int) or to < 1:
            raise ProtocolError(ErrorCode.INVALID_FIELD, '"to" must be a staff member\'s id.')
        return Transfer(conversation_id=conversation_id, to_user_id=to)
    if frame_type == "resolve":
        outcome = content.get("outcome")
        if outcome not in RESOLVE_OUTCOMES:
            raise ProtocolError(
                ErrorCode.INVALID_FIELD, f'"outcome" must be one of {", ".join(RESOLVE_OUTCOMES)}.'
            )
        return Resolve(conversation_id=conversation_id, outcome=outcome)
    return ConversationFrame(type=frame_type, conversation_id=conversation_id)


def _parse_message(
    content: dict[str, Any], conversation_id: uuid.UUID, *, max_message_chars: int
) -> StaffMessage:
    fields = parse_message_fields(content, max_message_chars=max_message_chars)
    raw_suggestion = content.get("suggestion")
    suggestion_id = None if raw_suggestion is None else parse_uuid(raw_suggestion, "suggestion")
    return StaffMessage(
        conversation_id=conversation_id,
        client_id=fields.client_id,
        text=fields.text,
        suggestion_id=suggestion_id,
    )


# --- Payloads -------------------------------------------------------------------------------------


def staff_name(user: AbstractBaseUser | None) -> str | None:
    """A staff member as colleagues see them: the full name, else the user name."""
    return None if user is None else staff_full_name(user)


def person(user: AbstractBaseUser | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": staff_name(user)}


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def staff_message_payload(message: Message) -> dict[str, Any]:
    """MESSAGE plus how a bot reply was made and who on the staff (full name) wrote a staff message."""
    return {**message_payload(message), **message_internals(message)}


def escalation_payload(
    escalation: Escalation, *, last_messages: list[Message] | None = None, earlier_conversations: int = 0
) -> dict[str, Any]:
    """One card of the queue (or of "mine", "others"); last_messages are previews, customer-safe text."""
    conversation = escalation.conversation
    customer = conversation.customer
    contact = None
    if escalation.contact_left is not None:
        contact = {
            "email": escalation.contact_email,
            "message": escalation.contact_message,
            "left": iso(escalation.contact_left),
        }
    return {
        "conversation": str(conversation.public_id),
        "escalation": str(escalation.public_id),
        "status": conversation.status,
        "reason": escalation.reason,
        "reason_label": escalation.get_reason_display(),
        "detail": escalation.detail,
        "priority": escalation.priority,
        "priority_label": escalation.get_priority_display(),
        "escalated": iso(escalation.escalated),
        "claimed": iso(escalation.claimed),
        "assignee": person(escalation.assignee),
        "customer": {"name": customer.name or None, "email": customer.email or None, "label": str(customer)},
        "contact": contact,
        "last_messages": [
            {"sender": message.sender, "text": message.text, "created": iso(message.created)}
            for message in last_messages or []
        ],
        "earlier_conversations": earlier_conversations,
    }


def note_payload(note: InternalNote) -> dict[str, Any]:
    return {"id": note.pk, "text": note.text, "created": iso(note.created), "author": staff_name(note.author)}


def event_payload(event: SupportEvent) -> dict[str, Any]:
    """EVENT; reason_label reads the escalation reason or resolution outcome as a person would."""
    labels = {**dict(Escalation.Reason.choices), **dict(Escalation.Outcome.choices)}
    return {
        "kind": event.kind,
        "label": event.get_kind_display(),
        "created": iso(event.created),
        "actor": staff_name(event.actor),
        "target": staff_name(event.target),
        "reason": event.reason,
        "reason_label": labels.get(event.reason, event.reason),
    }


def suggestion_payload(suggestion: SuggestedReply) -> dict[str, Any]:
    return {
        "id": str(suggestion.public_id),
        "reply_to": str(suggestion.message.public_id),
        "text": suggestion.text,
        "intent": suggestion.intent or None,
        "confidence": suggestion.confidence,
        "created": iso(suggestion.created),
    }


def previous_payload(conversation: Conversation) -> dict[str, Any]:
    # A missing one-to-one row raises an AttributeError subclass, which hasattr turns into False.
    rating = conversation.csat if hasattr(conversation, "csat") else None
    return {
        "id": str(conversation.public_id),
        "created": iso(conversation.created),
        "status": conversation.status,
        "message_count": getattr(conversation, "message_count", None),
        "rating": rating.rating if rating is not None else None,
    }


# --- Server → client ------------------------------------------------------------------------------


def console_frame(
    *, me: dict[str, Any], lists: dict[str, Any], staff: list[dict[str, Any]], canned: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "type": "console",
        "protocol": PROTOCOL_VERSION,
        "me": me,
        **lists,
        "staff": staff,
        "canned": canned,
        "outcomes": [
            {"value": o.value, "label": o.label} for o in Escalation.Outcome if o.value in RESOLVE_OUTCOMES
        ],
    }


def queue_frame(lists: dict[str, Any]) -> dict[str, Any]:
    return {"type": "queue", **lists}


def staff_list_frame(staff: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "staff", "staff": staff}


def conversation_frame(detail: dict[str, Any]) -> dict[str, Any]:
    return {"type": "conversation", **detail}


def staff_event_frame(frame_type: str, *, conversation: str, **fields: Any) -> dict[str, Any]:
    """message, note, suggestion, typing: one thing that happened in one conversation."""
    return {"type": frame_type, "conversation": conversation, **fields}


def notice_frame(*, detail: str, conversation: str | None) -> dict[str, Any]:
    return {"type": "notice", "detail": detail, "conversation": conversation}


def staff_error_frame(
    *, code: str, detail: str, conversation: str | None = None, client_id: str | None = None
) -> dict[str, Any]:
    return {
        "type": "error",
        "code": code,
        "detail": detail,
        "conversation": conversation,
        "client_id": client_id,
    }
