"""What the support app tells sockets, always after the transaction commits (zulip's
send_event_on_commit): the customer's status line, the staff consoles' lists and open conversations.

Groups:
* `conversation.<id>` (the customer's group, conversations app): status lines, messages, typing. Staff
  consoles watching a conversation join it too.
* `support.staff`: every staff console; the queue changed, presence changed.
* `support.conversation.<id>`: staff consoles watching one conversation; internal notes, suggested
  replies, "reload this conversation". Customer sockets never join a `support.*` group.
* `support.user.<id>`: one staff member's consoles; notices meant for them (a transfer to them).

Events name no data a socket may not see; each staff consumer re-reads what it shows (its own lists
differ: "mine"), the customer's status line is computed once per conversation.
"""

from typing import Any

from django.core.cache import cache
from django.db import transaction

from chatbot.conversations import events
from chatbot.conversations.models import Conversation
from chatbot.support import customer_status, presence, selectors

STAFF_GROUP = "support.staff"
# How long the last status line sent to a waiting customer is remembered (to skip repeats).
_LAST_STATUS_SECONDS = 6 * 3600


def staff_conversation_group(conversation: Conversation) -> str:
    return f"support.conversation.{conversation.public_id}"


def staff_user_group(user_id: int) -> str:
    return f"support.user.{user_id}"


def on_commit(function: Any, *args: Any, **kwargs: Any) -> None:
    def call() -> None:
        function(*args, **kwargs)

    # A function, not functools.partial: Django logs a failing robust callback by its __qualname__,
    # which a partial lacks; the AttributeError would escape and skip the callbacks after it
    # (chatbot/conversations/events.py, docs/resilience.md).
    transaction.on_commit(call, robust=True)


def announce_change(conversation: Conversation) -> None:
    """After commit: the conversation's state changed (escalated, claimed, transferred, resolved, handed
    back, contact left). Tells its customer, every console, and everyone waiting their new place."""
    on_commit(_announce_change, conversation.pk)


def _announce_change(conversation_id: int) -> None:
    conversation = Conversation.objects.select_related("customer").get(pk=conversation_id)
    send_customer_status(conversation)
    events.send_to_group(
        staff_conversation_group(conversation),
        {"type": "support.changed", "conversation": str(conversation.public_id)},
    )
    events.send_to_group(STAFF_GROUP, {"type": "support.queue"})
    update_waiting_customers()


def send_customer_status(conversation: Conversation) -> None:
    """The customer's status line (`status` frame) for the conversation as it is now."""
    event = customer_status.status_event(conversation)
    cache.set(_last_status_key(conversation), event["detail"], timeout=_LAST_STATUS_SECONDS)
    events.send_to_group(conversation.group_name, event)


def update_waiting_customers() -> None:
    """Every waiting customer whose status line changed (queue place, staff online) gets the new one."""
    waiting = list(selectors.waiting_escalations())
    view = customer_status.QueueView.now(waiting)
    for escalation in waiting:
        conversation = escalation.conversation
        event = customer_status.status_event(conversation, escalation=escalation, view=view)
        if cache.get(_last_status_key(conversation)) != event["detail"]:
            cache.set(_last_status_key(conversation), event["detail"], timeout=_LAST_STATUS_SECONDS)
            events.send_to_group(conversation.group_name, event)


def _last_status_key(conversation: Conversation) -> str:
    return f"support:last-status:{conversation.pk}"


def send_to_staff_watching(conversation: Conversation, event: dict[str, Any]) -> None:
    """After commit: an event only staff may see (a note, a draft) to the consoles on this conversation."""
    on_commit(events.send_to_group, staff_conversation_group(conversation), event)


def send_to_staff_member(user_id: int, event: dict[str, Any]) -> None:
    on_commit(events.send_to_group, staff_user_group(user_id), event)


def announce_presence(*, force: bool = False) -> None:
    """Every console gets the staff list when someone's presence changed (or expired: a crashed console
    is noticed at the next heartbeat of any other); waiting customers learn whether anyone is online."""
    staff = staff_presence()
    summary = sorted((member["id"], member["status"]) for member in staff)
    if not force and cache.get("support:presence-summary") == summary:
        return
    cache.set("support:presence-summary", summary, timeout=None)
    events.send_to_group(STAFF_GROUP, {"type": "support.staff", "staff": staff})
    update_waiting_customers()


def staff_presence() -> list[dict[str, Any]]:
    from chatbot.support.protocol import staff_name

    users = list(selectors.staff_users())
    statuses = presence.statuses(user.pk for user in users)
    return [{"id": user.pk, "name": staff_name(user), "status": statuses[user.pk]} for user in users]
