"""What customers and staff write in the support flow is stored masked like chat messages
(CHATBOT_REDACT_TRANSCRIPTS, docs/privacy.md): the contact form's message, the CSAT comment, staff
messages and internal notes."""

import uuid

import pytest

from chatbot.support import services, staff_services
from chatbot.support.models import CsatRating, Escalation
from tests.chatbot.support.factories import make_claimed, make_escalation

pytestmark = pytest.mark.django_db

CARD = "4111 1111 1111 1111"


def test_the_contact_message_is_stored_masked(customer):
    escalation = make_escalation(customer)
    services.do_leave_contact(
        customer=customer, email="a@b.example", message=f"my card {CARD} was charged twice"
    )
    assert Escalation.objects.get(pk=escalation.pk).contact_message == "my card [card] was charged twice"


def test_the_csat_comment_is_stored_masked(customer, staff):
    escalation = make_claimed(customer, staff)
    services.do_resolve(user=staff, conversation=escalation.conversation, outcome=Escalation.Outcome.SOLVED)
    services.do_rate_conversation(
        customer=customer,
        conversation_id=escalation.conversation.public_id,
        rating=5,
        comment="Dana fixed it, mail me at jo@example.com",
    )
    assert CsatRating.objects.get().comment == "Dana fixed it, mail me at [email]"


def test_staff_messages_and_notes_are_stored_masked(customer, staff):
    conversation = make_claimed(customer, staff).conversation
    message = staff_services.do_send_staff_message(
        user=staff, conversation=conversation, client_id=uuid.uuid4(), text=f"Is {CARD} your card?"
    )
    note = staff_services.do_add_note(user=staff, conversation=conversation, text=f"customer card {CARD}")
    message.refresh_from_db()
    note.refresh_from_db()
    assert (message.text, note.text) == ("Is [card] your card?", "customer card [card]")


def test_with_masking_off_they_are_kept_as_written(customer, staff, settings):
    settings.CHATBOT_REDACT_TRANSCRIPTS = ()
    conversation = make_claimed(customer, staff).conversation
    note = staff_services.do_add_note(user=staff, conversation=conversation, text=f"customer card {CARD}")
    note.refresh_from_db()
    assert note.text == f"customer card {CARD}"
