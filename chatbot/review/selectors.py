"""Read-only queries of transcript review: the conversation list, its filters and search, one transcript.

Every filter is an `Exists`/`IN` subquery on indexed columns (conversations migration 0004 adds the
missing indexes), so a filtered page costs the same few queries as an unfiltered one.
"""

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, IntegerField, Min, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from chatbot.conversations.models import Conversation, Message, ModelVersion
from chatbot.review.models import Annotation
from chatbot.support.models import CsatRating, Escalation, InternalNote, SupportEvent

# The text-search configuration of the PostgreSQL index (conversations migration 0004): they must match.
SEARCH_CONFIG = "english"


# --- The list -------------------------------------------------------------------------------------


def _count(queryset: QuerySet) -> Coalesce:
    """COUNT(*) of messages `queryset` (correlated to the outer conversation) as a column."""
    counted = queryset.order_by().values("conversation").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def conversation_list() -> QuerySet:
    """Conversations with every column of the review list, each a subquery on the conversation's own
    messages (found through their conversation index). Fetch a page's columns with `list_page`."""
    messages = Message.objects.filter(conversation=OuterRef("pk"))
    # Only bot replies have a confidence: the minimum over all messages is the bot's, and the planner
    # stays on the conversation's few rows instead of AND-ing in an index of every bot reply.
    lowest = messages.order_by().values("conversation").annotate(low=Min("confidence")).values("low")
    latest_escalation = Escalation.objects.filter(conversation=OuterRef("pk")).order_by("-escalated", "-id")
    return Conversation.objects.select_related("customer", "csat").annotate(
        message_count=_count(messages),
        lowest_confidence=Subquery(lowest),
        escalation_reason=Subquery(latest_escalation.values("reason")[:1]),
        votes_up=_count(messages.filter(feedback=Message.Vote.UP)),
        votes_down=_count(messages.filter(feedback=Message.Vote.DOWN)),
        reviewed_bad=_count(messages.filter(annotation__verdict=Annotation.Verdict.BAD)),
        reviewed_good=_count(messages.filter(annotation__verdict=Annotation.Verdict.GOOD)),
    )


def list_page(page: QuerySet) -> list[Conversation]:
    """The conversations of one page of `conversation_list()` (filtered, ordered, sliced), in order.

    Two queries instead of one, on purpose: PostgreSQL computes a row's subquery columns for every row
    up to the OFFSET, so page 1,000 of the annotated query computed 50,000 rows' counts. The page query
    selects ids only (an annotation only where the ordering needs it), then the columns are computed for
    the rows shown.
    """
    ids = list(page.values_list("pk", flat=True))
    rows = conversation_list().in_bulk(ids)
    return [rows[pk] for pk in ids]


# --- Filters: each narrows a conversation queryset --------------------------------------------------


def started_between(
    queryset: QuerySet, *, first_day: datetime.date | None, last_day: datetime.date | None
) -> QuerySet:
    """Conversations started on `first_day` .. `last_day` (both included, in the current timezone)."""
    if first_day is not None:
        queryset = queryset.filter(created__gte=_start_of(first_day))
    if last_day is not None:
        queryset = queryset.filter(created__lt=_start_of(last_day + datetime.timedelta(days=1)))
    return queryset


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def escalated(queryset: QuerySet, *, reason: str | None = None) -> QuerySet:
    """Handed to staff at least once (for `reason`, when given)."""
    escalations = Escalation.objects.filter(conversation=OuterRef("pk"))
    if reason is not None:
        escalations = escalations.filter(reason=reason)
    return queryset.filter(Exists(escalations))


def never_escalated(queryset: QuerySet) -> QuerySet:
    return queryset.filter(~Exists(Escalation.objects.filter(conversation=OuterRef("pk"))))


# Only bot replies have an intent, a model version and a confidence (conversations.models.Message), so
# these filters need no `sender` condition: without it PostgreSQL reads the (column, conversation)
# indexes alone instead of every bot reply.


def with_bot_intent(queryset: QuerySet, *, intent: str) -> QuerySet:
    return queryset.filter(pk__in=Message.objects.filter(intent=intent).values("conversation"))


def with_model_version(queryset: QuerySet, *, name: str) -> QuerySet:
    return queryset.filter(pk__in=Message.objects.filter(model_version=name).values("conversation"))


def with_low_confidence_reply(queryset: QuerySet, *, threshold: float) -> QuerySet:
    """At least one bot reply below `threshold`: "unsure", as the escalation trigger counts it."""
    return queryset.filter(pk__in=Message.objects.filter(confidence__lt=threshold).values("conversation"))


def with_csat(queryset: QuerySet, *, rating: int | None) -> QuerySet:
    """Rated `rating` (1-5) by the customer, or not rated at all (None)."""
    if rating is None:
        return queryset.filter(~Exists(CsatRating.objects.filter(conversation=OuterRef("pk"))))
    return queryset.filter(csat__rating=rating)


def involving_staff_member(queryset: QuerySet, *, user_id: int) -> QuerySet:
    """Assigned to the staff member at some point, or with a message they wrote."""
    # One IN over a UNION ALL, not two EXISTS joined by OR: PostgreSQL misjudged the OR's cost by a
    # hundredfold and spent 140 ms compiling it (JIT) for 15 ms of work.
    assigned = Escalation.objects.filter(assignee_id=user_id).order_by().values("conversation")
    wrote = Message.objects.filter(author_id=user_id).order_by().values("conversation")
    return queryset.filter(pk__in=assigned.union(wrote, all=True))


def with_customer_vote(queryset: QuerySet, *, vote: str | None) -> QuerySet:
    """A reply with this thumb (`up`/`down`), or no vote at all (None)."""
    voted = Message.objects.exclude(feedback="")
    if vote is None:
        return queryset.exclude(pk__in=voted.values("conversation"))
    return queryset.filter(pk__in=voted.filter(feedback=vote).values("conversation"))


REVIEW_STATES = {
    "bad": "Has a bad reply",
    "corrected": "Has a corrected reply",
    "good": "Reviewed, all good",
    "none": "Not reviewed",
}


def with_review_state(queryset: QuerySet, *, state: str) -> QuerySet:
    reviews = Annotation.objects.filter(message__conversation=OuterRef("pk"))
    if state == "bad":
        return queryset.filter(Exists(reviews.filter(verdict=Annotation.Verdict.BAD)))
    if state == "corrected":
        return queryset.filter(Exists(reviews.exclude(corrected_reply="")))
    if state == "good":
        return queryset.filter(Exists(reviews)).exclude(
            Exists(reviews.filter(verdict=Annotation.Verdict.BAD))
        )
    if state == "none":
        return queryset.filter(~Exists(reviews))
    raise ValueError(f"unknown review state {state!r}")


def matching_text(queryset: QuerySet, *, text: str) -> QuerySet:
    """Conversations with a message matching `text`.

    PostgreSQL: full-text search (stemmed words, "quoted phrases", `or`, `-word`, as web search engines
    read them) on the GIN index. SQLite: the messages that contain `text`, ignoring ASCII case.
    """
    text = text.strip()
    if not text:
        return queryset
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        messages = Message.objects.annotate(document=SearchVector("text", config=SEARCH_CONFIG)).filter(
            document=SearchQuery(text, config=SEARCH_CONFIG, search_type="websearch")
        )
    else:
        messages = Message.objects.filter(text__icontains=text)
    return queryset.filter(pk__in=messages.values("conversation"))


# --- Filter choices ---------------------------------------------------------------------------------


def _distinct_message_values(column: str) -> list[str]:
    """The distinct non-empty values of an indexed Message column, sorted, by skipping through its index:
    one index probe per value (a recursive query), where DISTINCT would read a million rows."""
    table = connection.ops.quote_name(Message._meta.db_table)
    name = connection.ops.quote_name(Message._meta.get_field(column).column)
    # `<> ''` in both parts lets PostgreSQL use an index limited to non-empty values.
    sql = f"""
        WITH RECURSIVE found(value) AS (
            SELECT MIN({name}) FROM {table} WHERE {name} <> ''
            UNION ALL
            SELECT (SELECT MIN({name}) FROM {table} WHERE {name} <> '' AND {name} > found.value)
            FROM found WHERE found.value IS NOT NULL
        )
        SELECT value FROM found WHERE value IS NOT NULL
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [value for (value,) in cursor.fetchall()]


def bot_intents() -> list[str]:
    """Every intent the bot has given a reply, sorted (only bot replies have one)."""
    return _distinct_message_values("intent")


def model_version_names() -> list[str]:
    """Every model version that wrote a reply or is registered, newest name first."""
    used = set(_distinct_message_values("model_version"))
    registered = set(ModelVersion.objects.values_list("name", flat=True))
    return sorted(used | registered, reverse=True)


# --- One transcript -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TranscriptItem:
    """A message, a support event or an internal note, at its time."""

    kind: str  # "message" | "event" | "note"
    created: datetime.datetime
    item: Any


# Order of things that happened in the same instant: the event that caused a message comes first.
_KIND_ORDER = {"event": 0, "message": 1, "note": 2}


def transcript(
    *, conversation: Conversation, with_notes: bool, with_annotations: bool
) -> list[TranscriptItem]:
    """Everything that happened in the conversation, oldest first, in three queries (four with notes)."""
    related = ["author", "reply_to"] + (["annotation", "annotation__reviewer"] if with_annotations else [])
    items = [
        TranscriptItem("message", message.created, message)
        for message in conversation.messages.select_related(*related).order_by("created", "id")
    ]
    items += [
        TranscriptItem("event", event.created, event)
        for event in SupportEvent.objects.filter(conversation=conversation)
        .select_related("actor", "target", "escalation")
        .order_by("created", "id")
    ]
    if with_notes:
        items += [
            TranscriptItem("note", note.created, note)
            for note in InternalNote.objects.filter(conversation=conversation)
            .select_related("author")
            .order_by("created", "id")
        ]
    return sorted(items, key=lambda entry: (entry.created, _KIND_ORDER[entry.kind], entry.item.pk))
