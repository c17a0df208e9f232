"""The escalation lifecycle through the services: queue, claim, transfer, resolve, hand back, contact
details; the timeline of events; who may do what; and the bot's silence while staff have it."""

import uuid

import pytest

from chatbot.conversations import engine, replies
from chatbot.conversations import services as conversation_services
from chatbot.conversations.models import Conversation, Message
from chatbot.conversations.protocol import ProtocolError
from chatbot.support import customer_status, presence, selectors, services
from chatbot.support.models import Escalation, SupportEvent
from tests.chatbot.fakes import ScriptedEngine
from tests.chatbot.support.factories import make_claimed, make_conversation, make_escalation, make_message

pytestmark = pytest.mark.django_db
Reason = Escalation.Reason


def refused(code: str):
    return pytest.raises(ProtocolError, match=".", check=lambda error: error.code == code)


@pytest.fixture
def staff_online(staff):
    presence.record(user_id=staff.pk, channel="test-channel", status=presence.ONLINE)
    return staff


def test_every_change_of_state_is_a_timestamped_event_with_its_actor(
    customer, staff, other_staff, sent_events, model_work
):
    escalation = make_escalation(customer, reason=Reason.COMPLAINT)
    conversation = escalation.conversation
    services.do_claim(user=staff, conversation=conversation)
    services.do_transfer(user=staff, conversation=conversation, to_user_id=other_staff.pk)
    services.do_resolve(user=other_staff, conversation=conversation, outcome="solved")

    rows = list(SupportEvent.objects.filter(escalation=escalation).order_by("created", "id"))
    assert [(e.kind, e.actor, e.target, e.reason) for e in rows] == [
        ("escalated", None, None, "complaint"),
        ("claimed", staff, None, ""),
        ("transferred", staff, other_staff, ""),
        ("resolved", other_staff, None, "solved"),
    ]
    assert all(e.conversation == conversation for e in rows)
    assert [e.created for e in rows] == sorted(e.created for e in rows)
    escalation.refresh_from_db()
    # What #5's analytics compute: the wait is claimed - escalated, on the escalation and in the events.
    assert escalation.claimed - escalation.escalated == rows[1].created - rows[0].created
    assert (escalation.assignee, escalation.outcome, escalation.ended) == (
        other_staff,
        "solved",
        rows[3].created,
    )
    conversation.refresh_from_db()
    assert conversation.status == "closed"


def test_the_queue_puts_urgent_conversations_first_then_the_longest_waiting(
    customer, other_customer, sent_events
):
    from chatbot.conversations.models import Customer

    calm = make_escalation(customer, reason=Reason.CUSTOMER_BUTTON)
    unsure = make_escalation(other_customer, reason=Reason.LOW_CONFIDENCE)
    angry = make_escalation(Customer.objects.create(name="Carol"), reason=Reason.ANGRY_LANGUAGE)
    assert list(selectors.waiting_escalations()) == [angry, calm, unsure]
    assert [selectors.queue_position(escalation=e) for e in (angry, calm, unsure)] == [1, 2, 3]


def test_a_customer_hears_their_place_in_the_queue_and_who_joined(
    customer, other_customer, staff_online, sent_events
):
    first = make_escalation(customer)
    second = make_escalation(other_customer)
    state = customer_status.support_state(second.conversation)
    assert (state["queue_position"], state["staff_available"]) == (2, True)
    assert customer_status.status_event(second.conversation)["detail"] == (
        "A support agent will join shortly — you are number 2 in the queue."
    )
    services.do_claim(user=staff_online, conversation=first.conversation)
    assert customer_status.support_state(second.conversation)["queue_position"] == 1
    first.conversation.refresh_from_db()
    assert (
        customer_status.status_event(first.conversation)["detail"]
        == "Dana from support joined the conversation."
    )


def test_waiting_customers_are_told_their_new_place_when_the_queue_moves(
    customer, other_customer, staff_online, django_capture_on_commit_callbacks, sent_events
):
    first = make_escalation(customer)
    second = make_escalation(other_customer)
    sent_events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.do_claim(user=staff_online, conversation=first.conversation)
    to_second = [e for group, e in sent_events if group == second.conversation.group_name]
    assert [e["support"]["queue_position"] for e in to_second] == [1]
    assert to_second[0]["detail"].endswith("you are number 1 in the queue.")


def test_with_nobody_online_the_customer_is_asked_for_contact_details(customer, staff, sent_events):
    escalation = make_escalation(customer)
    state = customer_status.support_state(escalation.conversation)
    assert (state["staff_available"], state["within_hours"]) == (False, True)
    assert customer_status.status_detail(escalation.conversation, state).startswith(
        "No one from our team is online right now. Leave your e-mail address"
    )


def test_outside_support_hours_the_customer_hears_the_hours(customer, staff_online, settings, sent_events):
    settings.CHATBOT_SUPPORT_SCHEDULE, settings.CHATBOT_SUPPORT_TIMEZONE = "never", "Europe/Berlin"
    escalation = make_escalation(customer)
    state = customer_status.support_state(escalation.conversation)
    assert (state["staff_available"], state["within_hours"]) == (False, False)
    assert customer_status.status_detail(escalation.conversation, state) == (
        "Our team is available no hours set (Europe/Berlin time). "
        "Leave your e-mail address and a message, and we will get back to you."
    )


def test_contact_details_stay_with_the_conversation_in_the_queue(customer, sent_events):
    escalation = make_escalation(customer)
    services.do_leave_contact(
        customer=customer, email="alice@home.example", message="Call me back about my tent"
    )
    escalation.refresh_from_db()
    customer.refresh_from_db()
    assert (escalation.contact_email, escalation.contact_message) == (
        "alice@home.example",
        "Call me back about my tent",
    )
    assert customer.email == "alice@home.example"
    assert list(selectors.waiting_escalations()) == [escalation]
    assert list(escalation.events.values_list("kind", flat=True)) == ["escalated", "customer_left_contact"]
    state = customer_status.support_state(escalation.conversation)
    assert state["contact_left"] and "we will reply to alice@home.example" in customer_status.status_detail(
        escalation.conversation, state
    )


def test_contact_details_are_only_taken_while_waiting(customer, staff, sent_events):
    make_conversation(customer)
    with refused("not_waiting"):
        services.do_leave_contact(customer=customer, email="a@b.example", message="")
    make_claimed(customer.__class__.objects.create(), staff)
    assert not SupportEvent.objects.filter(kind="customer_left_contact").exists()


def test_only_support_staff_may_claim(customer, outsider, sent_events):
    escalation = make_escalation(customer)
    with refused("not_allowed"):
        services.do_claim(user=outsider, conversation=escalation.conversation)
    escalation.conversation.refresh_from_db()
    assert escalation.conversation.status == "waiting_for_staff"


def test_a_second_claim_is_told_who_has_it(customer, staff, other_staff, sent_events, model_work):
    escalation = make_claimed(customer, staff)
    with pytest.raises(ProtocolError) as lost:
        services.do_claim(user=other_staff, conversation=escalation.conversation)
    assert (lost.value.code, lost.value.detail) == ("already_claimed", "Already claimed by Dana Scully.")


def test_only_the_owner_or_an_admin_acts_on_a_conversation(
    customer, staff, other_staff, admin_user, sent_events, model_work
):
    conversation = make_claimed(customer, staff).conversation
    with refused("not_allowed"):
        services.do_resolve(user=other_staff, conversation=conversation, outcome="solved")
    with refused("not_allowed"):
        services.do_hand_back(user=other_staff, conversation=conversation)
    services.do_transfer(user=admin_user, conversation=conversation, to_user_id=other_staff.pk)
    assert SupportEvent.objects.get(kind="transferred").actor == admin_user
    services.do_resolve(user=other_staff, conversation=conversation, outcome="follow_up")


def test_a_transfer_goes_only_to_another_staff_member(customer, staff, outsider, sent_events, model_work):
    conversation = make_claimed(customer, staff).conversation
    with refused("invalid_target"):
        services.do_transfer(user=staff, conversation=conversation, to_user_id=outsider.pk)
    with refused("invalid_target"):
        services.do_transfer(user=staff, conversation=conversation, to_user_id=staff.pk)
    assert not SupportEvent.objects.filter(kind="transferred").exists()


def test_a_transfer_tells_the_new_owner_and_the_customer(
    customer, staff, other_staff, sent_events, model_work, django_capture_on_commit_callbacks
):
    conversation = make_claimed(customer, staff).conversation
    with django_capture_on_commit_callbacks(execute=True):
        services.do_transfer(user=staff, conversation=conversation, to_user_id=other_staff.pk)
    notice = next(e for group, e in sent_events if group == f"support.user.{other_staff.pk}")
    assert notice["detail"] == "Dana Scully passed you the conversation with Alice Example."
    system = [m.text for m in conversation.messages.filter(sender="system")]
    assert system[-1] == "Sam from support took over the conversation."


def test_resolving_closes_the_conversation_and_asks_the_customer_for_a_rating(
    customer, staff, sent_events, model_work, django_capture_on_commit_callbacks
):
    conversation = make_claimed(customer, staff).conversation
    with django_capture_on_commit_callbacks(execute=True):
        services.do_resolve(user=staff, conversation=conversation, outcome="solved")
    conversation.refresh_from_db()
    assert conversation.status == "closed"
    [request] = [e for group, e in sent_events if e["type"] == "chat.csat_request"]
    assert request == {
        "type": "chat.csat_request",
        "conversation": str(conversation.public_id),
        "staff_name": "Dana",
    }


def test_spam_is_resolved_without_asking_for_a_rating(
    customer, staff, sent_events, model_work, django_capture_on_commit_callbacks
):
    conversation = make_claimed(customer, staff).conversation
    with django_capture_on_commit_callbacks(execute=True):
        services.do_resolve(user=staff, conversation=conversation, outcome="spam")
    assert not [e for _, e in sent_events if e["type"] == "chat.csat_request"]


def test_resolving_twice_is_refused(customer, staff, sent_events, model_work):
    conversation = make_claimed(customer, staff).conversation
    services.do_resolve(user=staff, conversation=conversation, outcome="solved")
    with refused("conflict"):
        services.do_resolve(user=staff, conversation=conversation, outcome="solved")
    assert SupportEvent.objects.filter(kind="resolved").count() == 1


# --- The bot's silence ----------------------------------------------------------------------------


def test_the_bot_does_not_answer_while_waiting_for_staff(
    customer, sent_events, model_work, django_capture_on_commit_callbacks
):
    conversation = make_escalation(customer).conversation
    with django_capture_on_commit_callbacks(execute=True):
        conversation_services.do_receive_customer_message(
            conversation=conversation, client_id=uuid.uuid4(), text="hello?"
        )
    assert model_work == []


def test_with_staff_a_customer_message_gets_a_draft_instead_of_a_bot_reply(
    customer, staff, sent_events, model_work, django_capture_on_commit_callbacks
):
    conversation = make_claimed(customer, staff).conversation
    with django_capture_on_commit_callbacks(execute=True):
        received = conversation_services.do_receive_customer_message(
            conversation=conversation, client_id=uuid.uuid4(), text="are you there?"
        )
    assert model_work == [("draft", received.message.pk)]


def test_the_reply_task_leaves_an_escalated_conversation_alone(customer, monkeypatch, sent_events):
    scripted = ScriptedEngine()
    monkeypatch.setattr(engine, "get_engine", lambda: scripted)
    conversation = make_conversation(customer)
    question = make_message(conversation, "where is my order?")
    services.do_escalate(conversation=conversation, reason=Reason.CUSTOMER_BUTTON)
    assert replies.answer_customer_message(message_id=question.pk) is None
    assert scripted.calls == [] and not Message.objects.filter(sender="bot").exists()


class EscalatingEngine(ScriptedEngine):
    """Streams a reply while the customer presses "Talk to a person": after `escalate_after_words`
    words, or (None) once the whole reply is generated, just before it would be stored."""

    def __init__(self, conversation: Conversation, *, escalate_after_words: int | None) -> None:
        super().__init__(text="one two three four five six seven eight nine ten")
        self.conversation = conversation
        self.escalate_after_words = escalate_after_words
        self.deltas: list[str] = []

    def escalate(self) -> None:
        services.do_escalate(conversation=self.conversation, reason=Reason.CUSTOMER_BUTTON)

    def reply(self, turns, *, slots=None, on_delta=None):
        def delta(piece: str) -> None:
            self.deltas.append(piece)
            if len(self.deltas) == self.escalate_after_words:
                self.escalate()
            on_delta(piece)

        reply = super().reply(turns, slots=slots, on_delta=delta)
        if self.escalate_after_words is None:
            self.escalate()
        return reply


@pytest.mark.parametrize("escalate_after_words", [3, None], ids=["mid-stream", "before-storing"])
def test_a_reply_in_flight_when_staff_are_called_is_never_posted(
    customer, monkeypatch, sent_events, settings, escalate_after_words
):
    """Mid-stream the stream stops; after the last word the store refuses: no bot message either way."""
    monkeypatch.setattr(replies, "STILL_ANSWERING_CHECK_SECONDS", 0)
    settings.CHATBOT_STREAM_INTERVAL_MS = 0  # an event per word, so the count shows where it stopped
    conversation = make_conversation(customer)
    question = make_message(conversation, "where is my order?")
    scripted = EscalatingEngine(conversation, escalate_after_words=escalate_after_words)
    monkeypatch.setattr(engine, "get_engine", lambda: scripted)

    assert replies.answer_customer_message(message_id=question.pk) is None

    assert not Message.objects.filter(sender="bot").exists()
    tokens = [e for _, e in sent_events if e["type"] == "chat.token"]
    if escalate_after_words is not None:
        assert len(tokens) == escalate_after_words - 1  # nothing streamed once the escalation was seen
    assert not Message.objects.filter(sender="system", reply_to=question).exists()  # no "failed" notice
    typing = [e["is_typing"] for _, e in sent_events if e["type"] == "chat.typing"]
    assert typing[-1] is False


def test_after_a_hand_back_the_bot_answers_again(
    customer, staff, sent_events, model_work, django_capture_on_commit_callbacks
):
    conversation = make_claimed(customer, staff).conversation
    services.do_hand_back(user=staff, conversation=conversation)
    with django_capture_on_commit_callbacks(execute=True):
        received = conversation_services.do_receive_customer_message(
            conversation=conversation, client_id=uuid.uuid4(), text="ok, one more thing"
        )
    assert model_work[-1] == ("reply", received.message.pk)
    escalation = Escalation.objects.get()
    assert (escalation.outcome, escalation.ended is not None) == ("handed_back", True)
    assert (
        conversation.messages.filter(sender="system").last().text
        == "You are chatting with our assistant again."
    )
