"""Small factories for the support tests: staff members, conversations in each state, staff sockets."""

import uuid

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from chatbot.asgi import application
from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.support import services
from chatbot.support.models import Escalation
from chatbot.support.staff_group import ensure_staff_group

User = get_user_model()
PASSWORD = "correct-horse-battery-staple"


def staff_group() -> Group:
    """The group migration 0002 made (re-made here: transactional tests empty the database)."""
    return ensure_staff_group(group_model=Group, permission_model=Permission)


def make_staff(username: str, *, first_name: str = "", last_name: str = "", **fields) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, first_name=first_name, last_name=last_name, **fields
    )
    user.groups.add(staff_group())
    return user


def make_conversation(customer: Customer, **fields) -> Conversation:
    return Conversation.objects.create(customer=customer, **fields)


def make_message(conversation: Conversation, text: str = "hello", **fields) -> Message:
    fields.setdefault("sender", Message.Sender.CUSTOMER)
    if fields["sender"] == Message.Sender.CUSTOMER:
        fields.setdefault("client_id", uuid.uuid4())
    return Message.objects.create(conversation=conversation, text=text, **fields)


def make_escalation(
    customer: Customer, *, reason: str = Escalation.Reason.CUSTOMER_BUTTON, text: str = ""
) -> Escalation:
    """A conversation waiting for staff (through the real service), optionally with a first message."""
    conversation = make_conversation(customer)
    message = make_message(conversation, text) if text else None
    return services.do_escalate(conversation=conversation, reason=reason, trigger_message=message)


def make_claimed(customer: Customer, staff: User, **kwargs) -> Escalation:
    escalation = make_escalation(customer, **kwargs)
    return services.do_claim(user=staff, conversation=escalation.conversation)


def session_cookie(user: User) -> tuple[bytes, bytes]:
    client = Client()
    client.force_login(user)
    return (
        b"cookie",
        f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode(),
    )


async def staff_socket(user: User | None, *, origin: bytes = b"http://localhost") -> WebsocketCommunicator:
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if user is not None:
        headers.append(await database_sync_to_async(session_cookie)(user))
    return WebsocketCommunicator(application, "/ws/support/", headers=headers)
