"""The analytics page's figures, each one computed by the database (aggregates, subqueries, window
functions); Python only reads the handful of result rows. A fixed number of queries whatever the amount
of data (docs/analytics.md lists them and what each figure counts).

What falls in a period: conversations that started in it, bot replies and escalations made in it, and
CSAT ratings given in it.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Avg, Count, F, FloatField, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Now, TruncDate

from chatbot.analytics.percentiles import percentiles
from chatbot.analytics.period import Period
from chatbot.conversations.models import Conversation, Message
from chatbot.support.models import CsatRating, Escalation

MEDIAN, P95 = 0.5, 0.95
TOP_INTENTS = 10


def share(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None when there is nothing to divide (shown as "–", never as 0 %)."""
    return part / whole if part is not None and whole else None


class DurationSeconds(Func):
    """A duration expression (the difference of two datetimes) in seconds, as a float."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):
        # SQLite (Django's django_timestamp_diff) and other backends without an interval type: microseconds.
        return super().as_sql(compiler, connection, template="((%(expressions)s) / 1000000.0)", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return super().as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision", **extra
        )


# --- Results --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DayCount:
    day: date
    conversations: int


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    label: str
    conversations: int
    share: float | None  # of all conversations of the period


@dataclass(frozen=True)
class Outcomes:
    """Conversations of the period: answered by the bot alone, or handed to staff (by the first
    escalation's reason)."""

    conversations: int
    bot_alone: int
    escalated: int
    by_reason: list[ReasonCount]

    @property
    def bot_alone_share(self) -> float | None:
        return share(self.bot_alone, self.conversations)

    @property
    def escalated_share(self) -> float | None:
        return share(self.escalated, self.conversations)


@dataclass(frozen=True)
class Timing:
    """Median and 95th percentile of a duration (milliseconds for the bot, seconds for staff)."""

    count: int
    median: float | None
    p95: float | None


@dataclass(frozen=True)
class StaffResponse(Timing):
    escalations: int  # escalations of the period; `count` of them got a staff message


@dataclass(frozen=True)
class Csat:
    ratings: int
    average: float | None
    distribution: dict[int, int]  # rating 1..5 -> how many

    def share_of(self, rating: int) -> float | None:
        return share(self.distribution[rating], self.ratings)


@dataclass(frozen=True)
class ReplyQuality:
    """Bot replies of the period: how sure the model was and what customers thought of them."""

    replies: int
    with_confidence: int
    low_confidence: int
    thumbs_up: int
    thumbs_down: int
    timed: int  # replies with a first-token time
    threshold: float

    @property
    def low_confidence_share(self) -> float | None:
        return share(self.low_confidence, self.with_confidence)

    @property
    def voted_share(self) -> float | None:
        return share(self.thumbs_up + self.thumbs_down, self.replies)


@dataclass(frozen=True)
class IntentRow:
    intent: str
    replies: int
    conversations: int
    escalated: int  # of those conversations

    @property
    def escalation_rate(self) -> float | None:
        return share(self.escalated, self.conversations)


@dataclass(frozen=True)
class ModelVersionRow:
    model_version: str
    replies: int
    mean_confidence: float | None
    low_confidence: int
    with_confidence: int
    thumbs_up: int
    thumbs_down: int
    conversations: int
    escalated: int
    mean_first_token_ms: float | None
    median_first_token_ms: float | None
    p95_first_token_ms: float | None
    mean_latency_ms: float | None

    @property
    def low_confidence_share(self) -> float | None:
        return share(self.low_confidence, self.with_confidence)

    @property
    def escalation_rate(self) -> float | None:
        return share(self.escalated, self.conversations)


@dataclass(frozen=True)
class Report:
    period: Period
    per_day: list[DayCount]
    outcomes: Outcomes
    quality: ReplyQuality
    first_token: Timing
    staff_response: StaffResponse
    csat: Csat
    intents: list[IntentRow]
    model_versions: list[ModelVersionRow]


# --- Querysets ------------------------------------------------------------------------------------


def bot_replies(*, period: Period) -> QuerySet:
    return Message.objects.filter(sender=Message.Sender.BOT, **period.range_of("created"))


def _conversation_escalated() -> Q:
    """For a message: its conversation was handed to staff (at any time). An IN over the escalations'
    conversation ids, which the database reads once (PostgreSQL hashes it), not a lookup per message."""
    return Q(conversation_id__in=Escalation.objects.values("conversation_id"))


# --- Sections -------------------------------------------------------------------------------------


def conversations_per_day(*, period: Period) -> list[DayCount]:
    """Conversations started on each day of the period (days without any count 0)."""
    counts = dict(
        Conversation.objects.filter(**period.range_of("created"))
        .annotate(day=TruncDate("created", tzinfo=period.timezone))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("day", "count")
    )
    return [DayCount(day, counts.get(day, 0)) for day in period.days()]


def conversation_outcomes(*, period: Period) -> Outcomes:
    """Conversations of the period by the reason of their first escalation (None: the bot alone)."""
    first_reason = Subquery(
        Escalation.objects.filter(conversation=OuterRef("pk"))
        .order_by("escalated", "pk")
        .values("reason")[:1]
    )
    counts = dict(
        Conversation.objects.filter(**period.range_of("created"))
        .annotate(first_reason=first_reason)
        .values("first_reason")
        .annotate(count=Count("pk"))
        .order_by()
        .values_list("first_reason", "count")
    )
    total = sum(counts.values())
    bot_alone = counts.pop(None, 0)
    labels = dict(Escalation.Reason.choices)
    by_reason = sorted(
        (
            ReasonCount(reason, labels.get(reason, reason), count, share(count, total))
            for reason, count in counts.items()
        ),
        key=lambda row: (-row.conversations, row.reason),
    )
    return Outcomes(
        conversations=total, bot_alone=bot_alone, escalated=total - bot_alone, by_reason=by_reason
    )


def first_token_times(*, period: Period, timed_replies: int) -> Timing:
    """Median and p95 of the time from the customer's message to the bot's first token (ms)."""
    found = percentiles(bot_replies(period=period), "first_token_ms", [MEDIAN, P95]).get(None, {})
    return Timing(count=timed_replies, median=found.get(MEDIAN), p95=found.get(P95))


def staff_response_times(*, period: Period) -> StaffResponse:
    """Median and p95 of the time from an escalation to the first staff message after it (seconds), over
    the escalations of the period that got one before they ended."""
    first_staff_message = Subquery(
        Message.objects.filter(
            conversation=OuterRef("conversation"),
            sender=Message.Sender.STAFF,
            created__gte=OuterRef("escalated"),
            created__lte=Coalesce(OuterRef("ended"), Now()),
        )
        .order_by("created")
        .values("created")[:1]
    )
    escalations = Escalation.objects.filter(**period.range_of("escalated")).annotate(
        first_staff_message=first_staff_message
    )
    counts = escalations.aggregate(escalations=Count("pk"), answered=Count("first_staff_message"))
    wait = DurationSeconds(F("first_staff_message") - F("escalated"))
    found = percentiles(escalations, wait, [MEDIAN, P95]).get(None, {})
    return StaffResponse(
        escalations=counts["escalations"],
        count=counts["answered"],
        median=found.get(MEDIAN),
        p95=found.get(P95),
    )


def csat(*, period: Period) -> Csat:
    """Ratings given in the period: their average and how many of each 1..5."""
    by_rating = {f"r{rating}": Count("pk", filter=Q(rating=rating)) for rating in range(1, 6)}
    totals = CsatRating.objects.filter(**period.range_of("created")).aggregate(
        ratings=Count("pk"), average=Avg("rating"), **by_rating
    )
    return Csat(
        ratings=totals["ratings"],
        average=totals["average"],
        distribution={rating: totals[f"r{rating}"] for rating in range(1, 6)},
    )


def top_intents(*, period: Period, limit: int = TOP_INTENTS) -> list[IntentRow]:
    """The intents of most bot replies in the period; per intent, the conversations it came up in and how
    many of those were handed to staff."""
    rows = (
        bot_replies(period=period)
        .exclude(intent="")
        .values("intent")
        .annotate(
            replies=Count("pk"),
            conversations=Count("conversation", distinct=True),
            escalated=Count("conversation", distinct=True, filter=_conversation_escalated()),
        )
        .order_by("-replies", "intent")[:limit]
    )
    return [IntentRow(**row) for row in rows]


def reply_figures(*, period: Period, threshold: float) -> tuple[ReplyQuality, list[ModelVersionRow]]:
    """The period's bot replies: in total (confidence, thumbs) and per model version side by side (an A/B
    test reads here). One grouped pass over the replies; the totals are the sums of the groups."""
    replies = bot_replies(period=period)
    groups = list(
        replies.values("model_version")
        .annotate(
            replies=Count("pk"),
            mean_confidence=Avg("confidence"),
            low_confidence=Count("pk", filter=Q(confidence__lt=threshold)),
            with_confidence=Count("confidence"),
            thumbs_up=Count("pk", filter=Q(feedback=Message.Vote.UP)),
            thumbs_down=Count("pk", filter=Q(feedback=Message.Vote.DOWN)),
            timed=Count("first_token_ms"),
            conversations=Count("conversation", distinct=True),
            escalated=Count("conversation", distinct=True, filter=_conversation_escalated()),
            mean_first_token_ms=Avg("first_token_ms"),
            mean_latency_ms=Avg("latency_ms"),
        )
        .order_by("model_version")
    )
    additive = ("replies", "with_confidence", "low_confidence", "thumbs_up", "thumbs_down", "timed")
    quality = ReplyQuality(
        threshold=threshold, **{name: sum(group[name] for group in groups) for name in additive}
    )
    timings = percentiles(
        replies.exclude(model_version=""), "first_token_ms", [MEDIAN, P95], group_by="model_version"
    )
    versions = [
        ModelVersionRow(
            **{name: value for name, value in group.items() if name != "timed"},
            median_first_token_ms=timings.get(group["model_version"], {}).get(MEDIAN),
            p95_first_token_ms=timings.get(group["model_version"], {}).get(P95),
        )
        for group in groups
        if group["model_version"]  # replies made before versions were recorded count only in the totals
    ]
    return quality, versions


def analytics_report(*, period: Period, low_confidence_threshold: float) -> Report:
    """Every section of the page for one period; a reply below the threshold counts as unsure."""
    quality, versions = reply_figures(period=period, threshold=low_confidence_threshold)
    return Report(
        period=period,
        per_day=conversations_per_day(period=period),
        outcomes=conversation_outcomes(period=period),
        quality=quality,
        first_token=first_token_times(period=period, timed_replies=quality.timed),
        staff_response=staff_response_times(period=period),
        csat=csat(period=period),
        intents=top_intents(period=period),
        model_versions=versions,
    )
