"""Read-only queries of the support app. Nothing here writes or sends events."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.support import presence
from chatbot.support.config import SupportConfig
from chatbot.support.models import (
    CannedResponse,
    CsatRating,
    Escalation,
    InternalNote,
    SuggestedReply,
    SupportEvent,
)

CONSOLE_PERMISSION = "support.use_console"
# Messages a queue card shows; earlier conversations listed beside a conversation.
QUEUE_PREVIEW_MESSAGES = 3
PREVIOUS_CONVERSATIONS = 10
TRANSCRIPT_LIMIT = 500


def is_staff_member(user: AbstractBaseUser | None) -> bool:
    """May use the console: an active user of the "Support staff" group (or with its permission), or a
    superuser."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(CONSOLE_PERMISSION))


def staff_users() -> QuerySet:
    """Everyone who may use the console, by name."""
    perm = Q(codename="use_console", content_type__app_label="support")
    from django.contrib.auth.models import Permission

    permission_ids = list(Permission.objects.filter(perm).values_list("pk", flat=True))
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=permission_ids)
            | Q(user_permissions__in=permission_ids)
        )
        .distinct()
        .order_by("first_name", "username")
    )


def staff_available(*, config: SupportConfig) -> bool:
    """Someone can answer now: within support hours and at least one staff member online."""
    if not config.within_hours():
        return False
    ids = list(staff_users().values_list("pk", flat=True))
    return presence.ONLINE in presence.statuses(ids).values()


def open_escalation(*, conversation: Conversation) -> Escalation | None:
    return (
        Escalation.objects.select_related("assignee", "conversation__customer")
        .filter(conversation=conversation, ended__isnull=True)
        .first()
    )


def waiting_escalations() -> QuerySet:
    """The queue, first to be answered first: highest priority, then longest waiting."""
    return (
        Escalation.objects.select_related("conversation__customer", "assignee")
        .filter(ended__isnull=True, conversation__status=Conversation.Status.WAITING_FOR_STAFF)
        .order_by("-priority", "escalated", "id")
    )


def queue_position(*, escalation: Escalation) -> int | None:
    """1 for the next conversation staff will take; None when it is not waiting."""
    ids = list(waiting_escalations().values_list("pk", flat=True))
    return ids.index(escalation.pk) + 1 if escalation.pk in ids else None


def active_escalations(*, assignee: AbstractBaseUser | None = None, exclude: AbstractBaseUser | None = None):
    """Conversations with staff now: one staff member's (`assignee`), or everyone's but `exclude`'s."""
    rows = Escalation.objects.select_related("conversation__customer", "assignee").filter(
        ended__isnull=True, conversation__status=Conversation.Status.WITH_STAFF
    )
    if assignee is not None:
        rows = rows.filter(assignee=assignee)
    if exclude is not None:
        rows = rows.exclude(assignee=exclude)
    return rows.order_by("claimed", "id")


def with_card_data(escalations: QuerySet) -> QuerySet:
    """Escalations with what a console card shows, in a fixed number of queries however long the list:
    `conversation.preview_messages` (the last few non-system messages, newest first, one prefetch for all
    cards) and `earlier_conversations` (the customer's conversations before this one, an annotation).
    Every console re-reads its lists after each change, so per-card queries would multiply."""
    earlier = (
        Conversation.objects.filter(
            customer_id=OuterRef("conversation__customer_id"), created__lt=OuterRef("conversation__created")
        )
        .order_by()
        .values("customer_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    previews = (
        Message.objects.exclude(sender=Message.Sender.SYSTEM)
        .select_related("author")
        .order_by("-id")[:QUEUE_PREVIEW_MESSAGES]
    )
    return escalations.annotate(earlier_conversations=Coalesce(Subquery(earlier), 0)).prefetch_related(
        Prefetch("conversation__messages", queryset=previews, to_attr="preview_messages")
    )


def transcript(*, conversation: Conversation) -> list[Message]:
    rows = conversation.messages.select_related("reply_to", "author").order_by("-id")[:TRANSCRIPT_LIMIT]
    return list(reversed(rows))


def notes(*, conversation: Conversation) -> list[InternalNote]:
    return list(conversation.internal_notes.select_related("author"))


def timeline(*, conversation: Conversation) -> list[SupportEvent]:
    return list(conversation.support_events.select_related("actor", "target"))


def previous_conversations(*, conversation: Conversation) -> list[Conversation]:
    """The same customer's other conversations, newest first, with their message counts."""
    return list(
        Conversation.objects.filter(customer_id=conversation.customer_id)
        .exclude(pk=conversation.pk)
        .annotate(message_count=Count("messages"))
        .select_related("csat")
        .order_by("-created")[:PREVIOUS_CONVERSATIONS]
    )


def pending_suggestion(*, escalation: Escalation | None) -> SuggestedReply | None:
    if escalation is None:
        return None
    return (
        escalation.suggestions.select_related("message")
        .filter(outcome=SuggestedReply.Outcome.PENDING)
        .order_by("-id")
        .first()
    )


def last_dialogue_message(*, conversation: Conversation) -> Message | None:
    return (
        conversation.messages.filter(
            sender__in=(Message.Sender.CUSTOMER, Message.Sender.BOT, Message.Sender.STAFF)
        )
        .order_by("-id")
        .first()
    )


def customer_messages_since(*, conversation: Conversation, before: Message) -> list[str]:
    """Earlier customer texts of the conversation since its last escalation ended (the repeat check)."""
    rows = conversation.messages.filter(sender=Message.Sender.CUSTOMER, id__lt=before.id)
    last_end = last_escalation_end(conversation=conversation)
    if last_end is not None:
        rows = rows.filter(created__gt=last_end)
    return list(rows.order_by("id").values_list("text", flat=True))


def recent_bot_confidences(*, conversation: Conversation, limit: int) -> list[float | None]:
    """The confidence of the newest `limit` bot replies since the last escalation ended, newest first."""
    rows = conversation.messages.filter(sender=Message.Sender.BOT)
    last_end = last_escalation_end(conversation=conversation)
    if last_end is not None:
        rows = rows.filter(created__gt=last_end)
    return list(rows.order_by("-id").values_list("confidence", flat=True)[:limit])


def last_escalation_end(*, conversation: Conversation):
    return (
        conversation.escalations.filter(ended__isnull=False)
        .order_by("-ended")
        .values_list("ended", flat=True)
        .first()
    )


def conversation_to_rate(*, customer: Customer) -> Conversation | None:
    """A conversation staff resolved recently that this customer has not rated, while they have no
    newer open one: the CSAT prompt to show again after a reload."""
    if customer.conversations.exclude(status=Conversation.Status.CLOSED).exists():
        return None
    since = timezone.now() - timedelta(hours=settings.CHATBOT_CSAT_HOURS)
    return (
        customer.conversations.filter(
            status=Conversation.Status.CLOSED,
            support_events__kind=SupportEvent.Kind.RESOLVED,
            support_events__created__gte=since,
            csat__isnull=True,
        )
        .order_by("-updated")
        .first()
    )


def resolved_escalation(*, conversation: Conversation) -> Escalation | None:
    return (
        conversation.escalations.select_related("assignee")
        .filter(events__kind=SupportEvent.Kind.RESOLVED)
        .order_by("-ended")
        .first()
    )


def has_rating(*, conversation: Conversation) -> bool:
    return CsatRating.objects.filter(conversation=conversation).exists()


def canned_responses() -> list[CannedResponse]:
    return list(CannedResponse.objects.filter(is_active=True))
