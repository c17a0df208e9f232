"""Subject rights: export everything stored about customers, and erase them. Both audit-logged.

Called by the admin actions (admin.py) and the management commands `export_customer_data` and
`erase_customer`; `actor` is the signed-in user, None for a command run from a shell.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from chatbot.audit.services import record
from chatbot.conversations.models import Customer, Message
from chatbot.privacy import export, live_text, selectors

Actor = AbstractBaseUser | AnonymousUser | None


@dataclass(frozen=True)
class Erasure:
    customers: list[str]  # public ids
    deleted: dict[str, int]  # rows per table ("conversations.message")
    accounts: int  # logins deleted with them


def do_export_customers(*, customers: list[Customer], actor: Actor) -> dict[str, Any]:
    """The export document (export.py) of `customers`; the audit log records who took it and how much."""
    document = export.customer_document(customers, exported=timezone.now())
    counts = export.row_counts(document)
    record(
        actor=actor,
        action="privacy.export_customer_data",
        summary=f"Exported everything stored about {_customers(len(customers))} "
        f"({counts.get('conversations.message', 0)} messages)",
        details={"customers": [str(customer.public_id) for customer in customers], "rows": counts},
    )
    return document


def do_erase_customers(*, customers: list[Customer], actor: Actor) -> Erasure:
    """Delete `customers` and every row that exists because of them, in one transaction with its audit
    entry: all of it happens, or none. Their login goes too when it is a customer's own (not a staff
    account, and no other customer row uses it). The admin's history of those rows goes with them (its
    entries name the objects). Raises ProtectedError if a table refuses the deletion."""
    if not customers:
        raise ValueError("Nothing to erase: no customers given.")
    with transaction.atomic():
        rows = selectors.dependent_rows(customers)
        accounts = _own_accounts(customers)
        delete_admin_log_entries(rows)
        delete_admin_log_entries(selectors.dependent_rows(accounts))
        message_ids = [message.pk for message in rows.get(Message, [])]
        deleted = Counter(delete_rows(Customer, [customer.pk for customer in customers]))
        deleted.update(delete_rows(get_user_model(), [account.pk for account in accounts]))
        public_ids = [str(customer.public_id) for customer in customers]
        record(
            actor=actor,
            action="privacy.erase_customer_data",
            summary=f"Erased {_customers(len(customers))}: {deleted['conversations.conversation']} "
            f"conversations, {deleted['conversations.message']} messages",
            details={"customers": public_ids, "deleted": dict(deleted), "accounts_deleted": len(accounts)},
        )
        transaction.on_commit(lambda: live_text.forget_typed_text(message_ids=message_ids))
    return Erasure(customers=public_ids, deleted=dict(deleted), accounts=len(accounts))


def delete_admin_log_entries(rows: dict[type[Model], list[Model]]) -> None:
    """The admin's "recent actions" about these rows: each names its object ("Alice Example")."""
    for model, instances in rows.items():
        content_type = ContentType.objects.get_for_model(model)
        object_ids = [str(instance.pk) for instance in instances]
        for start in range(0, len(object_ids), 500):
            LogEntry.objects.filter(
                content_type=content_type, object_id__in=object_ids[start : start + 500]
            ).delete()


def _own_accounts(customers: list[Customer]) -> list[Any]:
    erased = {customer.pk for customer in customers}
    accounts = {customer.user for customer in customers if customer.user is not None}
    return [
        account
        for account in sorted(accounts, key=lambda account: account.pk)
        if not (account.is_staff or account.is_superuser)
        and not account.chat_customers.exclude(pk__in=erased).exists()
    ]


def delete_rows(model: type[Model], pks: list[Any]) -> dict[str, int]:
    """Delete the rows and everything that cascades from them; rows deleted per table."""
    if not pks:
        return {}
    _, per_model = model.objects.filter(pk__in=pks).delete()
    return {label.lower(): count for label, count in per_model.items() if count}


def _customers(count: int) -> str:
    return f"{count} customer{'s' if count != 1 else ''}"
