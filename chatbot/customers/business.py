"""The business profile in effect: the environment's values (chatbot/settings.py) overridden by what an admin
set in BusinessProfile. `business_profile()` is the one place that merges them; it reads the row on every
call, so an admin's change applies to the next reply in every process.
"""

from dataclasses import dataclass

from django.conf import settings

from chatbot.customers.models import BusinessProfile

# BusinessProfile field -> the Django setting (from the environment) it overrides.
OVERRIDABLE = {
    "company_name": "CHATBOT_COMPANY_NAME",
    "website_url": "CHATBOT_COMPANY_WEBSITE",
    "support_phone": "CHATBOT_SUPPORT_PHONE",
    "support_email": "CHATBOT_SUPPORT_EMAIL",
    "support_hours": "CHATBOT_SUPPORT_HOURS",
}


@dataclass(frozen=True)
class Business:
    company_name: str
    website_url: str
    support_phone: str
    support_email: str
    support_hours: str

    def slots(self) -> dict[str, str]:
        """Values for the model's {{placeholders}}, named as in the training data (inference/placeholders.py
        maps the other spellings onto these)."""
        return {
            "Company Name": self.company_name,
            "Website Name": self.company_name,
            "Website URL": self.website_url,
            "Customer Support Phone Number": self.support_phone,
            "Customer Support Email": self.support_email,
            "Customer Support Hours": self.support_hours,
        }


def business_profile() -> Business:
    """The effective profile: each field the admin filled in, else the environment's value."""
    row = BusinessProfile.objects.filter(pk=1).first()
    values = {}
    for field, setting in OVERRIDABLE.items():
        value = getattr(row, field, "").strip() if row is not None else ""
        values[field] = value or getattr(settings, setting)
    return Business(**values)
