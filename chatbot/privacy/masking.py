"""Which personal data stored transcripts keep: the CHATBOT_REDACT_TRANSCRIPTS policy, and the shop's own
contact details, which are never masked (the bot's replies quote them; they belong to nobody).

Called where messages are stored (chatbot.conversations.services). Training exports call
`redaction.redact_for_training(text, keep=public_contact_details())`, which masks whatever the policy.
"""

from django.conf import settings

from chatbot.customers.business import business_profile
from chatbot.privacy import redaction


def public_contact_details() -> list[str]:
    """The business's support phone number and e-mail address: the admin's business profile, else the
    settings (chatbot.customers.business)."""
    business = business_profile()
    return [business.support_phone, business.support_email]


def mask_for_storage(text: str) -> str:
    """`text` as a transcript may keep it: the kinds in CHATBOT_REDACT_TRANSCRIPTS replaced by markers."""
    kinds = settings.CHATBOT_REDACT_TRANSCRIPTS
    if not kinds:
        return text
    return redaction.redact(text, kinds=kinds, keep=public_contact_details())
