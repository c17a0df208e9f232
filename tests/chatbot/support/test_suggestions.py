"""The model's suggested reply for staff: drafted through the same engine and dispatch as the bot's
replies, offered only to staff, never sent by itself, and its fate (sent as is, edited, discarded,
ignored) stored."""

import uuid

import pytest
from channels.db import database_sync_to_async

from chatbot.conversations.models import Message
from chatbot.conversations.protocol import ProtocolError
from chatbot.support import services, staff_services, suggestions, tasks
from chatbot.support.models import SuggestedReply
from tests.chatbot.chat_client import connect, message_frame
from tests.chatbot.support.factories import make_claimed, make_escalation, make_message
from tests.chatbot.support.sockets import close_all, connect_staff, next_frame

SCRIPTED_TEXT = "Thanks for asking Northwind Outfitters. Your order ships today."
Outcome = SuggestedReply.Outcome


@pytest.fixture
def with_staff(customer, staff, sent_events, model_work):
    """A conversation Dana owns, whose customer just asked something (no draft yet)."""
    escalation = make_claimed(customer, staff)
    question = make_message(escalation.conversation, "Where is my parcel?")
    return escalation, question


@pytest.mark.django_db
def test_a_draft_is_made_for_the_customers_last_message(with_staff, scripted_engine):
    escalation, question = with_staff
    suggestion = suggestions.suggest_reply(message_id=question.pk)
    assert (suggestion.text, suggestion.intent, suggestion.confidence, suggestion.model_version) == (
        SCRIPTED_TEXT,
        "track_order",
        0.8,
        "scripted-test",
    )
    assert (suggestion.escalation, suggestion.message, suggestion.outcome) == (
        escalation,
        question,
        Outcome.PENDING,
    )
    # The model saw the dialogue up to that message, as for a bot reply.
    assert [(t.role, t.text) for t in scripted_engine.calls[0]["turns"]][-1] == (
        "customer",
        "Where is my parcel?",
    )
    assert not Message.objects.filter(sender__in=["bot", "staff"]).exists()  # nothing was sent


@pytest.mark.django_db
def test_a_draft_is_made_once_and_only_while_staff_own_the_conversation(
    customer, with_staff, scripted_engine, sent_events
):
    escalation, question = with_staff
    assert suggestions.suggest_reply(message_id=question.pk) is not None
    assert suggestions.suggest_reply(message_id=question.pk) is None  # a redelivered task
    assert tasks.suggest_reply_task(question.pk) is None

    waiting = make_escalation(customer.__class__.objects.create(), text="hello?")
    assert suggestions.suggest_reply(message_id=waiting.trigger_message.pk) is None
    later = make_message(escalation.conversation, "Hello??")
    assert suggestions.suggest_reply(message_id=question.pk) is None  # a newer message gets its own draft
    assert suggestions.suggest_reply(message_id=later.pk).message == later
    assert len(scripted_engine.calls) == 2


@pytest.mark.django_db
def test_a_model_failure_means_no_draft(with_staff, scripted_engine):
    _, question = with_staff
    scripted_engine.error = RuntimeError("out of memory")
    assert suggestions.suggest_reply(message_id=question.pk) is None
    assert not SuggestedReply.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "outcome"),
    [
        (SCRIPTED_TEXT, Outcome.SENT_AS_IS),
        (f"  {SCRIPTED_TEXT}\n", Outcome.SENT_AS_IS),
        ("Your order ships tomorrow.", Outcome.EDITED),
    ],
)
def test_sending_a_draft_records_whether_it_was_edited(with_staff, staff, sent, outcome):
    escalation, question = with_staff
    suggestion = suggestions.suggest_reply(message_id=question.pk)
    message = staff_services.do_send_staff_message(
        user=staff,
        conversation=escalation.conversation,
        client_id=uuid.uuid4(),
        text=sent.strip(),
        suggestion_id=suggestion.public_id,
    )
    suggestion.refresh_from_db()
    assert (suggestion.outcome, suggestion.sent_message, suggestion.decided_by) == (outcome, message, staff)
    assert suggestion.decided is not None
    assert suggestion.text == SCRIPTED_TEXT  # the model's words stay, next to what staff sent (training data)


@pytest.mark.django_db
def test_a_discarded_draft_is_recorded_and_stays_discarded(with_staff, staff):
    escalation, question = with_staff
    suggestion = suggestions.suggest_reply(message_id=question.pk)
    staff_services.do_discard_suggestion(user=staff, suggestion_id=suggestion.public_id)
    staff_services.do_send_staff_message(
        user=staff,
        conversation=escalation.conversation,
        client_id=uuid.uuid4(),
        text="Hi!",
        suggestion_id=suggestion.public_id,
    )
    suggestion.refresh_from_db()
    assert (suggestion.outcome, suggestion.sent_message) == (Outcome.DISCARDED, None)


@pytest.mark.django_db
def test_drafts_nobody_used_are_ignored(with_staff, staff):
    escalation, question = with_staff
    first = suggestions.suggest_reply(message_id=question.pk)
    second = suggestions.suggest_reply(message_id=make_message(escalation.conversation, "Hello??").pk)
    first.refresh_from_db()
    assert first.outcome == Outcome.IGNORED  # superseded by the newer message's draft
    services.do_resolve(user=staff, conversation=escalation.conversation, outcome="solved")
    second.refresh_from_db()
    assert second.outcome == Outcome.IGNORED  # the conversation ended


@pytest.mark.django_db
def test_only_the_owner_handles_a_draft_and_only_in_its_own_conversation(
    customer, with_staff, staff, other_staff
):
    escalation, question = with_staff
    suggestion = suggestions.suggest_reply(message_id=question.pk)
    with pytest.raises(ProtocolError, check=lambda e: e.code == "not_allowed"):
        staff_services.do_discard_suggestion(user=other_staff, suggestion_id=suggestion.public_id)
    elsewhere = make_claimed(customer.__class__.objects.create(), staff)
    with pytest.raises(ProtocolError, check=lambda e: e.code == "invalid_field"):
        staff_services.do_send_staff_message(
            user=staff,
            conversation=elsewhere.conversation,
            client_id=uuid.uuid4(),
            text="x",
            suggestion_id=suggestion.public_id,
        )
    assert not Message.objects.filter(sender="staff").exists()
    suggestion.refresh_from_db()
    assert suggestion.outcome == Outcome.PENDING


def test_distributed_mode_drafts_on_the_inference_queue(settings, monkeypatch):
    settings.CHATBOT_DISTRIBUTED = True
    queued: list[dict] = []
    monkeypatch.setattr(tasks.suggest_reply_task, "apply_async", lambda **kwargs: queued.append(kwargs))
    suggestions.dispatch_suggestion(message_id=42)
    assert queued == [{"args": [42], "queue": "inference", "ignore_result": True}]


@pytest.mark.django_db(transaction=True)
async def test_the_console_gets_the_draft_when_claiming_and_for_each_new_message(customer, staff):
    socket, _ = await connect(customer)
    await socket.send_json_to(message_frame("where is my order?"))
    await next_frame(socket, "typing", is_typing=False)  # the bot answered
    await socket.send_json_to(message_frame("and when does it arrive?"))
    await next_frame(socket, "typing", is_typing=False)
    await socket.send_json_to({"type": "escalate"})
    conversation_id = (await next_frame(socket, "status"))["conversation"]["id"]

    console, _ = await connect_staff(staff)
    await console.send_json_to({"type": "claim", "conversation": conversation_id})
    # The last dialogue message is the bot's: nothing to draft until the customer writes again.
    await socket.send_json_to(message_frame("hello? still there?"))
    draft = await next_frame(console, "suggestion")
    assert (draft["conversation"], draft["suggestion"]["text"]) == (conversation_id, SCRIPTED_TEXT)
    await console.send_json_to(
        {
            "type": "message",
            "conversation": conversation_id,
            "client_id": str(uuid.uuid4()),
            "text": "Your order ships today, I checked.",
            "suggestion": draft["suggestion"]["id"],
        }
    )
    received = await next_frame(socket, "message", timeout=5)
    while received["message"]["sender"] != "staff":
        received = await next_frame(socket, "message")
    assert received["message"]["text"] == "Your order ships today, I checked."
    assert (await next_frame(console, "suggestion"))["suggestion"] is None  # the draft is used up
    stored = await database_sync_to_async(SuggestedReply.objects.get)()
    assert stored.outcome == Outcome.EDITED
    await close_all(socket, console)
