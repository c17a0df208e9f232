"""Markup typed by a customer is escaped on every admin page that shows it (docs/resilience.md).

The admin is server-rendered by Django's templates: text reaches the page escaped unless code marks it
safe. These pages put customer text in lists, read-only fields and the review's transcript; each must
carry the escaped form and never the raw tag.
"""

import html
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.support.models import Escalation

pytestmark = pytest.mark.django_db

HOSTILE = "<img src=x onerror=alert('img')><script>alert('script')</script>"


@pytest.fixture
def admin_client(db) -> Client:
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "correct-horse-battery")
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def hostile_conversation(db) -> Conversation:
    customer = Customer.objects.create(name=HOSTILE, email="mallory@example.com")
    conversation = Conversation.objects.create(
        customer=customer, status=Conversation.Status.WAITING_FOR_STAFF
    )
    message = Message.objects.create(
        conversation=conversation, sender=Message.Sender.CUSTOMER, text=HOSTILE, client_id=uuid.uuid4()
    )
    Message.objects.create(
        conversation=conversation, sender=Message.Sender.BOT, text=HOSTILE, reply_to=message
    )
    Escalation.objects.create(
        conversation=conversation,
        reason=Escalation.Reason.CUSTOMER_BUTTON,
        priority=Escalation.Priority.NORMAL,
        contact_email="mallory@example.com",
        contact_message=HOSTILE,
    )
    return conversation


def admin_pages(conversation: Conversation) -> list[str]:
    """Pages that show the customer's name, a message or the contact note."""
    message = conversation.messages.first()
    escalation = conversation.escalations.get()
    return [
        "/admin/conversations/message/",
        f"/admin/conversations/message/{message.pk}/change/",
        "/admin/conversations/conversation/",
        f"/admin/conversations/conversation/{conversation.pk}/change/",
        "/admin/conversations/customer/",
        f"/admin/conversations/customer/{conversation.customer.pk}/change/",
        f"/admin/support/escalation/{escalation.pk}/change/",
    ]


def test_customer_markup_is_escaped_on_every_admin_page_that_shows_it(admin_client, hostile_conversation):
    escaped = html.escape(HOSTILE)
    for url in admin_pages(hostile_conversation):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert "<img src=x" not in page and "<script>alert" not in page, f"raw markup on {url}"
        assert escaped in page, f"the text is not on {url}"
