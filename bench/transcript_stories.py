"""What the generated transcripts look like (bench/transcript_dataset.py writes them): the shares, the
timings, the model versions, and the factory that turns them into model instances of one conversation
after another.

Texts come from the sample shop data (inference/sample_data), so search and the review list see real
sentences; every random choice comes from one seeded `random.Random`, so a seed gives the same rows.
"""

from __future__ import annotations

import random
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.support import services
from chatbot.support.models import CsatRating, Escalation, SupportEvent
from inference.data import read_jsonl
from inference.placeholders import DEFAULT_BUSINESS_PROFILE, fill_placeholders

SAMPLE_DATA = Path(__file__).resolve().parent.parent / "inference" / "sample_data" / "shop_support.jsonl"
WRITE_BATCH_ROWS = 5000
Reason, Outcome, Kind = Escalation.Reason, Escalation.Outcome, SupportEvent.Kind

# Escalations happen only in conversations this long: the bot's turns, the trigger, the hand-over notice,
# the "joined" notice, a staff message and the resolution.
MIN_ESCALATED_MESSAGES = 7
ESCALATION_REASONS = {
    Reason.CUSTOMER_BUTTON: 30,
    Reason.CUSTOMER_REQUEST: 22,
    Reason.LOW_CONFIDENCE: 14,
    Reason.COMPLAINT: 14,
    Reason.ANGRY_LANGUAGE: 10,
    Reason.REPEATED_QUESTION: 10,
}
OUTCOMES = {Outcome.SOLVED: 70, Outcome.NOT_SOLVED: 8, Outcome.FOLLOW_UP: 7, Outcome.SPAM: 2}
HANDED_BACK_SHARE = 0.13
CSAT_SHARE = 0.45
CSAT_WEIGHTS = {  # rating 1..5 by outcome: solved problems rate well
    Outcome.SOLVED: (4, 4, 10, 30, 52),
    Outcome.NOT_SOLVED: (35, 25, 20, 12, 8),
    Outcome.FOLLOW_UP: (10, 15, 35, 25, 15),
}
TRANSFER_SHARE = 0.06
RETURNING_CUSTOMER_SHARE = 0.25
# Conversations started this close to the end may still be open: waiting for staff or with staff.
STILL_OPEN_HOURS = 6
# Busier on weekdays (Monday first) and in the day (hours 0..23, UTC).
WEEKDAY_WEIGHTS = (1.25, 1.15, 1.1, 1.1, 1.05, 0.75, 0.6)
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 10, 10, 11, 11, 10, 9, 8, 7, 6, 4, 3, 2)
ANGRY_TEXTS = (
    "This is ridiculous, I have asked three times already!",
    "Useless bot. WHERE IS MY ORDER?!",
    "What a waste of time, I am fed up with this.",
)
STAFF_TEXTS = (
    "Hi, I'm taking over from our assistant. Let me look into this for you.",
    "Thanks for waiting. I can see your order here, give me a moment.",
    "I have checked with our warehouse: it left today and you will get the tracking link by email.",
    "I've issued the refund; it shows on your statement in 5 to 7 business days.",
    "Sorry about the trouble. I have sent a free return label to your email address.",
    "Is there anything else I can help you with?",
)
FIRST_NAMES = (
    "Alex",
    "Sam",
    "Maria",
    "Jonas",
    "Aisha",
    "Wei",
    "Lena",
    "Omar",
    "Priya",
    "Tom",
    "Eva",
    "Kenji",
)
LAST_NAMES = ("Smith", "Garcia", "Müller", "Chen", "Okafor", "Novak", "Rossi", "Haddad", "Kim", "Jensen")


@dataclass(frozen=True)
class ModelProfile:
    """How a model version behaves in the data: its confidence (a beta distribution), latency, escalations."""

    preset: str
    starts: float  # fraction of the period from which it answers
    confidence: tuple[float, float]
    first_token_ms: int  # median
    per_token_ms: float
    escalation_share: float


MODEL_PROFILES = (
    ModelProfile("small", 0.0, (2.0, 1.6), 140, 9.0, 0.24),
    ModelProfile("small", 1 / 3, (2.4, 1.5), 130, 8.0, 0.20),
    ModelProfile("base", 2 / 3, (3.0, 1.4), 260, 15.0, 0.16),
)
# In the last third the newest version answers this share; the previous one the rest (an A/B test).
NEWEST_VERSION_SHARE = 0.7


# The tables written, parents before children: every row's references exist the moment it is inserted.
TABLES = (Customer, Conversation, Message, Escalation, SupportEvent, CsatRating)


class Rows:
    """Model instances of one batch of conversations, by model, with their ids already assigned."""

    def __init__(self) -> None:
        self.by_model: dict[type, list] = {model: [] for model in TABLES}

    def count(self, model: type) -> int:
        return len(self.by_model[model])

    def save(self) -> None:
        for model, rows in self.by_model.items():
            model.objects.bulk_create(rows, batch_size=WRITE_BATCH_ROWS)


class Ids:
    """The next primary key of each table: assigned here, so one bulk INSERT per table and batch suffices
    (a bot reply points at its customer message, an escalation at its trigger message)."""

    def __init__(self) -> None:
        self.next = {}
        for model in TABLES:
            latest = model.objects.order_by("-pk").values_list("pk", flat=True).first()
            self.next[model] = (latest or 0) + 1

    def take(self, model: type) -> int:
        value = self.next[model]
        self.next[model] += 1
        return value


class TranscriptFactory:
    """Makes one conversation after another, in order of their start, into a `Rows` batch."""

    def __init__(self, *, rng: random.Random, start: datetime, end: datetime, staff: list, ids: Ids) -> None:
        self.rng, self.start, self.end, self.staff, self.ids = rng, start, end, staff, ids
        examples = read_jsonl(SAMPLE_DATA)
        self.by_intent: dict[str, list[tuple[str, str]]] = {}
        for example in examples:
            reply = fill_placeholders(example.response, DEFAULT_BUSINESS_PROFILE)
            self.by_intent.setdefault(example.intent, []).append((example.message, reply))
        self.intents = sorted(self.by_intent)
        # A few topics dominate real support traffic.
        self.intent_weights = [
            6 if name in {"track_order", "delivery_period", "return_item", "get_refund"} else 1
            for name in self.intents
        ]
        self.version_names = [
            f"{(start + (end - start) * p.starts):%Y%m%d}-040000-{p.preset}" for p in MODEL_PROFILES
        ]
        self.returning: deque[tuple[int, datetime]] = deque()  # (customer id, free after)
        self.rows = Rows()

    # --- Randomness ---------------------------------------------------------------------------------

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def seconds(self, median: float, spread: float = 0.6) -> timedelta:
        return timedelta(seconds=self.rng.lognormvariate(0, spread) * median)

    def start_times(self, count: int) -> list[datetime]:
        """When `count` conversations start, in order: more on weekdays and in the day, growing slowly."""
        days = (self.end - self.start).days
        weights = [
            WEEKDAY_WEIGHTS[(self.start + timedelta(days=d)).weekday()] * (1 + d / days) for d in range(days)
        ]
        chosen_days = self.rng.choices(range(days), weights, k=count)
        hours = self.rng.choices(range(24), HOUR_WEIGHTS, k=count)
        return sorted(
            self.start + timedelta(days=day, hours=hour, seconds=self.rng.randrange(3600))
            for day, hour in zip(chosen_days, hours, strict=True)
        )

    def model_for(self, at: datetime) -> int:
        position = (at - self.start) / (self.end - self.start)
        current = max(i for i, p in enumerate(MODEL_PROFILES) if p.starts <= position)
        if current == len(MODEL_PROFILES) - 1 and current > 0 and self.rng.random() > NEWEST_VERSION_SHARE:
            return current - 1
        return current

    # --- Rows ----------------------------------------------------------------------------------------

    def new(self, model: type, **fields):
        """A row of `model` with the next id, added to the batch."""
        instance = model(id=self.ids.take(model), **fields)
        self.rows.by_model[model].append(instance)
        return instance

    def customer_for(self, started: datetime) -> int:
        """A returning customer whose earlier conversation is closed, or a new one."""
        if self.returning and self.returning[0][1] < started and self.rng.random() < RETURNING_CUSTOMER_SHARE:
            return self.returning.popleft()[0]
        name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        email = (
            f"{name.split()[0].lower()}.{self.rng.randrange(10**6)}@example.com"
            if self.rng.random() < 0.3
            else ""
        )
        return self.new(Customer, public_id=self.uuid(), name=name, email=email, created=started).id

    def message(self, conversation: Conversation, sender: str, text: str, at: datetime, **fields) -> Message:
        message = self.new(
            Message,
            public_id=self.uuid(),
            conversation_id=conversation.id,
            sender=sender,
            text=text,
            created=at,
            **fields,
        )
        conversation.updated = at
        return message

    def customer_turn(self, conversation: Conversation, text: str, at: datetime) -> Message:
        return self.message(conversation, Message.Sender.CUSTOMER, text, at, client_id=self.uuid())

    def bot_turn(
        self,
        conversation: Conversation,
        question: Message,
        reply: str,
        intent: str,
        *,
        version: int,
        unsure: bool = False,
    ) -> Message:
        profile, rng = MODEL_PROFILES[version], self.rng
        confidence = rng.uniform(0.03, 0.19) if unsure else rng.betavariate(*profile.confidence)
        first_token_ms = int(profile.first_token_ms * rng.lognormvariate(0, 0.35))
        tokens = rng.randint(18, 90)
        latency_ms = first_token_ms + int(tokens * profile.per_token_ms * rng.uniform(0.8, 1.3))
        at = question.created + timedelta(milliseconds=latency_ms)
        vote = ""
        if rng.random() < (0.04 + 0.12 * (confidence < 0.3)):
            vote = Message.Vote.DOWN
        elif rng.random() < 0.06 + 0.08 * confidence:
            vote = Message.Vote.UP
        return self.message(
            conversation,
            Message.Sender.BOT,
            reply,
            at,
            reply_to_id=question.id,
            model_version=self.version_names[version],
            confidence=round(confidence, 4),
            intent=intent if confidence >= 0.3 or rng.random() < 0.5 else rng.choice(self.intents),
            intent_probability=round(min(1.0, confidence + rng.uniform(0.0, 0.3)), 4),
            latency_ms=latency_ms,
            first_token_ms=first_token_ms,
            token_count=tokens,
            feedback=vote,
            feedback_at=at + self.seconds(20) if vote else None,
        )

    def system_turn(self, conversation: Conversation, text: str, at: datetime) -> Message:
        return self.message(conversation, Message.Sender.SYSTEM, text, at)

    def event(self, escalation: Escalation, kind: str, at: datetime, **fields) -> None:
        self.new(
            SupportEvent,
            escalation_id=escalation.id,
            conversation_id=escalation.conversation_id,
            kind=kind,
            created=at,
            **fields,
        )

    # --- One conversation ---------------------------------------------------------------------------

    def conversation(self, started: datetime, length: int) -> None:
        """`length` messages of one conversation (the bot alone, or handed to staff on the way)."""
        rng = self.rng
        version = self.model_for(started)
        topic = rng.choices(self.intents, self.intent_weights)[0]
        escalates = length >= MIN_ESCALATED_MESSAGES and (
            rng.random() < MODEL_PROFILES[version].escalation_share * (3 if topic == "complaint" else 1)
        )
        conversation = self.new(
            Conversation,
            public_id=self.uuid(),
            customer_id=self.customer_for(started),
            status=Conversation.Status.BOT,
            created=started,
        )
        reason = (
            rng.choices(list(ESCALATION_REASONS), list(ESCALATION_REASONS.values()))[0] if escalates else None
        )
        # The customer's trigger message is not answered by the bot; the button press is no message.
        trigger_is_message = reason in {
            Reason.CUSTOMER_REQUEST,
            Reason.ANGRY_LANGUAGE,
            Reason.COMPLAINT,
            Reason.REPEATED_QUESTION,
        }
        staff_part = rng.randint(4, max(4, length - 3 - trigger_is_message)) if escalates else 0
        bot_turns = length - staff_part - trigger_is_message - (1 if escalates else 0)
        at, asked, last = started, [], None
        for turn in range(bot_turns):
            if turn % 2 == 0:
                intent = topic if turn == 0 else rng.choices(self.intents, self.intent_weights)[0]
                question, reply = rng.choice(self.by_intent[intent])
                last = self.customer_turn(conversation, question, at)
                asked.append(question)
            else:
                unsure = reason == Reason.LOW_CONFIDENCE and turn >= bot_turns - 6
                last = self.bot_turn(conversation, last, reply, intent, version=version, unsure=unsure)
                at = last.created + self.seconds(35)
        if not escalates:
            return
        at = last.created + self.seconds(20)
        trigger = None
        if trigger_is_message:
            trigger = self.customer_turn(conversation, self.trigger_text(reason, asked), at)
        self.escalate(conversation, reason, trigger, at, messages=staff_part)

    def trigger_text(self, reason: str, asked: list[str]) -> str:
        if reason == Reason.CUSTOMER_REQUEST:
            return self.rng.choice(self.by_intent["contact_human_agent"])[0]
        if reason == Reason.COMPLAINT:
            return self.rng.choice(self.by_intent["complaint"])[0]
        if reason == Reason.ANGRY_LANGUAGE:
            return self.rng.choice(ANGRY_TEXTS)
        return self.rng.choice(asked)  # a repeated question

    def escalate(
        self, conversation: Conversation, reason: str, trigger: Message | None, at: datetime, *, messages: int
    ) -> None:
        """The hand-over and the staff's part: `messages` messages from the notice to the resolution."""
        rng = self.rng
        escalation = self.new(
            Escalation,
            public_id=self.uuid(),
            conversation_id=conversation.id,
            reason=reason,
            detail=f"Generated: {Reason(reason).label}",
            priority=services.PRIORITY[reason],
            trigger_message_id=trigger.id if trigger else None,
            escalated=at,
        )
        self.event(escalation, Kind.ESCALATED, at, reason=reason)
        self.system_turn(conversation, services.ESCALATED_TEXT, at)
        still_open = self.end - at < timedelta(hours=STILL_OPEN_HOURS)
        if still_open and rng.random() < 0.4:  # nobody has claimed it yet; the customer leaves an address
            conversation.status = Conversation.Status.WAITING_FOR_STAFF
            for _ in range(messages - 1):
                at += self.seconds(60)
                self.customer_turn(conversation, rng.choice(self.by_intent["contact_human_agent"])[0], at)
            escalation.contact_email = f"customer{conversation.id}@example.com"
            escalation.contact_left = at
            self.event(escalation, Kind.CONTACT_LEFT, at)
            self.system_turn(conversation, services.CONTACT_TEXT.format(email=escalation.contact_email), at)
            return
        staff = rng.choice(self.staff)
        at += self.seconds(90, spread=1.0)
        escalation.assignee_id, escalation.claimed = staff.id, at
        self.event(escalation, Kind.CLAIMED, at, actor_id=staff.id)
        self.system_turn(conversation, services.JOINED_TEXT.format(name=staff.first_name), at)
        conversation.status = Conversation.Status.WITH_STAFF
        closing = 0 if still_open else 1
        for index in range(messages - 1 - closing):
            at += self.seconds(40)
            if index % 2 == 0:
                self.message(
                    conversation, Message.Sender.STAFF, rng.choice(STAFF_TEXTS), at, author_id=staff.id
                )
            else:
                self.customer_turn(conversation, rng.choice(self.by_intent["thanks"])[0], at)
            if index == 2 and rng.random() < TRANSFER_SHARE:
                target = rng.choice([member for member in self.staff if member.id != staff.id])
                self.event(escalation, Kind.TRANSFERRED, at, actor_id=staff.id, target_id=target.id)
                escalation.assignee_id, staff = target.id, target
        if closing:
            self.finish(conversation, escalation, staff, at + self.seconds(60))

    def finish(self, conversation: Conversation, escalation: Escalation, staff, at: datetime) -> None:
        rng = self.rng
        escalation.ended = at
        if rng.random() < HANDED_BACK_SHARE:
            escalation.outcome = Outcome.HANDED_BACK
            self.event(escalation, Kind.HANDED_BACK, at, actor_id=staff.id)
            self.system_turn(conversation, services.HANDED_BACK_TEXT, at)
            conversation.status = Conversation.Status.BOT
            return
        escalation.outcome = rng.choices(list(OUTCOMES), list(OUTCOMES.values()))[0]
        self.event(escalation, Kind.RESOLVED, at, actor_id=staff.id, reason=escalation.outcome)
        self.system_turn(conversation, services.RESOLVED_TEXT.format(name=staff.first_name), at)
        conversation.status = Conversation.Status.CLOSED
        self.returning.append((conversation.customer_id, at))
        if escalation.outcome != Outcome.SPAM and rng.random() < CSAT_SHARE:
            rating = rng.choices(range(1, 6), CSAT_WEIGHTS[escalation.outcome])[0]
            self.new(
                CsatRating,
                conversation_id=conversation.id,
                escalation_id=escalation.id,
                rating=rating,
                comment="Quick and friendly, thank you." if rating == 5 and rng.random() < 0.2 else "",
                created=at + self.seconds(90),
            )

    def take_rows(self) -> Rows:
        rows, self.rows = self.rows, Rows()
        return rows


def conversation_lengths(*, rng: random.Random, conversations: int, per_conversation: int) -> list[int]:
    """Lengths around `per_conversation` that add up to exactly conversations x per_conversation: each
    pair of conversations is one shorter and one longer by the same amount."""
    lengths = []
    for _ in range(conversations // 2):
        delta = rng.randint(-(per_conversation // 2), per_conversation // 2)
        lengths += [per_conversation - delta, per_conversation + delta]
    if conversations % 2:
        lengths.append(per_conversation)
    rng.shuffle(lengths)
    return lengths
