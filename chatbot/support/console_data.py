"""What the staff console shows, assembled from selectors into protocol payloads. Read-only."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from chatbot.conversations.models import Conversation
from chatbot.support import notify, protocol, selectors
from chatbot.support.models import Escalation


def _cards(escalations: Any) -> list[dict[str, Any]]:
    return [
        protocol.escalation_payload(
            escalation,
            last_messages=list(reversed(escalation.conversation.preview_messages)),
            earlier_conversations=escalation.earlier_conversations,
        )
        for escalation in selectors.with_card_data(escalations)
    ]


def console_lists(*, user: AbstractBaseUser) -> dict[str, Any]:
    """The queue, the user's own conversations, and (admins only) everyone else's with staff."""
    return {
        "queue": _cards(selectors.waiting_escalations()),
        "mine": _cards(selectors.active_escalations(assignee=user)),
        "others": _cards(selectors.active_escalations(exclude=user)) if user.is_superuser else None,
    }


def console_snapshot(*, user: AbstractBaseUser) -> dict[str, Any]:
    me = {"id": user.pk, "name": protocol.staff_name(user), "is_admin": user.is_superuser}
    canned = [
        {"shortcut": canned.shortcut, "title": canned.title, "text": canned.text}
        for canned in selectors.canned_responses()
    ]
    return protocol.console_frame(
        me=me, lists=console_lists(user=user), staff=notify.staff_presence(), canned=canned
    )


def owned_conversations(*, user: AbstractBaseUser) -> list[Conversation]:
    return [escalation.conversation for escalation in selectors.active_escalations(assignee=user)]


def conversation_detail(*, user: AbstractBaseUser, conversation: Conversation) -> dict[str, Any]:
    """Everything about one conversation: transcript with model internals, notes, timeline, the
    customer's other conversations, the pending draft, and what this user may do with it."""
    conversation.refresh_from_db()
    escalation = selectors.open_escalation(conversation=conversation) or _latest_escalation(conversation)
    owner = escalation.assignee_id if escalation is not None and escalation.ended is None else None
    customer = conversation.customer
    rating = conversation.csat if hasattr(conversation, "csat") else None
    is_with_staff = conversation.status == Conversation.Status.WITH_STAFF
    return {
        "conversation": {
            "id": str(conversation.public_id),
            "status": conversation.status,
            "created": protocol.iso(conversation.created),
            "customer": {
                "name": customer.name or None,
                "email": customer.email or None,
                "label": str(customer),
                "since": protocol.iso(customer.created),
            },
        },
        "escalation": protocol.escalation_payload(escalation) if escalation is not None else None,
        "messages": [
            protocol.staff_message_payload(message)
            for message in selectors.transcript(conversation=conversation)
        ],
        "notes": [protocol.note_payload(note) for note in selectors.notes(conversation=conversation)],
        "events": [protocol.event_payload(event) for event in selectors.timeline(conversation=conversation)],
        "previous": [
            protocol.previous_payload(other)
            for other in selectors.previous_conversations(conversation=conversation)
        ],
        "suggestion": _suggestion(escalation if is_with_staff else None),
        "rating": {"rating": rating.rating, "comment": rating.comment} if rating is not None else None,
        "can_claim": conversation.status == Conversation.Status.WAITING_FOR_STAFF,
        "can_act": is_with_staff and (owner == user.pk or user.is_superuser),
    }


def _latest_escalation(conversation: Conversation) -> Escalation | None:
    return (
        conversation.escalations.select_related("assignee", "conversation__customer")
        .order_by("-escalated")
        .first()
    )


def _suggestion(escalation: Escalation | None) -> dict[str, Any] | None:
    pending = selectors.pending_suggestion(escalation=escalation)
    return protocol.suggestion_payload(pending) if pending is not None else None
