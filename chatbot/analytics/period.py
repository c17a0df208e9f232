"""The period the analytics page shows: whole days from a first to a last day, in the support team's
timezone (CHATBOT_SUPPORT_TIMEZONE or the admin's override), so "a day" is the team's day."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms

from chatbot.analytics.formatting import long_date

DEFAULT_DAYS = 30
MAX_DAYS = 366
PRESET_DAYS = (7, 30, 90)


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date
    timezone: ZoneInfo

    @property
    def start(self) -> datetime:
        """The first moment of the period."""
        return datetime.combine(self.first_day, time(0), tzinfo=self.timezone)

    @property
    def end(self) -> datetime:
        """The first moment after the period (exclusive)."""
        return datetime.combine(self.last_day + timedelta(days=1), time(0), tzinfo=self.timezone)

    @property
    def day_count(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=offset) for offset in range(self.day_count)]

    def range_of(self, field: str) -> dict[str, datetime]:
        """Filter keywords: `field` within the period."""
        return {f"{field}__gte": self.start, f"{field}__lt": self.end}


def last_days(count: int, *, today: date, timezone: ZoneInfo) -> Period:
    return Period(first_day=today - timedelta(days=count - 1), last_day=today, timezone=timezone)


class PeriodForm(forms.Form):
    """`?from=YYYY-MM-DD&to=YYYY-MM-DD`; a missing field takes its default (the last 30 days)."""

    def __init__(self, query: dict, *, today: date, timezone: ZoneInfo) -> None:
        default = last_days(DEFAULT_DAYS, today=today, timezone=timezone)
        data = {"from": default.first_day.isoformat(), "to": default.last_day.isoformat()}
        data.update({name: query[name] for name in ("from", "to") if query.get(name)})
        super().__init__(data)
        self.today, self.timezone = today, timezone
        for name, label, example in (("from", "From", default.first_day), ("to", "To", default.last_day)):
            self.fields[name] = forms.DateField(
                label=label,
                input_formats=["%Y-%m-%d"],
                error_messages={"invalid": f"Enter a date as YYYY-MM-DD, for example {example.isoformat()}."},
                widget=forms.DateInput(attrs={"type": "date", "max": today.isoformat()}),
            )

    def clean(self) -> dict:
        cleaned = super().clean()
        first, last = cleaned.get("from"), cleaned.get("to")
        if first is None or last is None:
            return cleaned
        if last > self.today:
            self.add_error("to", f"The period cannot end after today ({long_date(self.today)}).")
        elif first > last:
            self.add_error(
                "from", f"The first day ({long_date(first)}) is after the last day ({long_date(last)})."
            )
        elif (last - first).days + 1 > MAX_DAYS:
            days = (last - first).days + 1
            self.add_error("from", f"Choose at most {MAX_DAYS} days; this period has {days}.")
        return cleaned

    @property
    def period(self) -> Period:
        """The chosen period; only after is_valid()."""
        return Period(
            first_day=self.cleaned_data["from"], last_day=self.cleaned_data["to"], timezone=self.timezone
        )
