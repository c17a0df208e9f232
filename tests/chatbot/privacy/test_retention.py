"""Retention (chatbot/privacy/retention.py): expired conversations leave no row behind in any table,
or keep only their numbers when anonymised; recent ones are untouched."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from chatbot.audit.models import AuditLogEntry
from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.privacy.models import AnonymisedConversation
from chatbot.privacy.retention import apply_retention
from chatbot.privacy.tasks import apply_retention_task
from chatbot.support.models import CsatRating, Escalation, InternalNote, SupportEvent
from tests.chatbot.privacy.factories import database_text, rows_about, rows_existing, rows_referencing
from tests.chatbot.test_settings import load_settings

pytestmark = pytest.mark.django_db


def age(persona, days: int) -> None:
    """Make every conversation of the persona (and the persona) last active `days` ago."""
    then = timezone.now() - timedelta(days=days)
    Conversation.objects.filter(customer=persona.customer).update(updated=then, created=then)
    Customer.objects.filter(pk=persona.customer.pk).update(created=then)


def assert_only_the_login_is_left(persona) -> None:
    """Nothing of the persona is left but their login: accounts are the site's, not retention's."""
    assert [secret for secret in persona.secrets if secret in database_text(exclude={"auth.user"})] == []
    assert persona.customer.user.email in database_text()


def test_expired_conversations_leave_no_row_in_any_table_and_recent_ones_are_untouched(alice, bob):
    age(alice, 40)
    age(bob, 10)
    expired = rows_about(alice.customer)
    bob_before = rows_about(bob.customer)
    assert all(secret in database_text() for secret in alice.secrets)

    report = apply_retention(days=30, action="delete")

    assert rows_existing(expired) == {}
    assert rows_referencing(expired) == {}
    assert_only_the_login_is_left(alice)
    assert rows_about(bob.customer) == bob_before
    assert (report.conversations, report.messages, report.customers) == (2, 5, 1)
    assert report.rows["support.internalnote"] == 1


def test_a_customer_with_a_recent_conversation_keeps_it_and_their_profile(alice):
    age(alice, 40)
    recent = Conversation.objects.filter(customer=alice.customer, status="bot").get()
    Conversation.objects.filter(pk=recent.pk).update(updated=timezone.now())

    report = apply_retention(days=30, action="delete")

    assert list(Conversation.objects.filter(customer=alice.customer)) == [recent]
    assert (report.conversations, report.customers) == (1, 0)


def test_customers_older_than_the_limit_without_conversations_are_deleted(db):
    old = Customer.objects.create(name="Visited once", created=timezone.now() - timedelta(days=31))
    new = Customer.objects.create(name="Visited today")

    report = apply_retention(days=30, action="delete")

    assert report.customers == 1
    assert list(Customer.objects.all()) == [new]
    assert not Customer.objects.filter(pk=old.pk).exists()


def test_a_dry_run_counts_and_changes_nothing(alice, bob):
    age(alice, 40)
    before = database_text()

    report = apply_retention(days=30, action="delete", dry_run=True)

    assert (report.conversations, report.messages, report.customers) == (2, 5, 1)
    assert "would be deleted" in report.summary
    assert database_text() == before
    assert not AuditLogEntry.objects.exists()


def test_zero_days_keeps_everything(alice):
    age(alice, 4000)
    report = apply_retention(days=0)
    assert report.cutoff is None and report.conversations == 0
    assert Conversation.objects.filter(customer=alice.customer).count() == 2


def test_a_run_that_removed_something_is_audited(alice):
    age(alice, 40)
    apply_retention(days=30, action="delete")
    apply_retention(days=30, action="delete")  # nothing left: no second entry

    [entry] = AuditLogEntry.objects.filter(action="privacy.apply_retention")
    assert entry.actor is None
    assert entry.details["conversations"] == 2 and entry.details["deleted"]["conversations.message"] == 5


def test_anonymising_keeps_the_numbers_and_drops_the_words_and_the_customer(alice, bob):
    age(alice, 40)
    conversations = list(Conversation.objects.filter(customer=alice.customer).order_by("id"))
    bob_before = rows_about(bob.customer)

    report = apply_retention(days=30, action="anonymise")

    assert (report.conversations, report.messages, report.customers) == (2, 5, 1)
    assert not Customer.objects.filter(pk=alice.customer.pk).exists()
    for conversation in conversations:
        conversation.refresh_from_db()
        assert conversation.status == "closed"
        holder = conversation.customer
        assert (holder.name, holder.email, holder.user) == ("", "", None)
        assert AnonymisedConversation.objects.filter(conversation=conversation).exists()
    messages = Message.objects.filter(conversation__in=conversations)
    assert messages.count() == 5
    assert set(messages.values_list("text", flat=True)) == {""}
    assert messages.filter(sender="bot", intent="track_order").count() == 1
    [escalation] = Escalation.objects.filter(conversation__in=conversations)
    assert (escalation.detail, escalation.contact_email, escalation.contact_message) == ("", "", "")
    assert escalation.reason == "customer_request"
    assert SupportEvent.objects.filter(conversation__in=conversations).count() == 2
    [rating] = CsatRating.objects.filter(conversation__in=conversations)
    assert (rating.rating, rating.comment) == (4, "")
    assert not InternalNote.objects.filter(conversation__in=conversations).exists()
    assert_only_the_login_is_left(alice)
    assert rows_about(bob.customer) == bob_before


def test_anonymising_twice_changes_nothing_more(alice):
    age(alice, 40)
    apply_retention(days=30, action="anonymise")
    customers, text = Customer.objects.count(), database_text()

    report = apply_retention(days=30, action="anonymise")

    assert (report.conversations, report.customers) == (0, 0)
    assert (Customer.objects.count(), database_text()) == (customers, text)


def test_the_command_reads_the_settings_and_reports(alice, settings, capsys):
    age(alice, 40)
    settings.CHATBOT_RETENTION_DAYS = 30
    call_command("apply_retention", "--dry-run")
    assert "2 conversations (5 messages)" in capsys.readouterr().out
    assert Conversation.objects.count() == 2

    call_command("apply_retention")
    out = capsys.readouterr().out
    assert "deleted" in out and "conversations.message: 5 rows deleted" in out
    assert Conversation.objects.count() == 0


def test_the_celery_task_applies_the_settings(alice, settings):
    age(alice, 40)
    settings.CHATBOT_RETENTION_DAYS = 30
    settings.CHATBOT_RETENTION_ACTION = "delete"
    summary = apply_retention_task()
    assert summary.startswith("2 conversations (5 messages)")
    assert not Conversation.objects.filter(customer_id=alice.customer.pk).exists()


def test_beat_runs_retention_daily_in_distributed_mode_only_when_it_is_on():
    expression = "getattr(settings, 'CELERY_BEAT_SCHEDULE', {})"
    on = {
        "DEBUG": "true",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "CHATBOT_RETENTION_DAYS": "90",
        "CHATBOT_RETENTION_HOUR": "4",
    }
    result = load_settings(on, expression)
    assert result.returncode == 0, result.stderr
    assert "'task': 'chatbot.privacy.apply_retention'" in result.stdout
    assert "<crontab: 30 4 * * *" in result.stdout
    assert load_settings({**on, "CHATBOT_RETENTION_DAYS": "0"}, expression).stdout.strip() == "{}"
    assert load_settings({"DEBUG": "true", "CHATBOT_RETENTION_DAYS": "90"}, expression).stdout.strip() == "{}"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CHATBOT_RETENTION_ACTION": "shred"}, "CHATBOT_RETENTION_ACTION must be delete or anonymise"),
        ({"CHATBOT_RETENTION_HOUR": "24"}, "CHATBOT_RETENTION_HOUR must be 0 to 23"),
        ({"CHATBOT_REDACT_TRANSCRIPTS": "card,names"}, "CHATBOT_REDACT_TRANSCRIPTS: unknown names"),
    ],
)
def test_bad_privacy_settings_stop_the_start_naming_the_variable(env, message):
    result = load_settings({"DEBUG": "true", **env}, "settings.DEBUG")
    assert result.returncode != 0 and message in result.stderr


@pytest.mark.parametrize(
    ("value", "kinds"),
    [("all", "['card', 'email', 'phone', 'iban']"), ("none", "[]"), ("Card, IBAN", "['card', 'iban']")],
)
def test_the_redaction_setting_reads_kinds_all_or_none(value, kinds):
    result = load_settings(
        {"DEBUG": "true", "CHATBOT_REDACT_TRANSCRIPTS": value}, "settings.CHATBOT_REDACT_TRANSCRIPTS"
    )
    assert result.stdout.strip() == kinds, result.stderr
