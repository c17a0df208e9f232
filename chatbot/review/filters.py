"""The review list's filters. Each parses its query-string value and calls a selector; a value it does not
know filters nothing (the date range says what was wrong)."""

import datetime

from django.contrib import admin
from django.http import HttpRequest

from chatbot.conversations.models import Message
from chatbot.review import selectors
from chatbot.support.config import support_config
from chatbot.support.models import Escalation
from chatbot.support.selectors import staff_users


class StartedBetweenFilter(admin.ListFilter):
    """Conversations started from one day to another, both optional and both included."""

    title = "started"
    template = "admin/review/date_range_filter.html"
    FIRST, LAST = "started_from", "started_to"

    def __init__(self, request: HttpRequest, params, model, model_admin) -> None:
        super().__init__(request, params, model, model_admin)
        self.raw: dict[str, str] = {}
        self.days: dict[str, datetime.date | None] = {self.FIRST: None, self.LAST: None}
        self.errors: list[str] = []
        for name, label in ((self.FIRST, "From"), (self.LAST, "To")):
            if name not in params:
                continue
            value = params.pop(name)[-1].strip()
            self.raw[name] = value
            if not value:
                continue
            try:
                self.days[name] = datetime.date.fromisoformat(value)
                self.used_parameters[name] = value
            except ValueError:
                self.errors.append(f"{label}: “{value}” is not a date like 2025-01-31.")
        first, last = self.days[self.FIRST], self.days[self.LAST]
        if first and last and first > last:
            self.errors.append("The first day is after the last day: nothing can match.")

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return [self.FIRST, self.LAST]

    def queryset(self, request: HttpRequest, queryset):
        return selectors.started_between(
            queryset, first_day=self.days[self.FIRST], last_day=self.days[self.LAST]
        )

    def choices(self, changelist):
        # One "choice": what the template's little form needs.
        yield {
            "first": self.raw.get(self.FIRST, ""),
            "last": self.raw.get(self.LAST, ""),
            "errors": self.errors,
            "keep": [
                (name, value)
                for name, value in changelist.params.items()
                if name not in self.expected_parameters()
            ],
            "clear_query_string": changelist.get_query_string(remove=self.expected_parameters()),
            "active": bool(self.raw.get(self.FIRST) or self.raw.get(self.LAST)),
        }


class ChoiceFilter(admin.SimpleListFilter):
    """A SimpleListFilter that ignores values it did not offer (a hand-edited URL filters nothing)."""

    def chosen(self) -> str | None:
        value = self.value()
        return value if value in {str(lookup) for lookup, _ in self.lookup_choices} else None


class EscalationFilter(ChoiceFilter):
    title = "escalation"
    parameter_name = "escalation"

    def lookups(self, request, model_admin):
        reasons = [(reason, f"Escalated: {label}") for reason, label in Escalation.Reason.choices]
        return [("yes", "Escalated, any reason"), ("no", "Never escalated"), *reasons]

    def queryset(self, request, queryset):
        value = self.chosen()
        if value is None:
            return queryset
        if value == "no":
            return selectors.never_escalated(queryset)
        return selectors.escalated(queryset, reason=None if value == "yes" else value)


class ValueListFilter(ChoiceFilter):
    """Offers each value `values()` returns; narrows the list with `narrow(queryset, value)`."""

    def lookups(self, request, model_admin):
        return [(value, value) for value in self.values()]

    def queryset(self, request, queryset):
        value = self.chosen()
        return self.narrow(queryset, value) if value else queryset


class IntentFilter(ValueListFilter):
    title = "bot intent"
    parameter_name = "intent"
    values = staticmethod(selectors.bot_intents)
    narrow = staticmethod(lambda queryset, intent: selectors.with_bot_intent(queryset, intent=intent))


class CsatFilter(ChoiceFilter):
    title = "customer rating (CSAT)"
    parameter_name = "csat"

    def lookups(self, request, model_admin):
        return [(str(rating), f"{rating} of 5") for rating in range(5, 0, -1)] + [("none", "Not rated")]

    def queryset(self, request, queryset):
        value = self.chosen()
        if value is None:
            return queryset
        return selectors.with_csat(queryset, rating=None if value == "none" else int(value))


class ModelVersionFilter(ValueListFilter):
    title = "model version"
    parameter_name = "model_version"
    values = staticmethod(selectors.model_version_names)
    narrow = staticmethod(lambda queryset, name: selectors.with_model_version(queryset, name=name))


class LowConfidenceFilter(ChoiceFilter):
    """Uses the support app's threshold in effect (the environment's, or the admin's override)."""

    title = "bot confidence"
    parameter_name = "low_confidence"

    def lookups(self, request, model_admin):
        self.threshold = support_config().low_confidence_threshold
        return [("yes", f"A reply below {self.threshold:.2f}")]

    def queryset(self, request, queryset):
        if self.chosen() is None:
            return queryset
        return selectors.with_low_confidence_reply(queryset, threshold=self.threshold)


class StaffMemberFilter(ChoiceFilter):
    title = "staff member"
    parameter_name = "staff"

    def lookups(self, request, model_admin):
        return [(str(user.pk), user.get_full_name() or user.get_username()) for user in staff_users()]

    def queryset(self, request, queryset):
        value = self.chosen()
        return selectors.involving_staff_member(queryset, user_id=int(value)) if value else queryset


class VoteFilter(ChoiceFilter):
    title = "customer vote"
    parameter_name = "vote"

    def lookups(self, request, model_admin):
        return [
            (Message.Vote.UP, "A reply voted helpful"),
            (Message.Vote.DOWN, "A reply voted not helpful"),
            ("none", "No votes"),
        ]

    def queryset(self, request, queryset):
        value = self.chosen()
        if value is None:
            return queryset
        return selectors.with_customer_vote(queryset, vote=None if value == "none" else value)


class ReviewFilter(ChoiceFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return list(selectors.REVIEW_STATES.items())

    def queryset(self, request, queryset):
        value = self.chosen()
        return selectors.with_review_state(queryset, state=value) if value else queryset
