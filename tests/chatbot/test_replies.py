"""The reply task and the services around it: idempotency, the dialogue window, events after commit."""

import uuid

import pytest

from chatbot.conversations import dispatch, engine, events, services, tasks
from chatbot.conversations.models import Conversation, Message
from tests.chatbot.fakes import ScriptedEngine

pytestmark = pytest.mark.django_db


@pytest.fixture
def scripted_engine(monkeypatch) -> ScriptedEngine:
    fake = ScriptedEngine()
    monkeypatch.setattr(engine, "get_engine", lambda: fake)
    return fake


@pytest.fixture
def sent_events(monkeypatch) -> list[tuple[str, dict]]:
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(events, "send_to_group", lambda group, event: sent.append((group, event)))
    return sent


def make_exchange(customer, senders: list[str]) -> list[Message]:
    conversation = Conversation.objects.create(customer=customer)
    return [
        Message.objects.create(
            conversation=conversation,
            sender=sender,
            text=f"{sender} {number}",
            client_id=uuid.uuid4() if sender == "customer" else None,
        )
        for number, sender in enumerate(senders)
    ]


def test_a_redelivered_task_stores_no_second_reply(customer, scripted_engine, sent_events):
    [question] = make_exchange(customer, ["customer"])
    first = tasks.generate_reply(question.pk)
    second = tasks.generate_reply(question.pk)
    assert first == str(Message.objects.get(sender="bot").public_id)
    assert second is None
    assert len(scripted_engine.calls) == 1
    assert Message.objects.filter(sender="bot").count() == 1


def test_the_task_leaves_conversations_with_staff_alone(customer, scripted_engine, sent_events):
    [question] = make_exchange(customer, ["customer"])
    Conversation.objects.update(status=Conversation.Status.WITH_STAFF)
    assert tasks.generate_reply(question.pk) is None
    assert scripted_engine.calls == []
    assert sent_events == []


def test_the_task_ignores_a_message_that_is_gone(scripted_engine, sent_events):
    assert tasks.generate_reply(987654) is None
    assert scripted_engine.calls == []


def test_of_two_racing_deliveries_only_one_reply_is_stored(customer):
    [question] = make_exchange(customer, ["customer"])
    reply = services.BotReply(
        text="Hello!",
        model_version="v1",
        intent="greeting",
        intent_probability=0.5,
        confidence=0.5,
        token_count=2,
        first_token_seconds=0.1,
        total_seconds=0.2,
    )
    assert services.do_store_bot_reply(message=question, reply=reply) is not None
    assert services.do_store_bot_reply(message=question, reply=reply) is None
    assert Message.objects.filter(sender="bot").count() == 1


def test_the_model_sees_the_last_turns_without_system_notices_or_later_messages(
    customer, scripted_engine, sent_events, settings
):
    settings.CHATBOT_CONTEXT_TURNS = 3
    messages = make_exchange(
        customer, ["customer", "bot", "customer", "system", "staff", "customer", "customer"]
    )
    tasks.generate_reply(messages[5].pk)
    turns = scripted_engine.calls[0]["turns"]
    assert [(turn.role, turn.text) for turn in turns] == [
        ("customer", "customer 2"),
        ("staff", "staff 4"),
        ("customer", "customer 5"),
    ]


def test_the_typing_indicator_goes_on_and_always_off_again(customer, scripted_engine, sent_events):
    scripted_engine.error = MemoryError()
    [question] = make_exchange(customer, ["customer"])
    tasks.generate_reply(question.pk)
    typing = [event for _, event in sent_events if event["type"] == "chat.typing"]
    assert [event["is_typing"] for event in typing] == [True, False]
    assert sent_events[-1][1]["type"] == "chat.typing"


def test_an_acknowledgement_and_the_reply_wait_for_the_commit(
    customer, sent_events, monkeypatch, django_capture_on_commit_callbacks
):
    dispatched: list[int] = []
    monkeypatch.setattr(services, "dispatch_reply", lambda *, message_id: dispatched.append(message_id))
    conversation = Conversation.objects.create(customer=customer)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        received = services.do_receive_customer_message(
            conversation=conversation, client_id=uuid.uuid4(), text="hi"
        )
    assert (sent_events, dispatched) == ([], [])

    for callback in callbacks:
        callback()
    assert sent_events == [(conversation.group_name, services.message_event(received.message))]
    assert dispatched == [received.message.pk]


def test_distributed_mode_sends_the_reply_to_the_inference_queue(settings, monkeypatch):
    settings.CHATBOT_DISTRIBUTED = True
    queued: list[dict] = []
    monkeypatch.setattr(tasks.generate_reply, "apply_async", lambda **kwargs: queued.append(kwargs))
    dispatch.dispatch_reply(message_id=42)
    assert queued == [{"args": [42], "queue": "inference", "ignore_result": True}]


@pytest.mark.parametrize(("interval_ms", "expected_events"), [(60_000, 2), (0, 9)])
def test_streamed_deltas_are_sent_at_most_once_per_interval_and_add_up_to_the_reply(
    customer, scripted_engine, sent_events, settings, interval_ms, expected_events
):
    settings.CHATBOT_STREAM_INTERVAL_MS = interval_ms
    scripted_engine.text = "one two three four five six seven eight nine"
    [question] = make_exchange(customer, ["customer"])
    tasks.generate_reply(question.pk)
    tokens = [event["delta"] for _, event in sent_events if event["type"] == "chat.token"]
    # The first delta at once, the rest held until the interval passed or the reply was complete.
    assert len(tokens) == expected_events and tokens[0] == "one "
    assert "".join(tokens) == Message.objects.get(sender="bot").text


def test_each_generation_of_a_reply_streams_under_its_own_attempt(
    customer, scripted_engine, sent_events, settings
):
    settings.CHATBOT_STREAM_INTERVAL_MS = 0
    scripted_engine.text = "one two three"
    [question] = make_exchange(customer, ["customer"])
    tasks.generate_reply(question.pk)
    first_run = len(sent_events)
    Message.objects.filter(sender="bot").delete()  # as if the first worker died before storing it
    tasks.generate_reply(question.pk)

    def attempts(events) -> list[str]:
        return [event["attempt"] for _, event in events if event["type"] == "chat.token"]

    first, second = attempts(sent_events[:first_run]), attempts(sent_events[first_run:])
    assert len(first) == len(second) == 3
    assert len(set(first)) == len(set(second)) == 1 and first[0] != second[0]
