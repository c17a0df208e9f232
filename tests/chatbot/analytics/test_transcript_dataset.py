"""bench/transcript_dataset.py: the generated transcripts are consistent, exactly as many as asked for,
the same for the same seed, and never mixed into a database that has conversations by mistake."""

from datetime import date

import pytest
from django.db.models import Count, F, Q

from bench.transcript_dataset import DatasetError, generate, main
from chatbot.analytics import selectors
from chatbot.analytics.period import Period
from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.support.models import CsatRating, Escalation, SupportEvent
from tests.chatbot.analytics.conftest import UTC

pytestmark = pytest.mark.django_db
END = date(2025, 6, 1)
SMALL = dict(conversations=60, messages_per_conversation=10, days=5, end=END, progress=False)


def test_it_writes_exactly_the_conversations_and_messages_asked_for():
    summary = generate(**SMALL)
    assert (summary.conversations, summary.messages) == (60, 600)
    assert Conversation.objects.count() == 60 and Message.objects.count() == 600
    assert summary.customers == Customer.objects.count() <= 60
    assert summary.escalations == Escalation.objects.count() > 0
    assert summary.ratings == CsatRating.objects.count()
    first, last = Conversation.objects.order_by("created").values_list("created", flat=True)[::59]
    assert date(2025, 5, 27) <= first.date() and last.date() <= date(2025, 5, 31)


def test_the_transcripts_hang_together():
    generate(**SMALL)
    # Every bot reply answers a customer message of its own conversation, with the model's numbers.
    replies = Message.objects.filter(sender=Message.Sender.BOT)
    assert not replies.exclude(reply_to__sender=Message.Sender.CUSTOMER).exists()
    assert not replies.exclude(reply_to__conversation=F("conversation")).exists()
    assert not replies.filter(Q(confidence__isnull=True) | Q(first_token_ms__isnull=True)).exists()
    # Three versions, named as training names them, from the day each one took over.
    assert set(replies.values_list("model_version", flat=True)) == {
        "20250527-040000-small",
        "20250528-040000-small",
        "20250530-040000-base",
    }
    # Each escalation has its "escalated" event; an ended one a resolution or a hand-back.
    for escalation in Escalation.objects.annotate(events_made=Count("events")):
        kinds = set(escalation.events.values_list("kind", flat=True))
        assert SupportEvent.Kind.ESCALATED in kinds
        if escalation.ended is not None:
            assert kinds & {SupportEvent.Kind.RESOLVED, SupportEvent.Kind.HANDED_BACK}
            assert escalation.claimed <= escalation.ended
    # Open escalations only in conversations still waiting or with staff; closed ones were resolved.
    waiting = Conversation.objects.filter(escalations__isnull=False, escalations__ended__isnull=True)
    assert not waiting.exclude(status__in=["waiting_for_staff", "with_staff"]).exists()
    assert not Conversation.objects.filter(status="closed").exclude(escalations__outcome__in=[
        "solved", "not_solved", "follow_up", "spam"
    ]).exists()  # fmt: skip
    assert not Message.objects.filter(sender=Message.Sender.STAFF, author__isnull=True).exists()


def test_the_same_seed_makes_the_same_transcripts():
    def snapshot() -> list[tuple]:
        return list(
            Message.objects.order_by("created", "public_id").values_list("public_id", "text", "created")
        )

    generate(**SMALL)
    first = snapshot()
    Customer.objects.all().delete()
    generate(**SMALL)
    assert snapshot() == first
    Customer.objects.all().delete()
    generate(**{**SMALL, "seed": 6})
    assert snapshot() != first


def test_a_database_with_conversations_is_refused_unless_appending(capsys):
    generate(**SMALL)
    with pytest.raises(DatasetError, match="already has 60 conversations; .* pass --append"):
        generate(**SMALL)
    assert Conversation.objects.count() == 60

    assert main(["--conversations", "5", "--end", "2025-06-01", "--quiet"]) == 2
    assert "already has 60 conversations" in capsys.readouterr().err
    assert main(["--conversations", "4", "--end", "2025-06-01", "--quiet", "--append", "--seed", "9"]) == 0
    assert "4 conversations, 40 messages" in capsys.readouterr().out
    assert Conversation.objects.count() == 64


def test_rows_made_after_the_data_set_get_fresh_ids():
    generate(**SMALL)
    # The generator chose the ids itself; PostgreSQL's sequences must have been moved past them.
    customer = Customer.objects.create(name="After")
    assert customer.pk > Customer.objects.exclude(pk=customer.pk).order_by("-pk").first().pk


@pytest.mark.parametrize(
    "arguments",
    [{"conversations": 0}, {"messages_per_conversation": 1}, {"days": 0}, {"staff": 1}],
)
def test_impossible_arguments_are_refused(arguments):
    with pytest.raises(DatasetError, match="need at least"):
        generate(**{**SMALL, **arguments})
    assert not Conversation.objects.exists()


def test_the_analytics_of_a_generated_data_set_add_up():
    generate(**SMALL)
    period = Period(first_day=date(2025, 5, 27), last_day=date(2025, 5, 31), timezone=UTC)
    report = selectors.analytics_report(period=period, low_confidence_threshold=0.2)
    assert sum(day.conversations for day in report.per_day) == report.outcomes.conversations == 60
    assert (
        report.outcomes.escalated == Conversation.objects.filter(escalations__isnull=False).distinct().count()
    )
    assert report.quality.replies == Message.objects.filter(sender="bot").count()
    assert sum(row.replies for row in report.model_versions) == report.quality.replies
