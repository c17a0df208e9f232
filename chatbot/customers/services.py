"""Customers and logins, and starting a new conversation.

A browser is a customer (the signed identity cookie, chatbot.conversations.identity). When someone signs
in, the browser's anonymous customer is merged into the login's customer (its oldest linked one): every
conversation and order moves over, and the browser's cookie names the login's customer from then on. The
rule of the conversations app holds throughout: at most one open conversation per customer. When both
have one, the one the bot answers is closed (the less recent of two); when both are with staff, the merge
waits (the browser keeps its customer, now linked to the login) and happens at a later visit.

`check_*` validates, `do_*` changes state and tells the sockets after commit.
"""

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from chatbot.conversations import events
from chatbot.conversations import selectors as conversation_selectors
from chatbot.conversations.models import Conversation, Customer
from chatbot.conversations.protocol import ErrorCode, ProtocolError, conversation_payload
from chatbot.customers import selectors

logger = logging.getLogger(__name__)

# What the customer's other tabs read when a conversation was closed to start a new one (`status` frame).
CLOSED_FOR_NEW_TEXT = "This conversation has ended. Send a message to start a new one."
# What a tab reads when signing in closed its conversation (the account or the browser had a newer one).
CLOSED_BY_MERGE_TEXT = "This conversation ended because you signed in; you find it under Your conversations."


class MergeWaits(Exception):
    """Both customers have a conversation with staff: neither may be closed, so the merge waits."""


def do_attach_to_account(*, browser_customer: Customer | None, user: Any) -> Customer:
    """The customer a signed-in `user` chats as from this browser (its cookie should name it from now on).

    The browser's anonymous customer is merged into the login's customer, or becomes it when the login has
    none yet. A browser customer linked to another login is never merged: that person's conversations stay
    theirs. When the merge has to wait (MergeWaits), the browser keeps its customer, linked to `user`.
    """
    if browser_customer is not None and browser_customer.user_id not in (None, user.pk):
        browser_customer = None
    account = selectors.account_customer(user=user)
    if account is None:
        if browser_customer is None:
            return Customer.objects.create(user=user)
        Customer.objects.filter(pk=browser_customer.pk).update(user=user)
        browser_customer.user = user
        return browser_customer
    if browser_customer is None or browser_customer.pk == account.pk:
        return account
    try:
        do_merge_customers(source=browser_customer, into=account)
    except MergeWaits:
        logger.info("Customer %s keeps its conversation with staff; merging it later", browser_customer.pk)
        Customer.objects.filter(pk=browser_customer.pk).update(user=user)
        browser_customer.user = user
        return browser_customer
    return account


def do_merge_customers(*, source: Customer, into: Customer) -> None:
    """Move everything that belongs to `source` to `into` and delete `source`, in one transaction.

    Every row that references the customer moves (conversations with their messages and remembered slots,
    orders, and the rows of any later table), `into` keeps its name and e-mail address and takes the
    source's where it has none. Raises MergeWaits when both have a conversation with staff; a source that
    is gone already (a merge in another request won) is nothing to do.
    """
    with transaction.atomic():
        locked = list(Customer.objects.select_for_update().filter(pk__in=[source.pk, into.pk]).order_by("pk"))
        if len(locked) < 2:
            return
        _close_one_of_two_open_conversations(source=source, into=into)
        for relation in Customer._meta.related_objects:
            if relation.one_to_many or relation.one_to_one:
                field = relation.field.name
                relation.related_model._base_manager.filter(**{field: source}).update(**{field: into})
        profile = {name: getattr(source, name) for name in ("name", "email") if not getattr(into, name)}
        if profile:
            Customer.objects.filter(pk=into.pk).update(**profile)
            for name, value in profile.items():
                setattr(into, name, value)
        Customer.objects.filter(pk=source.pk).delete()


def _close_one_of_two_open_conversations(*, source: Customer, into: Customer) -> None:
    """Keep "at most one open conversation" true once the two customers are one."""
    theirs = conversation_selectors.open_conversation(customer=source)
    ours = conversation_selectors.open_conversation(customer=into)
    if theirs is None or ours is None:
        return
    answered_by_bot = [c for c in (theirs, ours) if c.status == Conversation.Status.BOT]
    if not answered_by_bot:
        raise MergeWaits
    closing = min(answered_by_bot, key=lambda conversation: (conversation.updated, conversation.pk))
    if not _close_if_bot(closing):
        raise MergeWaits  # handed to staff meanwhile
    _announce_closed(closing, detail=CLOSED_BY_MERGE_TEXT)


def check_can_start_new_conversation(*, customer: Customer) -> Conversation | None:
    """The open conversation a new one would replace (None: there is none). Raises ProtocolError while it
    is with staff (or waiting for them): a conversation with the team ends when the team resolves it."""
    current = conversation_selectors.open_conversation(customer=customer)
    if current is not None and current.status != Conversation.Status.BOT:
        raise _with_staff()
    return current


def do_start_new_conversation(*, customer: Customer) -> Conversation | None:
    """Close the customer's open conversation so that their next message starts a new one; after commit
    its sockets get a `status` frame. Returns the closed conversation; None when there was nothing to close
    (no open conversation, or one without messages, which the next message simply uses)."""
    with transaction.atomic():
        current = check_can_start_new_conversation(customer=customer)
        if current is None or not current.messages.exists():
            return None
        if not _close_if_bot(current):
            raise _with_staff()  # handed to staff meanwhile
        _announce_closed(current, detail=CLOSED_FOR_NEW_TEXT)
    return current


def _with_staff() -> ProtocolError:
    return ProtocolError(
        ErrorCode.CONVERSATION_WITH_STAFF,
        "This conversation is with our support team: it ends when they resolve it.",
    )


def _close_if_bot(conversation: Conversation) -> bool:
    """Close the conversation if the bot still answers it: a conditional UPDATE, so of an escalation and
    this, whichever comes second finds the status changed."""
    closed = Conversation.objects.filter(pk=conversation.pk, status=Conversation.Status.BOT).update(
        status=Conversation.Status.CLOSED, updated=timezone.now()
    )
    if closed:
        conversation.status = Conversation.Status.CLOSED
    return bool(closed)


def _announce_closed(conversation: Conversation, *, detail: str) -> None:
    event = {
        "type": "chat.status",
        "conversation": conversation_payload(conversation),
        "detail": detail,
        "support": None,
    }
    events.send_to_group_on_commit(conversation.group_name, event)
