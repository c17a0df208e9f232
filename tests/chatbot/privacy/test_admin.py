"""Subject rights in the admin: who may export and erase, the JSON download, the audited erasure."""

import json

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from chatbot.audit.models import AuditLogEntry
from chatbot.conversations.models import Customer
from tests.chatbot.privacy.factories import database_text

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:conversations_customer_changelist")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def action(client: Client, name: str, customers: list[Customer], **extra):
    return client.post(
        CHANGELIST, {"action": name, "_selected_action": [customer.pk for customer in customers], **extra}
    )


def offered_actions(client: Client) -> list[str]:
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    form = response.context["action_form"]  # None without any action
    return [name for name, _ in form.fields["action"].choices if name] if form else []


def test_support_staff_may_read_customers_but_neither_export_nor_erase_them(alice, staff):
    client = signed_in(staff)
    assert offered_actions(client) == []

    refused_export = action(client, "export_customer_data", [alice.customer])
    refused_erasure = action(client, "delete_selected", [alice.customer], post="yes")

    assert "application/json" not in refused_export["Content-Type"]
    assert refused_erasure.status_code in (200, 302)
    assert Customer.objects.filter(pk=alice.customer.pk).exists()
    assert not AuditLogEntry.objects.exists()
    change_page = client.get(reverse("admin:conversations_customer_change", args=[alice.customer.pk]))
    assert b"deletelink" not in change_page.content
    assert (
        client.get(reverse("admin:conversations_customer_delete", args=[alice.customer.pk])).status_code
        == 403
    )


def test_an_admin_downloads_everything_about_the_selected_customers_as_json(alice, bob, admin_user):
    client = signed_in(admin_user)
    assert set(offered_actions(client)) == {"export_customer_data", "delete_selected"}

    response = action(client, "export_customer_data", [alice.customer, bob.customer])

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customer-data-')
    document = json.loads(response.content)
    assert [section["customer"]["name"] for section in document["customers"]] == [
        "Alice Example",
        "Bob Other",
    ]
    [entry] = AuditLogEntry.objects.filter(action="privacy.export_customer_data")
    assert entry.actor == admin_user and len(entry.details["customers"]) == 2


def test_the_erase_action_confirms_listing_every_row_then_erases_with_an_audit_entry(alice, bob, admin_user):
    client = signed_in(admin_user)
    choices = dict(client.get(CHANGELIST).context["action_form"].fields["action"].choices)
    assert choices["delete_selected"] == "Erase the selected customers and everything stored about them"

    confirmation = action(client, "delete_selected", [alice.customer])
    assert confirmation.status_code == 200
    summary = dict(confirmation.context["model_count"])
    assert summary["messages"] == 5 and summary["internal notes"] == 1

    done = action(client, "delete_selected", [alice.customer], post="yes")

    assert done.status_code == 302
    assert not Customer.objects.filter(pk=alice.customer.pk).exists()
    assert Customer.objects.filter(pk=bob.customer.pk).exists()
    assert AuditLogEntry.objects.filter(action="privacy.erase_customer_data", actor=admin_user).count() == 1
    assert not LogEntry.objects.filter(object_repr="Alice Example").exists()
    assert [secret for secret in alice.secrets if secret in database_text()] == []


def test_deleting_one_customer_from_its_page_is_an_audited_erasure(alice, admin_user):
    client = signed_in(admin_user)
    response = client.post(
        reverse("admin:conversations_customer_delete", args=[alice.customer.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Customer.objects.filter(pk=alice.customer.pk).exists()
    assert AuditLogEntry.objects.filter(action="privacy.erase_customer_data").count() == 1


def test_the_erasure_permission_alone_is_enough_no_per_table_delete_permissions(alice):
    officer = get_user_model().objects.create_user("dpo", password="x", is_staff=True)
    officer.user_permissions.add(
        Permission.objects.get(codename="view_customer", content_type__app_label="conversations"),
        Permission.objects.get(codename="erase_customer_data", content_type__app_label="privacy"),
    )
    client = signed_in(officer)
    assert offered_actions(client) == ["delete_selected"]

    action(client, "delete_selected", [alice.customer], post="yes")

    assert not Customer.objects.filter(pk=alice.customer.pk).exists()
