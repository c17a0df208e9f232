"""A customer with a row in every table that can hold data about them, and helpers that look at every
table of the database (found by walking the models, so tables added later are checked too)."""

import uuid
from dataclasses import dataclass

from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.core import serializers
from django.db.models import Model

from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.support.models import CsatRating, Escalation, InternalNote, SuggestedReply, SupportEvent


@dataclass
class Persona:
    customer: Customer
    # Words only this customer's data contains: none may be left anywhere after an erasure.
    secrets: tuple[str, ...]


def make_persona(name: str, *, staff: object, with_account: bool = False) -> Persona:
    """A customer with two conversations, every kind of message, an escalation with its events, a note,
    a suggested reply, a rating, an annotation (when the review app is installed) and an admin log entry."""
    slug = name.split()[0].lower()
    secret = f"{slug}-secret-{uuid.uuid4().hex[:6]}"
    email = f"{slug}@example.com"
    account = None
    if with_account:
        account = get_user_model().objects.create_user(f"{slug}-login", email=email, password=None)
    customer = Customer.objects.create(name=name, email=email, user=account)

    done = Conversation.objects.create(customer=customer, status=Conversation.Status.CLOSED)
    asked = Message.objects.create(
        conversation=done, sender="customer", text=f"my parcel {secret} is late", client_id=uuid.uuid4()
    )
    answer = Message.objects.create(
        conversation=done, sender="bot", text=f"Sorry {name}", reply_to=asked, intent="track_order"
    )
    Message.objects.create(conversation=done, sender="system", text="Dana joined", reply_to=asked)
    Message.objects.create(conversation=done, sender="staff", text=f"Hello {name}", author=staff)
    escalation = Escalation.objects.create(
        conversation=done,
        reason=Escalation.Reason.CUSTOMER_REQUEST,
        detail=f"Asked in words: “{secret}”",
        trigger_message=asked,
        assignee=staff,
        contact_email=email,
        contact_message=f"call me about {secret}",
    )
    SupportEvent.objects.create(
        escalation=escalation, conversation=done, kind="escalated", reason="customer_request"
    )
    SupportEvent.objects.create(escalation=escalation, conversation=done, kind="claimed", actor=staff)
    InternalNote.objects.create(
        conversation=done, escalation=escalation, author=staff, text=f"{name} is {secret}"
    )
    SuggestedReply.objects.create(escalation=escalation, message=asked, text=f"Dear {name}, about {secret}")
    CsatRating.objects.create(conversation=done, escalation=escalation, rating=4, comment=f"thanks {secret}")
    if apps.is_installed("chatbot.review"):
        apps.get_model("review", "Annotation").objects.create(
            message=answer, verdict="bad", corrected_reply=f"Dear {name}, {secret}"
        )

    still_open = Conversation.objects.create(customer=customer)
    Message.objects.create(conversation=still_open, sender="customer", text=f"hello again, {secret}")

    LogEntry.objects.log_actions(
        user_id=staff.pk, queryset=[customer], action_flag=CHANGE, change_message="Changed email."
    )
    return Persona(customer=customer, secrets=(name, email, secret))


def _foreign_keys() -> list[tuple[type[Model], object]]:
    """(model, field) for every foreign key or one-to-one field of every table."""
    return [
        (model, field)
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy
        for field in model._meta.concrete_fields
        if field.is_relation and (field.many_to_one or field.one_to_one)
    ]


def rows_about(customer: Customer) -> dict[str, set]:
    """Every row that references the customer, directly or through rows that do, along every foreign
    key in the database whatever its on_delete (a walk of its own, independent of the app's)."""
    found: dict[type[Model], set] = {Customer: {customer.pk}}
    changed = True
    while changed:
        changed = False
        for model, field in _foreign_keys():
            targets = found.get(field.related_model._meta.concrete_model)
            if not targets or model is Customer:
                continue
            pks = set(
                model._base_manager.filter(**{f"{field.name}__in": targets}).values_list("pk", flat=True)
            )
            if not pks <= found.get(model, set()):
                found[model] = found.get(model, set()) | pks
                changed = True
    return {model._meta.label_lower: pks for model, pks in found.items() if pks}


def rows_referencing(ids: dict[str, set]) -> dict[str, int]:
    """How many rows of any table still point at one of these rows (label -> ids), by table and field."""
    left = {}
    for model, field in _foreign_keys():
        targets = ids.get(field.related_model._meta.concrete_model._meta.label_lower)
        if targets:
            count = model._base_manager.filter(**{f"{field.name}__in": targets}).count()
            if count:
                left[f"{model._meta.label_lower}.{field.name}"] = count
    return left


def rows_existing(ids: dict[str, set]) -> dict[str, int]:
    """How many of these rows still exist, by table."""
    left = {}
    for label, pks in ids.items():
        count = apps.get_model(label)._base_manager.filter(pk__in=pks).count()
        if count:
            left[label] = count
    return left


def database_text(*, exclude: set[str] = frozenset()) -> str:
    """Every row of every table (but those in `exclude`, "app.model"), serialised: what a search for a
    leftover name or word goes through."""
    return "\n".join(
        serializers.serialize("json", model._base_manager.all())
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed and model._meta.label_lower not in exclude
    )
