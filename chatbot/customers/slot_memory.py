"""Slot memory: the order numbers, invoice numbers and e-mail addresses a customer gave, remembered per
conversation (and so per customer) to fill the placeholders of later replies.

`do_remember_slots` runs where a customer message is stored (chatbot.conversations.services), with the
text as typed: the stored text may be masked (docs/privacy.md). A value is remembered only if the transcript
policy keeps it, so memory never holds what CHATBOT_REDACT_TRANSCRIPTS masks in the messages themselves
(with e-mail addresses masked, none is remembered; order and invoice numbers are no personal data the
redaction knows and are kept). Remembered rows belong to their conversation: retention and erasure remove
them with it, the subject-rights export lists them.
"""

from dataclasses import dataclass

from django.utils import timezone

from chatbot.conversations.models import Conversation
from chatbot.customers.models import RememberedSlot
from chatbot.privacy import masking
from inference.placeholders import extract_entities

# The placeholder each remembered slot fills (inference/placeholders.py maps the other spellings).
SLOT_NAMES = {
    "order_number": "Order Number",
    "invoice_number": "Invoice Number",
    "customer_email": "Customer Email",
}


@dataclass(frozen=True)
class CustomerTurn:
    """A customer message as inference.placeholders.extract_entities reads it."""

    text: str
    role: str = "customer"


def do_remember_slots(*, conversation: Conversation, typed_text: str) -> dict[str, str]:
    """Remember the slot values in a customer message (the newest replaces an earlier one of the same slot);
    returns what was remembered. Call inside the transaction that stores the message: an upsert, so two
    messages of one conversation stored at once cannot make it fail."""
    found = {
        slot: value
        for slot, value in extract_entities([CustomerTurn(typed_text)]).items()
        if slot in SLOT_NAMES and masking.mask_for_storage(value) == value
    }
    if found:
        now = timezone.now()
        RememberedSlot.objects.bulk_create(
            [
                RememberedSlot(conversation=conversation, slot=slot, value=value, updated=now)
                for slot, value in found.items()
            ],
            update_conflicts=True,
            unique_fields=["conversation", "slot"],
            update_fields=["value", "updated"],
        )
    return found


def remembered_slots(*, conversation: Conversation) -> dict[str, str]:
    """Placeholder values for a reply in `conversation`: what the customer gave in it, else what they gave
    most recently in one of their other conversations."""
    rows = (
        RememberedSlot.objects.filter(conversation__customer_id=conversation.customer_id)
        .order_by("updated", "id")
        .values_list("conversation_id", "slot", "value")
    )
    earlier: dict[str, str] = {}
    here: dict[str, str] = {}
    for conversation_id, slot, value in rows:
        (here if conversation_id == conversation.pk else earlier)[SLOT_NAMES.get(slot, slot)] = value
    return {**earlier, **here}
