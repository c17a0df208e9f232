"""Writing the audit log. `record` is the only writer: callers describe what they did, it stores it."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from chatbot.audit.models import AuditLogEntry


class AuditError(ValueError):
    """An entry that would not say what happened."""


def record(
    *,
    actor: AbstractBaseUser | AnonymousUser | None,
    action: str,
    summary: str = "",
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Store one entry now and return it.

    `actor` is the signed-in user (None or anonymous: a command run from a shell). `details` must be
    JSON-serialisable (dates, UUIDs and decimals are fine): filters, counts, ids. Call it inside the same
    transaction as the operation when there is one, so an operation that is rolled back leaves no entry,
    and before a streamed response starts, so an export cut off half-way is still on record.
    """
    action = action.strip()
    if not action:
        raise AuditError("An audit entry needs an action.")
    user = actor if actor is not None and actor.is_authenticated else None
    return AuditLogEntry.objects.create(
        actor=user,
        actor_name=user.get_username() if user is not None else "",
        action=action,
        summary=summary[: AuditLogEntry._meta.get_field("summary").max_length],
        details=details or {},
    )
