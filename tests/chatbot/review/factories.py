"""Small factories for the review tests: conversations with exchanges, escalations, ratings, people."""

import datetime
import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.review.reviewer_group import ensure_reviewer_group
from chatbot.support.models import CsatRating, Escalation, SupportEvent
from chatbot.support.staff_group import ensure_staff_group

User = get_user_model()
PASSWORD = "correct-horse-battery-staple"


def make_reviewer(username: str = "rita", **fields) -> User:
    """A member of "Transcript reviewers" with admin access (the group is re-made: transactional tests
    empty the database)."""
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True, **fields)
    user.groups.add(ensure_reviewer_group(group_model=Group, permission_model=Permission))
    return user


def make_support_staff(username: str = "dana", *, admin_site: bool = True, **fields) -> User:
    """A member of "Support staff", by default with admin access (`create_staff_user --admin-site`)."""
    user = User.objects.create_user(username, password=PASSWORD, is_staff=admin_site, **fields)
    user.groups.add(ensure_staff_group(group_model=Group, permission_model=Permission))
    return user


def make_customer(name: str = "Alice Example") -> Customer:
    return Customer.objects.create(name=name, email=f"{name.split()[0].lower()}@example.com")


def make_conversation(
    customer: Customer | None = None, *, started: datetime.datetime | None = None, **fields
) -> Conversation:
    fields.setdefault("status", Conversation.Status.CLOSED)
    return Conversation.objects.create(
        customer=customer or make_customer(), created=started or timezone.now(), **fields
    )


def say(conversation: Conversation, text: str, *, sender: str = Message.Sender.CUSTOMER, **fields) -> Message:
    if sender == Message.Sender.CUSTOMER:
        fields.setdefault("client_id", uuid.uuid4())
    fields.setdefault("created", timezone.now())
    return Message.objects.create(conversation=conversation, sender=sender, text=text, **fields)


def exchange(
    conversation: Conversation,
    question: str,
    answer: str,
    *,
    intent: str = "track_order",
    confidence: float = 0.8,
    model_version: str = "20250101-000000-tiny",
    feedback: str = "",
) -> Message:
    """A customer message and the bot's reply to it; returns the reply."""
    asked = say(conversation, question)
    return say(
        conversation,
        answer,
        sender=Message.Sender.BOT,
        reply_to=asked,
        intent=intent,
        intent_probability=0.9,
        confidence=confidence,
        model_version=model_version,
        latency_ms=420,
        first_token_ms=80,
        token_count=12,
        feedback=feedback,
        feedback_at=timezone.now() if feedback else None,
    )


def escalate(
    conversation: Conversation, *, reason: str = Escalation.Reason.COMPLAINT, assignee: User | None = None
) -> Escalation:
    """A finished hand-over with its events (what the support services leave behind)."""
    now = timezone.now()
    escalation = Escalation.objects.create(
        conversation=conversation,
        reason=reason,
        assignee=assignee,
        escalated=now,
        claimed=now if assignee else None,
        ended=now,
        outcome=Escalation.Outcome.SOLVED,
    )
    SupportEvent.objects.create(
        escalation=escalation, conversation=conversation, kind=SupportEvent.Kind.ESCALATED, reason=reason
    )
    if assignee is not None:
        SupportEvent.objects.create(
            escalation=escalation, conversation=conversation, kind=SupportEvent.Kind.CLAIMED, actor=assignee
        )
    return escalation


def rate(conversation: Conversation, rating: int, comment: str = "") -> CsatRating:
    return CsatRating.objects.create(conversation=conversation, rating=rating, comment=comment)
