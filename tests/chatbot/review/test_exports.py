"""Exports: CSV and JSONL transcripts and training pairs, round-tripped through the csv module and the
training data reader; streamed in constant memory; every one in the audit log."""

import csv
import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chatbot.audit.models import AuditLogEntry
from chatbot.conversations.models import Message
from chatbot.review.exports import context as export_context
from chatbot.review.exports import streaming
from chatbot.review.exports.transcripts import CSV_COLUMNS
from chatbot.review.models import Annotation
from inference.data import read_jsonl
from tests.chatbot.review.factories import exchange, make_conversation, say

LIST_URL = reverse("admin:conversations_conversation_changelist")


def export_url(export_format: str) -> str:
    return reverse("admin:conversations_conversation_export", args=[export_format])


def body(response) -> str:
    assert response.status_code == 200 and response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


def csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(response))))


def jsonl_examples(response, tmp_path, name: str = "export.jsonl"):
    path = tmp_path / name
    path.write_text(body(response), encoding="utf-8")
    return read_jsonl(path), [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def reviewed(db, reviewer):
    """A conversation: a greeting, a wrong answer the reviewer corrected, then a staff message."""
    conversation = make_conversation()
    exchange(conversation, "hi", "Hello! How can I help?", intent="greeting")
    wrong = exchange(
        conversation,
        "Do you ship to Norway?",
        "No, we only ship to Sweden.",
        intent="complaint",
        feedback=Message.Vote.DOWN,
    )
    say(conversation, "Let me check that for you.", sender=Message.Sender.STAFF)
    Annotation.objects.create(
        message=wrong,
        verdict="bad",
        wrong_intent=True,
        wrong_facts=True,
        corrected_reply="Yes! Northwind Outfitters ships to Norway; call +1 555 0100 for rates.",
        corrected_intent="delivery_options",
        reviewer=reviewer,
    )
    return conversation


# --- CSV ------------------------------------------------------------------------------------------


def test_csv_has_every_message_with_its_details_and_review(reviewer_client, reviewed):
    rows = csv_rows(reviewer_client.get(export_url("csv")))

    assert list(rows[0]) == CSV_COLUMNS
    assert [row["sender"] for row in rows] == ["customer", "bot", "customer", "bot", "staff"]
    assert [row["text"] for row in rows][:4] == [
        "hi",
        "Hello! How can I help?",
        "Do you ship to Norway?",
        "No, we only ship to Sweden.",
    ]
    wrong = rows[3]
    assert wrong["conversation"] == str(reviewed.public_id)
    assert wrong["reply_to"] == rows[2]["message"]
    assert (wrong["intent"], wrong["confidence"], wrong["customer_vote"]) == ("complaint", "0.8", "down")
    assert (wrong["review"], wrong["review_reasons"], wrong["reviewer"]) == (
        "bad",
        "wrong_intent;wrong_facts",
        "rita",
    )
    assert wrong["corrected_reply"].startswith("Yes! Northwind Outfitters ships")


def test_csv_keeps_commas_quotes_and_newlines_and_defuses_formulas(reviewer_client):
    conversation = make_conversation()
    tricky = 'He said "hi", then\nleft; 100% sure'
    say(conversation, tricky)
    say(conversation, '=HYPERLINK("http://evil.example","click")')
    rows = csv_rows(reviewer_client.get(export_url("csv")))
    assert rows[0]["text"] == tricky
    # A spreadsheet would run it: the cell starts with an apostrophe instead.
    assert rows[1]["text"] == '\'=HYPERLINK("http://evil.example","click")'


# --- JSONL ----------------------------------------------------------------------------------------


def test_jsonl_is_what_the_training_reader_reads(reviewer_client, reviewed, tmp_path, settings):
    settings.CHATBOT_CONTEXT_TURNS = 6
    examples, records = jsonl_examples(reviewer_client.get(export_url("jsonl")), tmp_path)

    assert [example.response for example in examples] == [
        "Hello! How can I help?",
        "No, we only ship to Sweden.",
    ]
    second = examples[1]
    assert [(turn.role, turn.text) for turn in second.context] == [
        ("customer", "hi"),
        ("bot", "Hello! How can I help?"),
        ("customer", "Do you ship to Norway?"),
    ]
    assert second.intent == "complaint"
    assert records[1]["customer_vote"] == "down"
    assert records[1]["review"]["verdict"] == "bad"
    assert records[1]["review"]["corrected_intent"] == "delivery_options"
    assert records[0]["review"] is None


def test_the_context_is_what_the_model_saw(reviewer_client, settings, tmp_path):
    settings.CHATBOT_CONTEXT_TURNS = 2
    conversation = make_conversation()
    exchange(conversation, "one", "first answer")
    exchange(conversation, "two", "second answer")
    examples, _ = jsonl_examples(reviewer_client.get(export_url("jsonl")), tmp_path)
    assert [turn.text for turn in examples[1].context] == ["first answer", "two"]


# --- Training pairs -------------------------------------------------------------------------------


def test_training_pairs_carry_the_correction_with_placeholders_back(reviewed, tmp_path, settings):
    settings.CHATBOT_CONTEXT_TURNS = 6
    output = tmp_path / "corrections.jsonl"
    call_command("export_training_data", "--output", str(output))

    [example] = read_jsonl(output)
    assert example.response == (
        "Yes! {{Company Name}} ships to Norway; call {{Customer Support Phone Number}} for rates."
    )
    assert example.intent == "delivery_options"
    assert [turn.text for turn in example.context] == [
        "hi",
        "Hello! How can I help?",
        "Do you ship to Norway?",
    ]
    entry = AuditLogEntry.objects.get(action="review.export_training_data")
    assert entry.actor is None and entry.details["pairs"] == 1


def test_training_export_since_a_day(reviewed, tmp_path):
    output = tmp_path / "corrections.jsonl"
    Annotation.objects.update(updated=timezone.now() - datetime.timedelta(days=3))
    call_command("export_training_data", "--output", str(output), "--since", str(timezone.localdate()))
    assert read_jsonl(output) == []
    yesterday = timezone.localdate() - datetime.timedelta(days=4)
    call_command("export_training_data", "--output", str(output), "--since", str(yesterday))
    assert len(read_jsonl(output)) == 1


def test_training_export_refuses_bad_arguments_and_leaves_no_file(db, tmp_path):
    with pytest.raises(CommandError, match="not a date"):
        call_command("export_training_data", "--output", str(tmp_path / "a.jsonl"), "--since", "yesterday")
    with pytest.raises(CommandError, match=r"must end in \.jsonl"):
        call_command("export_training_data", "--output", str(tmp_path / "a.csv"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("export_training_data", "--output", str(tmp_path / "missing" / "a.jsonl"))
    assert list(tmp_path.iterdir()) == []


def test_a_failed_training_export_keeps_the_old_file(reviewed, tmp_path, monkeypatch):
    output = tmp_path / "corrections.jsonl"
    output.write_text("the previous export\n")
    from chatbot.review.exports import training

    def broken(*args, **kwargs):
        yield '{"half": '
        raise RuntimeError("database went away")

    monkeypatch.setattr(training, "training_lines", broken)
    with pytest.raises(RuntimeError):
        call_command("export_training_data", "--output", str(output))
    assert output.read_text() == "the previous export\n"
    assert list(tmp_path.iterdir()) == [output]


def test_the_admin_exports_corrections_of_the_filtered_conversations(reviewer_client, reviewed, tmp_path):
    exchange(make_conversation(), "q", "a")  # no correction: not exported
    examples, _ = jsonl_examples(reviewer_client.get(export_url("training")), tmp_path)
    assert [example.intent for example in examples] == ["delivery_options"]
    assert AuditLogEntry.objects.get().details["conversations"] == 1


# --- Selection, filters, audit ----------------------------------------------------------------------


def test_the_export_link_keeps_the_lists_filters_and_search(reviewer_client, reviewer, reviewed):
    other = make_conversation()
    exchange(other, "where is my kayak", "On its way.")

    listing = reviewer_client.get(LIST_URL, {"q": "kayak", "p": "1"})
    assert f'{export_url("csv")}?q=kayak"' in listing.text  # the page number is not kept

    rows = csv_rows(reviewer_client.get(export_url("csv"), {"q": "kayak"}))
    assert {row["conversation"] for row in rows} == {str(other.public_id)}
    entry = AuditLogEntry.objects.get()
    assert entry.actor == reviewer and entry.action == "review.export_csv"
    assert entry.summary == "Exported 1 conversation as CSV"
    assert entry.details["filters"] == {"q": "kayak"}
    assert entry.details["selection"] == "all matching the filters"
    assert entry.details["conversation_ids"] == [str(other.public_id)]


def test_the_action_exports_only_the_selected_conversations(reviewer_client, reviewed):
    other = make_conversation()
    exchange(other, "q", "a")
    response = reviewer_client.post(LIST_URL, {"action": "export_jsonl", "_selected_action": [other.pk]})
    assert response["Content-Disposition"].startswith('attachment; filename="transcripts-')
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    records = [json.loads(line) for line in body(response).splitlines()]
    assert {record["conversation"] for record in records} == {str(other.public_id)}
    entry = AuditLogEntry.objects.get()
    assert entry.details["selection"] == "selected" and entry.details["conversations"] == 1


def test_large_exports_list_a_bounded_number_of_ids(reviewer_client, monkeypatch):
    monkeypatch.setattr(streaming, "AUDIT_MAX_IDS", 3)
    for _ in range(5):
        make_conversation()
    body(reviewer_client.get(export_url("csv")))
    details = AuditLogEntry.objects.get().details
    assert details["conversations"] == 5
    assert len(details["conversation_ids"]) == 3 and details["ids_truncated"] is True


# --- Streaming in constant memory -------------------------------------------------------------------


def _conversations(count: int) -> None:
    for number in range(count):
        conversation = make_conversation()
        exchange(conversation, f"question {number}", "answer")


@pytest.mark.parametrize("export_format", ["csv", "jsonl", "training"])
def test_an_export_is_streamed_in_a_fixed_number_of_queries(reviewer_client, reviewer, export_format):
    def reviewed_conversations(count: int) -> None:
        for number in range(count):
            reply = exchange(make_conversation(), f"question {number}", "answer")
            Annotation.objects.create(
                message=reply, verdict="bad", bad_tone=True, corrected_reply="Better.", reviewer=reviewer
            )

    reviewed_conversations(3)
    with CaptureQueriesContext(connection) as few:
        small = body(reviewer_client.get(export_url(export_format)))
    reviewed_conversations(30)
    with CaptureQueriesContext(connection) as many:
        large = body(reviewer_client.get(export_url(export_format)))
    assert len(many.captured_queries) == len(few.captured_queries)
    assert large.count("\n") > small.count("\n")


def test_rows_come_from_the_database_in_chunks_as_the_response_is_read(reviewer_client, monkeypatch):
    """The response is a lazy iterator over `QuerySet.iterator(chunk_size=...)`: nothing is read up front."""
    from django.db.models import QuerySet

    chunk_sizes = []
    original = QuerySet.iterator

    def spying(queryset, chunk_size=None):
        chunk_sizes.append(chunk_size)
        return original(queryset, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spying)
    _conversations(3)

    response = reviewer_client.get(export_url("csv"))
    assert chunk_sizes == []  # the audit entry is written, the rows are not read yet
    lines = iter(response.streaming_content)
    assert next(lines).startswith(b"conversation,")
    assert len(list(lines)) == 6
    assert chunk_sizes == [export_context.CHUNK_SIZE]


async def test_under_asgi_the_lines_are_pulled_in_batches_not_all_at_once(monkeypatch):
    monkeypatch.setattr(streaming, "ASGI_BATCH_LINES", 10)
    produced = 0

    def lines():
        nonlocal produced
        for number in range(1000):
            produced += 1
            yield f"line {number}\n"

    response = streaming.ExportResponse(lines(), filename="x.csv", content_type="text/csv")
    parts = aiter(response)
    first = await anext(parts)
    assert first == b"line 0\n"
    assert produced == 10  # one batch, not the thousand lines
    rest = [part async for part in parts]
    assert len(rest) == 999 and produced == 1000
