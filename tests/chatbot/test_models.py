"""Database rules that hold on SQLite and PostgreSQL alike."""

import uuid

import pytest
from django.db import IntegrityError, transaction

from chatbot.conversations.models import Conversation, Message, ModelVersion
from chatbot.conversations.services import do_activate_model_version, do_open_conversation

pytestmark = pytest.mark.django_db


def make_conversation(customer, **fields) -> Conversation:
    return Conversation.objects.create(customer=customer, **fields)


def make_message(conversation, **fields) -> Message:
    fields.setdefault("sender", Message.Sender.CUSTOMER)
    fields.setdefault("text", "hello")
    return Message.objects.create(conversation=conversation, **fields)


def test_a_client_id_is_unique_within_a_conversation(customer):
    conversation = make_conversation(customer)
    client_id = uuid.uuid4()
    make_message(conversation, client_id=client_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_message(conversation, client_id=client_id)


def test_the_same_client_id_may_appear_in_different_conversations(customer, other_customer):
    client_id = uuid.uuid4()
    make_message(make_conversation(customer), client_id=client_id)
    make_message(make_conversation(other_customer), client_id=client_id)
    assert Message.objects.filter(client_id=client_id).count() == 2


def test_messages_without_client_id_are_not_constrained(customer):
    conversation = make_conversation(customer)
    make_message(conversation, sender=Message.Sender.SYSTEM)
    make_message(conversation, sender=Message.Sender.SYSTEM)
    assert conversation.messages.count() == 2


def test_a_message_gets_at_most_one_bot_reply(customer):
    conversation = make_conversation(customer)
    question = make_message(conversation, client_id=uuid.uuid4())
    make_message(conversation, sender=Message.Sender.BOT, reply_to=question)
    make_message(conversation, sender=Message.Sender.SYSTEM, reply_to=question)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_message(conversation, sender=Message.Sender.BOT, reply_to=question)


def test_confidence_must_lie_between_0_and_1(customer):
    conversation = make_conversation(customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_message(conversation, sender=Message.Sender.BOT, confidence=1.5)


def test_a_customer_has_at_most_one_open_conversation(customer):
    make_conversation(customer, status=Conversation.Status.CLOSED)
    make_conversation(customer, status=Conversation.Status.CLOSED)
    make_conversation(customer)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_conversation(customer, status=Conversation.Status.WAITING_FOR_STAFF)


def test_opening_a_conversation_reuses_the_open_one(customer):
    make_conversation(customer, status=Conversation.Status.CLOSED)
    first = do_open_conversation(customer=customer)
    assert do_open_conversation(customer=customer) == first
    assert first.status == Conversation.Status.BOT


def test_one_model_version_is_active_at_a_time():
    old = ModelVersion.objects.create(
        name="20260101-000000-small", path="20260101-000000-small", is_active=True
    )
    new = ModelVersion.objects.create(name="20260102-000000-small", path="20260102-000000-small")
    do_activate_model_version(version=new)
    assert list(ModelVersion.objects.filter(is_active=True)) == [new]
    old.refresh_from_db()
    assert old.is_active is False
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.filter(pk=old.pk).update(is_active=True)
