"""Staff talking with a customer: messages, typing, internal notes, the model's suggested replies, and
the console's presence. Same conventions as services.py (check/access/do, events after commit).
"""

import logging
import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from chatbot.conversations import events
from chatbot.conversations import services as conversation_services
from chatbot.conversations.models import Conversation, Message
from chatbot.conversations.protocol import ErrorCode, ProtocolError
from chatbot.privacy import masking
from chatbot.support import notify, presence, selectors
from chatbot.support.models import Escalation, InternalNote, SuggestedReply
from chatbot.support.protocol import StaffErrorCode, note_payload, staff_name, suggestion_payload
from chatbot.support.services import access_owned_escalation, check_staff

logger = logging.getLogger(__name__)

Outcome = SuggestedReply.Outcome


def do_send_staff_message(
    *,
    user: AbstractBaseUser,
    conversation: Conversation,
    client_id: uuid.UUID,
    text: str,
    suggestion_id: uuid.UUID | None = None,
) -> Message:
    """Send a message to the customer from the conversation's owner. Idempotent by client_id.

    With `suggestion_id` the message was started from the model's draft: the draft is recorded as sent
    as is (same text, ignoring surrounding and repeated whitespace) or edited.
    """
    escalation = access_owned_escalation(user=user, conversation=conversation)
    existing = conversation.messages.filter(client_id=client_id, sender=Message.Sender.STAFF).first()
    if existing is not None:
        return existing
    suggestion = None
    if suggestion_id is not None:
        suggestion = escalation.suggestions.filter(public_id=suggestion_id).first()
        if suggestion is None:
            raise ProtocolError(
                ErrorCode.INVALID_FIELD, "That suggested reply does not belong to this conversation."
            )
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation,
                sender=Message.Sender.STAFF,
                author=user,
                client_id=client_id,
                text=masking.mask_for_storage(text),
            )
            Conversation.objects.filter(pk=conversation.pk).update(updated=timezone.now())
            events.send_to_group_on_commit(
                conversation.group_name, conversation_services.message_event(message)
            )
            if suggestion is not None:
                _record_suggestion_use(suggestion, user=user, message=message)
    except IntegrityError:
        existing = conversation.messages.filter(client_id=client_id).first()
        if existing is None:
            raise
        return existing
    return message


def _record_suggestion_use(suggestion: SuggestedReply, *, user: AbstractBaseUser, message: Message) -> None:
    as_is = " ".join(message.text.split()) == " ".join(suggestion.text.split())
    # A draft superseded meanwhile (ignored) still counts as used; a decided one keeps its first decision.
    SuggestedReply.objects.filter(pk=suggestion.pk, outcome__in=(Outcome.PENDING, Outcome.IGNORED)).update(
        outcome=Outcome.SENT_AS_IS if as_is else Outcome.EDITED,
        decided=timezone.now(),
        decided_by=user,
        sent_message=message,
    )
    _announce_suggestion(suggestion.escalation.conversation, None)


def do_discard_suggestion(*, user: AbstractBaseUser, suggestion_id: uuid.UUID) -> SuggestedReply:
    """The owner threw the draft away."""
    check_staff(user)
    suggestion = (
        SuggestedReply.objects.select_related("escalation__conversation")
        .filter(public_id=suggestion_id)
        .first()
    )
    if suggestion is None:
        raise ProtocolError(StaffErrorCode.NOT_FOUND, "There is no such suggested reply.")
    conversation = suggestion.escalation.conversation
    access_owned_escalation(user=user, conversation=conversation)
    with transaction.atomic():
        SuggestedReply.objects.filter(
            pk=suggestion.pk, outcome__in=(Outcome.PENDING, Outcome.IGNORED)
        ).update(outcome=Outcome.DISCARDED, decided=timezone.now(), decided_by=user)
        _announce_suggestion(conversation, None)
    suggestion.refresh_from_db()
    return suggestion


def do_store_suggestion(
    *, escalation: Escalation, message: Message, text: str, intent: str, confidence: float, model_version: str
) -> SuggestedReply | None:
    """Keep the model's draft answer to `message` and offer it to the staff watching the conversation.

    None when the conversation is no longer with staff or this message already has a draft (a
    redelivered task). Older pending drafts of the escalation become `ignored`.
    """
    with transaction.atomic():
        if not Escalation.objects.filter(
            pk=escalation.pk, ended__isnull=True, conversation__status=Conversation.Status.WITH_STAFF
        ).exists():
            return None
        try:
            with transaction.atomic():
                suggestion = SuggestedReply.objects.create(
                    escalation=escalation,
                    message=message,
                    text=text,
                    intent=intent,
                    confidence=min(max(confidence, 0.0), 1.0),
                    model_version=model_version,
                )
        except IntegrityError:
            return None
        escalation.suggestions.filter(outcome=Outcome.PENDING).exclude(pk=suggestion.pk).update(
            outcome=Outcome.IGNORED, decided=timezone.now()
        )
        _announce_suggestion(escalation.conversation, suggestion)
    return suggestion


def _announce_suggestion(conversation: Conversation, suggestion: SuggestedReply | None) -> None:
    payload = suggestion_payload(suggestion) if suggestion is not None else None
    notify.send_to_staff_watching(
        conversation,
        {"type": "support.suggestion", "conversation": str(conversation.public_id), "suggestion": payload},
    )


def do_add_note(*, user: AbstractBaseUser, conversation: Conversation, text: str) -> InternalNote:
    """An internal note: stored apart from the messages and sent only to staff consoles."""
    check_staff(user)
    with transaction.atomic():
        note = InternalNote.objects.create(
            conversation=conversation,
            escalation=selectors.open_escalation(conversation=conversation),
            author=user,
            text=masking.mask_for_storage(text),
        )
        notify.send_to_staff_watching(
            conversation,
            {"type": "support.note", "conversation": str(conversation.public_id), "note": note_payload(note)},
        )
    return note


def do_send_staff_typing(*, user: AbstractBaseUser, conversation: Conversation, is_typing: bool) -> None:
    """Show the customer (and colleagues watching) that the owner is typing."""
    access_owned_escalation(user=user, conversation=conversation)
    events.send_to_group(
        conversation.group_name,
        conversation_services.typing_event(
            conversation=conversation,
            sender="staff",
            is_typing=is_typing,
            user=user.pk,
            name=staff_name(user),
        ),
    )


def do_set_presence(*, user: AbstractBaseUser, channel: str, status: str) -> None:
    """A console connected, sent its heartbeat, or its user switched between online and away."""
    presence.record(user_id=user.pk, channel=channel, status=status)
    notify.announce_presence()


def do_leave_console(*, user: AbstractBaseUser, channel: str) -> None:
    presence.forget(user_id=user.pk, channel=channel)
    notify.announce_presence()
