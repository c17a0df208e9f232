"""Retention: conversations without activity for CHATBOT_RETENTION_DAYS are deleted or anonymised, and
customers that old with no conversation left are deleted.

Run daily by Celery beat in distributed mode (tasks.py), and by `manage.py apply_retention` (cron in the
embedded mode, or by hand with --dry-run to see what it would do). A conversation's age is its last
activity (`updated`), so a long conversation still going on is never cut.

* delete: the conversation and every row that exists because of it (selectors.dependent_rows) go.
* anonymise: the numbers stay for analytics (times, senders, intents, confidences, votes, ratings,
  escalation reasons), the words and the link to the customer go: KEPT_WITHOUT_WORDS lists the tables
  kept and the text fields emptied; rows of every other table under the conversation are deleted (their
  text is not known to be free of personal data). The conversation moves to a blank customer of its
  own and is closed, and an AnonymisedConversation row marks it done.

Each batch of conversations is its own transaction, so a run stopped half-way has finished batches.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from chatbot.audit.services import record
from chatbot.conversations.models import Conversation, Customer, Message
from chatbot.privacy import selectors, services
from chatbot.privacy.models import AnonymisedConversation

DELETE = "delete"
ANONYMISE = "anonymise"
BATCH_SIZE = 200

# Anonymising keeps these tables' rows and empties these fields (everything a person wrote or that
# names one). The other fields of these tables hold no words: ids, times, codes, numbers.
KEPT_WITHOUT_WORDS: dict[str, tuple[str, ...]] = {
    "conversations.conversation": (),
    "conversations.message": ("text",),
    "support.escalation": ("detail", "contact_email", "contact_message"),
    "support.supportevent": (),
    "support.suggestedreply": ("text",),
    "support.csatrating": ("comment",),
    "review.annotation": ("corrected_reply",),
    "privacy.anonymisedconversation": (),
}


@dataclass
class RetentionReport:
    days: int
    action: str
    dry_run: bool
    cutoff: datetime | None = None
    conversations: int = 0  # deleted or anonymised (or that would be, in a dry run)
    messages: int = 0  # in those conversations
    customers: int = 0  # idle customers deleted
    rows: dict[str, int] = field(default_factory=dict)  # rows deleted per table (not in a dry run)

    @property
    def summary(self) -> str:
        if self.cutoff is None:
            return "Retention is off (CHATBOT_RETENTION_DAYS=0): nothing is deleted."
        verb = {DELETE: "deleted", ANONYMISE: "anonymised"}[self.action]
        would = "would be " if self.dry_run else ""
        return (
            f"{self.conversations} conversations ({self.messages} messages) without activity since "
            f"{self.cutoff:%Y-%m-%d %H:%M} UTC ({self.days} days) {would}{verb}; "
            f"{self.customers} idle customers {would}deleted."
        )


def apply_retention(
    *, days: int | None = None, action: str | None = None, dry_run: bool = False, now: datetime | None = None
) -> RetentionReport:
    """Apply the retention policy (the settings, unless given) and report what it did or would do.
    Records an audit entry when it removed anything."""
    days = settings.CHATBOT_RETENTION_DAYS if days is None else days
    action = settings.CHATBOT_RETENTION_ACTION if action is None else action
    if action not in (DELETE, ANONYMISE):
        raise ValueError(f"The retention action is {DELETE} or {ANONYMISE}, not {action!r}.")
    report = RetentionReport(days=days, action=action, dry_run=dry_run)
    if days == 0:
        return report
    report.cutoff = (now or timezone.now()) - timedelta(days=days)
    if dry_run:
        return _preview(report)

    deleted: Counter[str] = Counter()
    while batch := _next_batch(report, deleted):
        report.conversations += batch
    while customers := _delete_idle_customers(report.cutoff, deleted):
        report.customers += customers
    report.rows = dict(deleted)
    if report.conversations or report.customers:
        record(
            actor=None,
            action="privacy.apply_retention",
            summary=report.summary,
            details={
                "days": days,
                "action": action,
                "cutoff": report.cutoff,
                "conversations": report.conversations,
                "customers": report.customers,
                "deleted": report.rows,
            },
        )
    return report


def _preview(report: RetentionReport) -> RetentionReport:
    expired = selectors.expired_conversations(
        cutoff=report.cutoff, include_anonymised=report.action == DELETE
    )
    report.conversations = expired.count()
    report.messages = Message.objects.filter(conversation__in=expired).count()
    # Customers with nothing left afterwards: no conversation that stays.
    staying = Conversation.objects.exclude(pk__in=expired.values("pk"))
    report.customers = (
        Customer.objects.filter(created__lt=report.cutoff).exclude(conversations__in=staying).count()
    )
    return report


def _next_batch(report: RetentionReport, deleted: Counter[str]) -> int:
    """Delete or anonymise the next batch of expired conversations; how many (0: none left)."""
    with transaction.atomic():
        # Locked and re-read inside the transaction: a conversation a customer just wrote to is spared.
        expired = selectors.expired_conversations(
            cutoff=report.cutoff, include_anonymised=report.action == DELETE
        ).select_for_update(of=("self",))
        conversations = list(expired[:BATCH_SIZE])
        if not conversations:
            return 0
        if report.action == DELETE:
            services.delete_admin_log_entries(selectors.dependent_rows(conversations))
            per_table = services.delete_rows(
                Conversation, [conversation.pk for conversation in conversations]
            )
            report.messages += per_table.get("conversations.message", 0)
            deleted.update(per_table)
        else:
            for conversation in conversations:
                report.messages += _anonymise(conversation, deleted)
    return len(conversations)


def _anonymise(conversation: Conversation, deleted: Counter[str]) -> int:
    """Anonymise one conversation (see the module docstring); returns how many messages it has."""
    rows = selectors.dependent_rows([conversation])
    services.delete_admin_log_entries(rows)
    for model, instances in rows.items():
        label = model._meta.label_lower
        pks = [instance.pk for instance in instances]
        if label not in KEPT_WITHOUT_WORDS:
            deleted.update(services.delete_rows(model, pks))
        elif KEPT_WITHOUT_WORDS[label]:
            _empty(model, pks, KEPT_WITHOUT_WORDS[label])
    holder = Customer.objects.create(created=conversation.created)
    Conversation.objects.filter(pk=conversation.pk).update(customer=holder, status=Conversation.Status.CLOSED)
    conversation.escalations.filter(ended__isnull=True).update(ended=timezone.now())
    AnonymisedConversation.objects.create(conversation=conversation)
    return len(rows.get(Message, []))


def _empty(model: type[Model], pks: list[int], fields: tuple[str, ...]) -> None:
    for start in range(0, len(pks), 500):
        model.objects.filter(pk__in=pks[start : start + 500]).update(**dict.fromkeys(fields, ""))


def _delete_idle_customers(cutoff: datetime, deleted: Counter[str]) -> int:
    with transaction.atomic():
        customers = list(selectors.idle_customers(cutoff=cutoff)[:BATCH_SIZE])
        if not customers:
            return 0
        services.delete_admin_log_entries(selectors.dependent_rows(customers))
        deleted.update(services.delete_rows(Customer, [customer.pk for customer in customers]))
    return len(customers)
