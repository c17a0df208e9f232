"""The audit log: `record` stores who did what; the admin shows entries and never changes them."""

import datetime
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from chatbot.audit.models import AuditLogEntry
from chatbot.audit.services import AuditError, record

PASSWORD = "a-long-test-password-1"


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)


def test_it_records_the_actor_action_and_details(admin_user):
    conversation_id = uuid.uuid4()
    entry = record(
        actor=admin_user,
        action="review.export_transcripts",
        summary="Exported 2 conversations as CSV",
        details={"format": "csv", "count": 2, "ids": [conversation_id], "since": datetime.date(2026, 1, 1)},
    )

    stored = AuditLogEntry.objects.get(pk=entry.pk)
    assert stored.actor == admin_user
    assert stored.actor_name == "root"
    assert stored.action == "review.export_transcripts"
    assert stored.details == {
        "format": "csv",
        "count": 2,
        "ids": [str(conversation_id)],
        "since": "2026-01-01",
    }
    assert stored.created is not None


def test_the_actor_name_outlives_the_account(admin_user):
    entry = record(actor=admin_user, action="review.export_transcripts")
    admin_user.delete()

    entry.refresh_from_db()
    assert entry.actor is None
    assert entry.actor_name == "root"


def test_a_command_run_from_a_shell_has_no_actor(db):
    from django.contrib.auth.models import AnonymousUser

    assert record(actor=None, action="review.export_training_data").actor_name == ""
    assert record(actor=AnonymousUser(), action="review.export_training_data").actor is None


def test_it_refuses_an_entry_without_an_action(db):
    with pytest.raises(AuditError):
        record(actor=None, action="  ")
    assert not AuditLogEntry.objects.exists()


def test_admins_read_entries_but_cannot_add_change_or_delete_them(client, admin_user):
    entry = record(actor=admin_user, action="privacy.erase_customer", summary="Erased <b>one</b> customer")
    client.force_login(admin_user)

    listing = client.get(reverse("admin:audit_auditlogentry_changelist"))
    assert listing.status_code == 200
    assert "Erased &lt;b&gt;one&lt;/b&gt; customer" in listing.text

    page = client.get(reverse("admin:audit_auditlogentry_change", args=[entry.pk]))
    assert page.status_code == 200
    assert 'name="action"' not in page.text  # shown, not editable
    assert client.get(reverse("admin:audit_auditlogentry_add")).status_code == 403
    delete_url = reverse("admin:audit_auditlogentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    assert AuditLogEntry.objects.filter(pk=entry.pk).exists()


def test_staff_without_the_permission_cannot_read_the_log(client, db):
    user = get_user_model().objects.create_user("olga", password=PASSWORD, is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:audit_auditlogentry_changelist")).status_code == 403
