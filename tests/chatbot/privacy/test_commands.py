"""`export_customer_data` and `erase_customer`: the subject-rights services from a shell."""

import json

import pytest
from django.core.management import CommandError, call_command

from chatbot.audit.models import AuditLogEntry
from chatbot.conversations.models import Customer

pytestmark = pytest.mark.django_db


def test_export_writes_the_document_to_a_file_and_audits_it(alice, tmp_path, capsys):
    output = tmp_path / "alice.json"
    call_command("export_customer_data", "alice@example.com", "--output", str(output))

    document = json.loads(output.read_text(encoding="utf-8"))
    assert [section["customer"]["name"] for section in document["customers"]] == ["Alice Example"]
    assert "Wrote everything stored about 1 customer(s)" in capsys.readouterr().err
    [entry] = AuditLogEntry.objects.filter(action="privacy.export_customer_data")
    assert entry.actor is None and entry.actor_name == ""


def test_export_prints_to_standard_output_by_public_id(alice, capsys):
    call_command("export_customer_data", str(alice.customer.public_id))
    document = json.loads(capsys.readouterr().out)
    assert document["customers"][0]["customer"]["public_id"] == str(alice.customer.public_id)


@pytest.mark.parametrize("command", ["export_customer_data", "erase_customer"])
def test_an_unknown_customer_is_a_clear_error_and_nothing_is_audited(alice, command):
    options = ["--yes"] if command == "erase_customer" else []
    with pytest.raises(CommandError, match="No customer matches 'nobody@example.com'"):
        call_command(command, "nobody@example.com", *options)
    assert not AuditLogEntry.objects.exists()


def test_export_refuses_a_missing_directory(alice, tmp_path):
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("export_customer_data", "alice@example.com", "--output", str(tmp_path / "no" / "x.json"))
    assert not AuditLogEntry.objects.exists()


def test_erase_lists_what_goes_and_asks_first(alice, monkeypatch, capsys):
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing was erased"):
        call_command("erase_customer", "alice@example.com")

    assert "conversations.message: 5" in capsys.readouterr().out
    assert Customer.objects.filter(pk=alice.customer.pk).exists()
    assert not AuditLogEntry.objects.exists()


def test_erase_with_confirmation_erases_and_audits(alice, bob, monkeypatch, capsys):
    monkeypatch.setattr("builtins.input", lambda prompt: "erase")
    call_command("erase_customer", "alice@example.com")

    assert "Erased 1 customer(s)" in capsys.readouterr().out
    assert list(Customer.objects.all()) == [bob.customer]
    assert AuditLogEntry.objects.filter(action="privacy.erase_customer_data", actor=None).count() == 1


def test_erase_with_yes_does_not_ask(alice, monkeypatch):
    monkeypatch.setattr("builtins.input", lambda prompt: pytest.fail("asked"))
    call_command("erase_customer", str(alice.customer.public_id), "--yes")
    assert not Customer.objects.exists()
