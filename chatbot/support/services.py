"""The escalation lifecycle: escalate → claim → (transfer) → resolve or hand back, plus what customers do
around it (ask for a person, leave contact details, rate the conversation).

`check_*` validates, `access_*` fetches with its permission check, `do_*` changes state, writes the
SupportEvent row and, after commit, tells the sockets (notify.py). Every state change of a
conversation is a conditional UPDATE on its status, so two staff members (or a staff member and the
bot) can never both win: the database decides, not a read-then-write check.

Staff conversations (messages, notes, typing, suggested replies) are in staff_services.py.
"""

import logging
import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from chatbot.conversations import events
from chatbot.conversations import selectors as conversation_selectors
from chatbot.conversations import services as conversation_services
from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.conversations.protocol import ErrorCode, ProtocolError, staff_first_name
from chatbot.privacy import masking
from chatbot.support import notify, selectors
from chatbot.support.config import support_config
from chatbot.support.models import CsatRating, Escalation, SuggestedReply, SupportEvent
from chatbot.support.protocol import StaffErrorCode, staff_name

logger = logging.getLogger(__name__)

Reason = Escalation.Reason
PRIORITY = {
    Reason.CUSTOMER_BUTTON: Escalation.Priority.NORMAL,
    Reason.CUSTOMER_REQUEST: Escalation.Priority.NORMAL,
    Reason.REPEATED_QUESTION: Escalation.Priority.NORMAL,
    Reason.LOW_CONFIDENCE: Escalation.Priority.LOW,
    Reason.COMPLAINT: Escalation.Priority.HIGH,
    Reason.ANGRY_LANGUAGE: Escalation.Priority.HIGH,
}

# What the customer reads in the transcript (system messages).
ESCALATED_TEXT = "I have asked a member of our support team to join this conversation."
JOINED_TEXT = "{name} from support joined the conversation."
TRANSFERRED_TEXT = "{name} from support took over the conversation."
RESOLVED_TEXT = "{name} marked this conversation as resolved. Thank you for contacting us!"
HANDED_BACK_TEXT = "You are chatting with our assistant again."
CONTACT_TEXT = "Thanks! We will reply to {email}."


# --- Permissions ----------------------------------------------------------------------------------


def check_staff(user: AbstractBaseUser | None) -> None:
    if not selectors.is_staff_member(user):
        raise ProtocolError(StaffErrorCode.NOT_ALLOWED, "Only support staff can do this.")


def access_conversation(*, user: AbstractBaseUser, conversation_id: uuid.UUID) -> Conversation:
    """Any conversation, for a staff member: staff read every transcript (docs/support.md)."""
    check_staff(user)
    conversation = Conversation.objects.select_related("customer").filter(public_id=conversation_id).first()
    if conversation is None:
        raise ProtocolError(StaffErrorCode.NOT_FOUND, "There is no such conversation.")
    return conversation


def access_owned_escalation(*, user: AbstractBaseUser, conversation: Conversation) -> Escalation:
    """The open escalation of a conversation with staff that `user` owns; admins may act on any."""
    check_staff(user)
    escalation = selectors.open_escalation(conversation=conversation)
    current = Conversation.objects.filter(pk=conversation.pk).values_list("status", flat=True).first()
    if escalation is None or current != Conversation.Status.WITH_STAFF:
        raise ProtocolError(StaffErrorCode.CONFLICT, "This conversation is not with staff (claim it first).")
    if escalation.assignee_id != user.pk and not user.is_superuser:
        raise ProtocolError(
            StaffErrorCode.NOT_ALLOWED,
            f"{staff_name(escalation.assignee) or 'Someone else'} owns this conversation; "
            "only they or an admin can act on it.",
        )
    return escalation


# --- Escalating -----------------------------------------------------------------------------------


def do_escalate(
    *, conversation: Conversation, reason: str, detail: str = "", trigger_message: Message | None = None
) -> Escalation | None:
    """Hand a conversation the bot answers to staff: it joins the queue and the bot falls silent.

    None when the conversation was not the bot's (already waiting, with staff, or closed): escalating
    twice is harmless. Usable inside a larger transaction (the triggers run inside the one that stored
    the message).
    """
    with transaction.atomic():
        now = timezone.now()
        moved = Conversation.objects.filter(pk=conversation.pk, status=Conversation.Status.BOT).update(
            status=Conversation.Status.WAITING_FOR_STAFF, updated=now
        )
        if not moved:
            return None
        conversation.status = Conversation.Status.WAITING_FOR_STAFF
        escalation = Escalation.objects.create(
            conversation=conversation,
            reason=reason,
            detail=detail[:300],
            priority=PRIORITY[reason],
            trigger_message=trigger_message,
            escalated=now,
        )
        _record(escalation, SupportEvent.Kind.ESCALATED, reason=reason, created=now)
        _system_message(conversation, ESCALATED_TEXT)
        notify.announce_change(conversation)
    return escalation


def do_request_staff(*, conversation: Conversation) -> None:
    """The customer pressed "Talk to a person". Pressing it again while waiting only repeats the status."""
    if not support_config().escalate_on_request:
        raise ProtocolError(
            ErrorCode.ESCALATION_DISABLED,
            "Talking to a person is not available here. Please ask the assistant.",
        )
    with transaction.atomic():
        if do_escalate(conversation=conversation, reason=Reason.CUSTOMER_BUTTON) is None:
            notify.on_commit(notify.send_customer_status, conversation)


def do_leave_contact(*, customer: Customer, email: str, message: str) -> Escalation:
    """While nobody can answer, the customer leaves an address (and a message); the conversation stays
    in the queue for the next shift, and the customer's profile gets the address."""
    conversation = conversation_selectors.open_conversation(customer=customer)
    escalation = selectors.open_escalation(conversation=conversation) if conversation else None
    if (
        conversation is None
        or escalation is None
        or conversation.status != Conversation.Status.WAITING_FOR_STAFF
    ):
        raise ProtocolError(ErrorCode.NOT_WAITING, "Contact details can be left while you wait for our team.")
    with transaction.atomic():
        now = timezone.now()
        Escalation.objects.filter(pk=escalation.pk).update(
            contact_email=email, contact_message=masking.mask_for_storage(message), contact_left=now
        )
        Customer.objects.filter(pk=customer.pk).update(email=email)
        _record(escalation, SupportEvent.Kind.CONTACT_LEFT, created=now)
        _system_message(conversation, CONTACT_TEXT.format(email=email))
        notify.announce_change(conversation)
    escalation.refresh_from_db()
    return escalation


# --- Staff actions on the escalation --------------------------------------------------------------


def do_claim(*, user: AbstractBaseUser, conversation: Conversation) -> Escalation:
    """Take a waiting conversation. Atomic: of two staff claiming at once exactly one wins; the other
    gets `already_claimed` naming the winner."""
    check_staff(user)
    with transaction.atomic():
        now = timezone.now()
        won = Conversation.objects.filter(
            pk=conversation.pk, status=Conversation.Status.WAITING_FOR_STAFF
        ).update(status=Conversation.Status.WITH_STAFF, updated=now)
        if not won:
            # On PostgreSQL the UPDATE waited for the winner's commit; this read sees the winner.
            escalation = selectors.open_escalation(conversation=conversation)
            if escalation is not None and escalation.assignee_id is not None:
                raise ProtocolError(
                    StaffErrorCode.ALREADY_CLAIMED, f"Already claimed by {staff_name(escalation.assignee)}."
                )
            raise ProtocolError(StaffErrorCode.CONFLICT, "This conversation is no longer waiting for staff.")
        escalation = Escalation.objects.get(conversation=conversation, ended__isnull=True)
        escalation.assignee, escalation.claimed = user, now
        escalation.save(update_fields=["assignee", "claimed"])
        _record(escalation, SupportEvent.Kind.CLAIMED, actor=user, created=now)
        _system_message(conversation, JOINED_TEXT.format(name=staff_first_name(user)))
        notify.announce_change(conversation)
        _suggest_for_last_message(conversation)
    return escalation


def do_transfer(*, user: AbstractBaseUser, conversation: Conversation, to_user_id: int) -> Escalation:
    """Give a conversation to another staff member (the owner, or an admin, does this)."""
    escalation = access_owned_escalation(user=user, conversation=conversation)
    target = selectors.staff_users().filter(pk=to_user_id).first()
    if target is None:
        raise ProtocolError(StaffErrorCode.INVALID_TARGET, "There is no staff member with that id.")
    if target.pk == escalation.assignee_id:
        raise ProtocolError(
            StaffErrorCode.INVALID_TARGET, f"{staff_name(target)} already owns this conversation."
        )
    with transaction.atomic():
        moved = Escalation.objects.filter(
            pk=escalation.pk, ended__isnull=True, assignee_id=escalation.assignee_id
        ).update(assignee=target)
        if not moved:
            raise ProtocolError(StaffErrorCode.CONFLICT, "The conversation changed meanwhile; try again.")
        _record(escalation, SupportEvent.Kind.TRANSFERRED, actor=user, target=target)
        _system_message(conversation, TRANSFERRED_TEXT.format(name=staff_first_name(target)))
        notify.announce_change(conversation)
        notify.send_to_staff_member(
            target.pk,
            {
                "type": "support.notice",
                "conversation": str(conversation.public_id),
                "detail": f"{staff_name(user)} passed you the conversation with {conversation.customer}.",
            },
        )
    escalation.refresh_from_db()
    return escalation


def do_resolve(*, user: AbstractBaseUser, conversation: Conversation, outcome: str) -> Escalation:
    """End the conversation with an outcome; the customer is asked for a rating (not for spam)."""
    escalation = access_owned_escalation(user=user, conversation=conversation)
    with transaction.atomic():
        ended = _end(escalation, new_status=Conversation.Status.CLOSED, outcome=outcome)
        _record(escalation, SupportEvent.Kind.RESOLVED, actor=user, reason=outcome, created=ended)
        name = staff_first_name(escalation.assignee or user)
        _system_message(conversation, RESOLVED_TEXT.format(name=name))
        notify.announce_change(conversation)
        if outcome != Escalation.Outcome.SPAM:
            request = {
                "type": "chat.csat_request",
                "conversation": str(conversation.public_id),
                "staff_name": name,
            }
            events.send_to_group_on_commit(conversation.group_name, request)
    return escalation


def do_hand_back(*, user: AbstractBaseUser, conversation: Conversation) -> Escalation:
    """Give the conversation back to the bot, which answers the customer's next message."""
    escalation = access_owned_escalation(user=user, conversation=conversation)
    with transaction.atomic():
        ended = _end(escalation, new_status=Conversation.Status.BOT, outcome=Escalation.Outcome.HANDED_BACK)
        _record(escalation, SupportEvent.Kind.HANDED_BACK, actor=user, created=ended)
        _system_message(conversation, HANDED_BACK_TEXT)
        notify.announce_change(conversation)
    return escalation


def _end(escalation: Escalation, *, new_status: str, outcome: str):
    """Move the conversation from staff to `new_status` and close the escalation; returns the time."""
    now = timezone.now()
    moved = Conversation.objects.filter(
        pk=escalation.conversation_id, status=Conversation.Status.WITH_STAFF
    ).update(status=new_status, updated=now)
    if not moved:
        raise ProtocolError(StaffErrorCode.CONFLICT, "The conversation changed meanwhile; reload it.")
    Escalation.objects.filter(pk=escalation.pk).update(ended=now, outcome=outcome)
    escalation.ended, escalation.outcome = now, outcome
    escalation.conversation.status = new_status
    SuggestedReply.objects.filter(escalation=escalation, outcome=SuggestedReply.Outcome.PENDING).update(
        outcome=SuggestedReply.Outcome.IGNORED, decided=now
    )
    return now


# --- Customer feedback ----------------------------------------------------------------------------


def do_rate_conversation(
    *, customer: Customer, conversation_id: uuid.UUID, rating: int, comment: str
) -> CsatRating:
    """Store the customer's CSAT rating of a conversation staff resolved: one per conversation."""
    conversation = customer.conversations.filter(public_id=conversation_id).first()
    escalation = selectors.resolved_escalation(conversation=conversation) if conversation else None
    if conversation is None or escalation is None or escalation.outcome == Escalation.Outcome.SPAM:
        raise ProtocolError(ErrorCode.NOT_RATEABLE, "Only a conversation our team resolved can be rated.")
    try:
        with transaction.atomic():
            return CsatRating.objects.create(
                conversation=conversation,
                escalation=escalation,
                rating=rating,
                comment=masking.mask_for_storage(comment),
            )
    except IntegrityError:
        raise ProtocolError(
            ErrorCode.ALREADY_RATED, "You already rated this conversation. Thank you!"
        ) from None


# --- Helpers --------------------------------------------------------------------------------------


def _record(escalation: Escalation, kind: str, **fields) -> SupportEvent:
    return SupportEvent.objects.create(
        escalation=escalation, conversation_id=escalation.conversation_id, kind=kind, **fields
    )


def _system_message(conversation: Conversation, text: str) -> Message:
    """A notice in the transcript (customers and staff see it; the model never does)."""
    message = Message.objects.create(conversation=conversation, sender=Message.Sender.SYSTEM, text=text)
    events.send_to_group_on_commit(conversation.group_name, conversation_services.message_event(message))
    return message


def _suggest_for_last_message(conversation: Conversation) -> None:
    """After commit, draft an answer to the customer's last message if nobody answered it yet."""
    from chatbot.support.suggestions import dispatch_suggestion

    last = selectors.last_dialogue_message(conversation=conversation)
    if last is not None and last.sender == Message.Sender.CUSTOMER:
        notify.on_commit(dispatch_suggestion, message_id=last.pk)
