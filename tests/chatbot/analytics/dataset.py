"""A small hand-built data set whose every analytics figure is worked out by hand in the tests.

The period under test is 1 to 3 March 2025 (UTC). Seven conversations, times in UTC:

    C5  28 Feb 23:59  before the period; its bot reply (00:00:30 on 1 Mar) is in it
    C1   1 Mar 09:00  bot alone: two replies, v1 (0.90 up, 0.10 down)
    C2   1 Mar 10:00  one reply v2; escalated (button) 10:01, staff at 10:03 (120 s), solved, CSAT 5
    C7   2 Mar 08:00  one reply v2; escalated (request) 08:01, staff at 08:01:30 (30 s), solved, CSAT 2
    C3   2 Mar 12:00  reply v2 (complaint, 0.15, down); escalated (complaint) 12:01, handed back 12:05 with
                      no staff message; reply v2 (0.05); escalated (bot unsure) 12:07, staff at 12:08:30
                      (90 s), solved at 12:20
    C4   3 Mar 23:30  bot alone: one reply v1 without confidence or timing (4 Mar 00:30 in Berlin)
    C6   4 Mar 00:00  after the period: a reply, an escalation with a staff message, CSAT 1

Every escalation has ended, so nothing waits in the staff console's queue (the browser test seeds a
shared server with this set).
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.support.models import CsatRating, Escalation

Sender, Reason, Outcome = Message.Sender, Escalation.Reason, Escalation.Outcome


def at(day: int, hour: int, minute: int, second: int = 0, *, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, second, tzinfo=UTC)


@dataclass
class Example:
    conversations: dict[str, Conversation]


def conversation(started: datetime, *, status: str = Conversation.Status.BOT) -> Conversation:
    customer = Customer.objects.create(name="Test customer", created=started)
    return Conversation.objects.create(customer=customer, status=status, created=started)


def customer_says(conversation: Conversation, when: datetime, text: str = "Where is my order?") -> Message:
    return Message.objects.create(
        conversation=conversation, sender=Sender.CUSTOMER, text=text, created=when, client_id=uuid.uuid4()
    )


def bot_replies(
    conversation: Conversation,
    when: datetime,
    *,
    intent: str,
    confidence: float | None,
    first_token_ms: int | None,
    latency_ms: int | None,
    model_version: str,
    feedback: str = "",
) -> Message:
    """The customer's question, then the bot's reply one second later."""
    question = customer_says(conversation, when)
    return Message.objects.create(
        conversation=conversation,
        sender=Sender.BOT,
        text=f"An answer about {intent}.",
        created=when + timedelta(seconds=1),
        reply_to=question,
        intent=intent,
        intent_probability=confidence,
        confidence=confidence,
        first_token_ms=first_token_ms,
        latency_ms=latency_ms,
        model_version=model_version,
        feedback=feedback,
    )


def staff_says(conversation: Conversation, when: datetime) -> Message:
    return Message.objects.create(
        conversation=conversation, sender=Sender.STAFF, text="Hello, I am here to help.", created=when
    )


def escalation(
    conversation: Conversation,
    reason: str,
    escalated: datetime,
    *,
    ended: datetime,
    outcome: str = Outcome.SOLVED,
    rating: int | None = None,
) -> Escalation:
    made = Escalation.objects.create(
        conversation=conversation,
        reason=reason,
        escalated=escalated,
        claimed=escalated + timedelta(seconds=20),
        ended=ended,
        outcome=outcome,
    )
    if rating is not None:
        CsatRating.objects.create(
            conversation=conversation, escalation=made, rating=rating, created=ended + timedelta(minutes=1)
        )
    return made


def build_example() -> Example:
    closed = Conversation.Status.CLOSED
    c5 = conversation(at(28, 23, 59, month=2))
    bot_replies(
        c5, at(1, 0, 0, 29), intent="track_order", confidence=0.95, first_token_ms=600, latency_ms=700,
        model_version="v1", feedback=Message.Vote.UP,
    )  # fmt: skip

    c1 = conversation(at(1, 9, 0))
    bot_replies(
        c1, at(1, 9, 0), intent="track_order", confidence=0.9, first_token_ms=100, latency_ms=400,
        model_version="v1", feedback=Message.Vote.UP,
    )  # fmt: skip
    bot_replies(
        c1, at(1, 9, 1), intent="track_order", confidence=0.1, first_token_ms=200, latency_ms=600,
        model_version="v1", feedback=Message.Vote.DOWN,
    )  # fmt: skip

    c2 = conversation(at(1, 10, 0), status=closed)
    bot_replies(
        c2, at(1, 10, 0), intent="get_refund", confidence=0.5, first_token_ms=300, latency_ms=900,
        model_version="v2",
    )  # fmt: skip
    escalation(c2, Reason.CUSTOMER_BUTTON, at(1, 10, 1), ended=at(1, 10, 10), rating=5)
    staff_says(c2, at(1, 10, 3))
    staff_says(c2, at(1, 10, 5))

    c7 = conversation(at(2, 8, 0), status=closed)
    bot_replies(
        c7, at(2, 8, 0), intent="contact_human_agent", confidence=0.3, first_token_ms=150, latency_ms=500,
        model_version="v2",
    )  # fmt: skip
    escalation(c7, Reason.CUSTOMER_REQUEST, at(2, 8, 1), ended=at(2, 8, 15), rating=2)
    staff_says(c7, at(2, 8, 1, 30))

    c3 = conversation(at(2, 12, 0), status=closed)
    bot_replies(
        c3, at(2, 12, 0), intent="complaint", confidence=0.15, first_token_ms=400, latency_ms=1000,
        model_version="v2", feedback=Message.Vote.DOWN,
    )  # fmt: skip
    escalation(c3, Reason.COMPLAINT, at(2, 12, 1), ended=at(2, 12, 5), outcome=Outcome.HANDED_BACK)
    bot_replies(
        c3, at(2, 12, 6), intent="get_refund", confidence=0.05, first_token_ms=500, latency_ms=1100,
        model_version="v2",
    )  # fmt: skip
    escalation(c3, Reason.LOW_CONFIDENCE, at(2, 12, 7), ended=at(2, 12, 20))
    staff_says(c3, at(2, 12, 8, 30))

    c4 = conversation(at(3, 23, 30))
    bot_replies(
        c4, at(3, 23, 30), intent="greeting", confidence=None, first_token_ms=None, latency_ms=None,
        model_version="v1",
    )  # fmt: skip

    c6 = conversation(at(4, 0, 0), status=closed)
    bot_replies(
        c6, at(4, 0, 0), intent="track_order", confidence=0.01, first_token_ms=9999, latency_ms=9999,
        model_version="v3", feedback=Message.Vote.DOWN,
    )  # fmt: skip
    escalation(c6, Reason.ANGRY_LANGUAGE, at(4, 0, 1), ended=at(4, 0, 30), rating=1)
    staff_says(c6, at(4, 0, 2))
    return Example(conversations={"C1": c1, "C2": c2, "C3": c3, "C4": c4, "C5": c5, "C6": c6, "C7": c7})
