"""The escalation settings in effect: the environment's values (chatbot/settings.py) overridden by what an
admin set in SupportSettings. `support_config()` is the one place that merges them; it reads the row on
every call, so an admin's change applies to the next message in every process.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from chatbot.support.models import SupportSettings
from chatbot.support.schedule import WeeklySchedule, parse_schedule, parse_timezone

# SupportSettings field -> the Django setting (from the environment) it overrides.
OVERRIDABLE = {
    "escalate_on_request": "CHATBOT_ESCALATE_ON_REQUEST",
    "escalate_on_complaint": "CHATBOT_ESCALATE_ON_COMPLAINT",
    "escalate_on_low_confidence": "CHATBOT_ESCALATE_ON_LOW_CONFIDENCE",
    "escalate_on_repetition": "CHATBOT_ESCALATE_ON_REPETITION",
    "low_confidence_threshold": "CHATBOT_LOW_CONFIDENCE_THRESHOLD",
    "low_confidence_replies": "CHATBOT_LOW_CONFIDENCE_REPLIES",
    "intent_probability": "CHATBOT_ESCALATION_INTENT_PROBABILITY",
    "repetition_similarity": "CHATBOT_REPETITION_SIMILARITY",
    "timezone": "CHATBOT_SUPPORT_TIMEZONE",
    "schedule": "CHATBOT_SUPPORT_SCHEDULE",
}


@dataclass(frozen=True)
class SupportConfig:
    escalate_on_request: bool
    escalate_on_complaint: bool
    escalate_on_low_confidence: bool
    escalate_on_repetition: bool
    low_confidence_threshold: float
    low_confidence_replies: int
    intent_probability: float
    repetition_similarity: float
    timezone: ZoneInfo
    schedule: WeeklySchedule

    def within_hours(self, at: datetime | None = None) -> bool:
        return self.schedule.is_open((at or timezone.now()).astimezone(self.timezone))

    def hours_text(self) -> str:
        """For customers: "Mon–Fri 09:00–17:00 (Europe/Berlin time)"."""
        return f"{self.schedule.describe()} ({self.timezone.key} time)"


def support_config() -> SupportConfig:
    """The effective settings: each admin override that is set, else the environment's value."""
    overrides = SupportSettings.objects.filter(pk=1).first()
    values = {}
    for field, setting in OVERRIDABLE.items():
        value = getattr(overrides, field, None) if overrides is not None else None
        values[field] = getattr(settings, setting) if value is None or value == "" else value
    # The environment's values were validated at start-up, the admin's by the model's validators.
    values["timezone"] = parse_timezone(values["timezone"])
    values["schedule"] = parse_schedule(values["schedule"])
    return SupportConfig(**values)
