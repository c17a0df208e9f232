"""Read-only queries of the privacy app: whose data, which rows, what retention has expired."""

import uuid
from datetime import datetime

from django.db import router
from django.db.models import Model, Q, QuerySet
from django.db.models.deletion import Collector

from chatbot.conversations.models import Conversation, Customer


class UnknownSubject(LookupError):
    """No customer matches what identifies the data subject."""


def find_customers(identifier: str) -> list[Customer]:
    """The customers a subject-rights request names: one public id (the admin shows it), or an e-mail
    address, which matches every customer with that address or linked to an account with it (one person
    can have several customer rows: one per browser). Raises UnknownSubject when none match."""
    identifier = identifier.strip()
    try:
        public_id = uuid.UUID(identifier)
    except ValueError:
        public_id = None
    if public_id is not None:
        found = Customer.objects.filter(public_id=public_id)
    elif "@" in identifier:
        found = Customer.objects.filter(Q(email__iexact=identifier) | Q(user__email__iexact=identifier))
    else:
        raise UnknownSubject(f"{identifier!r} is neither a customer id (a UUID) nor an e-mail address.")
    customers = list(found.select_related("user").order_by("created", "id"))
    if not customers:
        raise UnknownSubject(f"No customer matches {identifier!r}.")
    return customers


class _EveryRow(Collector):
    """Django's deletion collector, made to fetch every row it would delete instead of deleting some in
    bulk unseen: what "everything stored about" objects means, by the same rules as deleting them."""

    def can_fast_delete(self, *args, **kwargs) -> bool:
        return False


def dependent_rows(objects: list[Model]) -> dict[type[Model], list[Model]]:
    """Every row that exists because of `objects` (the objects included), by model: the rows that
    reference them with on_delete=CASCADE, and so on down. Rows that would only lose a reference
    (SET_NULL) are not theirs. Raises ProtectedError or RestrictedError where deleting is refused."""
    if not objects:
        return {}
    collector = _EveryRow(using=router.db_for_write(type(objects[0])))
    collector.collect(objects)
    return {model: sorted(rows, key=lambda row: row.pk) for model, rows in collector.data.items() if rows}


def expired_conversations(*, cutoff: datetime, include_anonymised: bool) -> QuerySet[Conversation]:
    """Conversations without activity since `cutoff`, oldest first."""
    expired = Conversation.objects.filter(updated__lt=cutoff)
    if not include_anonymised:
        expired = expired.filter(anonymised__isnull=True)
    return expired.order_by("updated", "id")


def idle_customers(*, cutoff: datetime) -> QuerySet[Customer]:
    """Customers created before `cutoff` with no conversation (left): nothing keeps their profile."""
    return Customer.objects.filter(created__lt=cutoff, conversations__isnull=True).order_by("id")
