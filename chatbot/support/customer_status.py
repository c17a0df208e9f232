"""What a customer is told about the hand-over: the `support` object of `history` and `status` frames and
the sentence shown above the chat (docs/protocol.md, "SUPPORT")."""

from dataclasses import dataclass
from typing import Any

from chatbot.conversations.models import Conversation
from chatbot.conversations.protocol import conversation_payload, staff_first_name
from chatbot.support import selectors
from chatbot.support.config import SupportConfig, support_config
from chatbot.support.models import Escalation

LEAVE_CONTACT = "Leave your e-mail address and a message, and we will get back to you."


@dataclass(frozen=True)
class QueueView:
    """What every waiting customer's line depends on, read once for all of them."""

    config: SupportConfig
    staff_available: bool
    positions: dict[int, int]  # escalation id -> place in the queue

    @classmethod
    def now(cls, waiting: list[Escalation] | None = None) -> "QueueView":
        config = support_config()
        waiting = list(selectors.waiting_escalations()) if waiting is None else waiting
        return cls(
            config=config,
            staff_available=selectors.staff_available(config=config),
            positions={escalation.pk: place for place, escalation in enumerate(waiting, start=1)},
        )


def support_state(
    conversation: Conversation | None, *, escalation: Escalation | None = None, view: QueueView | None = None
) -> dict[str, Any] | None:
    """SUPPORT for a conversation waiting for or with staff; None while the bot (or nobody) answers."""
    if conversation is None or conversation.status in (Conversation.Status.BOT, Conversation.Status.CLOSED):
        return None
    escalation = escalation or selectors.open_escalation(conversation=conversation)
    if escalation is None:
        return None
    view = view or QueueView.now()
    waiting = conversation.status == Conversation.Status.WAITING_FOR_STAFF
    state = {
        "queue_position": view.positions.get(escalation.pk) if waiting else None,
        "staff_available": view.staff_available if waiting else True,
        "within_hours": view.config.within_hours(),
        "hours": view.config.hours_text(),
        "staff_name": staff_first_name(escalation.assignee) if escalation.assignee_id else None,
        "contact_left": escalation.contact_left is not None,
        "contact_email": escalation.contact_email or None,
    }
    state["detail"] = status_detail(conversation, state)
    return state


def status_detail(conversation: Conversation, state: dict[str, Any] | None) -> str:
    """The sentence above the chat."""
    status = conversation.status
    if status == Conversation.Status.CLOSED:
        return "This conversation has ended. Send a message to start a new one."
    if state is None:
        return ""
    if status == Conversation.Status.WITH_STAFF:
        return f"{state['staff_name']} from support joined the conversation."
    place = f"you are number {state['queue_position']} in the queue"
    if state["contact_left"]:
        email = state["contact_email"]
        return f"Thanks, we will reply to {email}. Meanwhile {place}; you can keep writing here."
    if not state["within_hours"]:
        return f"Our team is available {state['hours']}. {LEAVE_CONTACT}"
    if not state["staff_available"]:
        return f"No one from our team is online right now. {LEAVE_CONTACT}"
    return f"A support agent will join shortly — {place}."


def status_event(
    conversation: Conversation, *, escalation: Escalation | None = None, view: QueueView | None = None
) -> dict[str, Any]:
    """The chat.status event for the conversation's group (the customer socket makes a `status` frame)."""
    state = support_state(conversation, escalation=escalation, view=view)
    return {
        "type": "chat.status",
        "conversation": conversation_payload(conversation),
        "detail": status_detail(conversation, state),
        "support": state,
    }
