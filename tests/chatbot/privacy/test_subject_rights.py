"""Subject rights (chatbot/privacy/services.py): the export holds everything, erasure leaves nothing."""

import json

import pytest
from django.contrib.auth import get_user_model

from chatbot.audit.models import AuditLogEntry
from chatbot.conversations.models import Customer
from chatbot.privacy import export, selectors, services
from tests.chatbot.privacy.factories import database_text, rows_about, rows_existing, rows_referencing

pytestmark = pytest.mark.django_db

# The tables that hold data about a customer today; the export must have each (later tables are
# covered by the comparison with the independent walk over every foreign key).
CUSTOMER_TABLES = {
    "conversations.conversation",
    "conversations.message",
    "support.escalation",
    "support.supportevent",
    "support.internalnote",
    "support.suggestedreply",
    "support.csatrating",
}


def exported_ids(section: dict) -> dict[str, set]:
    return {label: {row["id"] for row in rows} for label, rows in section["records"].items()}


def test_the_export_has_every_row_stored_about_the_customer_and_nothing_of_others(alice, bob, staff):
    document = services.do_export_customers(customers=[alice.customer], actor=staff)
    [section] = document["customers"]

    expected = rows_about(alice.customer)
    assert section["customer"]["id"] == alice.customer.pk
    assert section["customer"]["email"] == "alice@example.com"
    assert exported_ids(section) == {
        label: ids for label, ids in expected.items() if label != "conversations.customer"
    }
    assert set(section["records"]) >= CUSTOMER_TABLES
    other = rows_about(bob.customer)
    for label, ids in exported_ids(section).items():
        assert not ids & other.get(label, set()), label


def test_the_export_has_the_words_and_the_login_but_no_password(alice, staff):
    document = services.do_export_customers(customers=[alice.customer], actor=staff)
    text = export.to_json(document)
    parsed = json.loads(text)

    assert parsed["format"] == "chatbot.customer-data" and parsed["version"] == 1
    for secret in alice.secrets:
        assert secret in text
    account = parsed["customers"][0]["account"]
    assert account["username"] == "alice-login" and account["email"] == "alice@example.com"
    assert "password" not in account
    messages = parsed["customers"][0]["records"]["conversations.message"]
    assert {message["sender"] for message in messages} == {"customer", "bot", "staff", "system"}


def test_an_export_is_audited_with_ids_and_counts_but_no_personal_data(alice, staff):
    services.do_export_customers(customers=[alice.customer], actor=staff)

    [entry] = AuditLogEntry.objects.filter(action="privacy.export_customer_data")
    assert entry.actor == staff and entry.actor_name == "dana"
    assert entry.details["customers"] == [str(alice.customer.public_id)]
    assert entry.details["rows"]["conversations.message"] == 5
    assert not any(secret in json.dumps(entry.details) + entry.summary for secret in alice.secrets)


def test_erasure_leaves_no_row_about_the_customer_in_any_table(alice, bob, staff):
    erased = rows_about(alice.customer)
    assert set(erased) >= CUSTOMER_TABLES
    assert all(secret in database_text() for secret in alice.secrets)
    bob_before = {label: len(ids) for label, ids in rows_about(bob.customer).items()}

    erasure = services.do_erase_customers(customers=[alice.customer], actor=staff)

    assert rows_existing(erased) == {}
    assert rows_referencing(erased) == {}
    leftovers = database_text()
    assert [secret for secret in alice.secrets if secret in leftovers] == []
    assert {label: len(ids) for label, ids in rows_about(bob.customer).items()} == bob_before
    assert erasure.deleted["conversations.message"] == 5
    assert erasure.deleted["conversations.customer"] == 1


def test_erasure_takes_the_customers_own_login_but_never_a_staff_account(alice, staff):
    staff_customer = Customer.objects.create(name="Dana at home", user=staff)
    services.do_erase_customers(customers=[alice.customer, staff_customer], actor=None)

    assert not get_user_model().objects.filter(username="alice-login").exists()
    staff.refresh_from_db()  # still there


def test_erasure_keeps_a_login_another_customer_row_still_uses(alice):
    second_browser = Customer.objects.create(user=alice.customer.user)
    erasure = services.do_erase_customers(customers=[alice.customer], actor=None)

    assert erasure.accounts == 0
    second_browser.refresh_from_db()
    assert second_browser.user.username == "alice-login"


def test_an_erasure_is_audited_without_personal_data(alice, staff):
    public_id = str(alice.customer.public_id)
    services.do_erase_customers(customers=[alice.customer], actor=staff)

    [entry] = AuditLogEntry.objects.filter(action="privacy.erase_customer_data")
    assert entry.actor == staff
    assert entry.details["customers"] == [public_id]
    assert entry.details["deleted"]["conversations.conversation"] == 2
    assert entry.details["accounts_deleted"] == 1
    assert entry.summary == "Erased 1 customer: 2 conversations, 5 messages"


def test_an_erasure_that_fails_half_way_changes_nothing(alice, monkeypatch):
    before = rows_about(alice.customer)

    def refuse(**kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services, "record", refuse)
    with pytest.raises(RuntimeError):
        services.do_erase_customers(customers=[alice.customer], actor=None)

    assert rows_about(alice.customer) == before
    assert get_user_model().objects.filter(username="alice-login").exists()


def test_a_subject_is_found_by_public_id_or_by_every_address_they_used(alice, bob):
    assert selectors.find_customers(str(alice.customer.public_id)) == [alice.customer]
    other_browser = Customer.objects.create(email="ALICE@example.com")
    logged_in = Customer.objects.create(user=alice.customer.user)
    assert selectors.find_customers(" alice@example.com ") == [alice.customer, other_browser, logged_in]


@pytest.mark.parametrize(
    "identifier", ["nobody@example.com", "6f1c1f4e-7a55-4a3e-9a43-2f1d1f3b9d10", "Alice"]
)
def test_an_unknown_subject_is_a_clear_error(alice, identifier):
    with pytest.raises(selectors.UnknownSubject):
        selectors.find_customers(identifier)
