from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from chatbot.support.config import OVERRIDABLE
from chatbot.support.models import (
    CannedResponse,
    CsatRating,
    Escalation,
    InternalNote,
    SuggestedReply,
    SupportEvent,
    SupportSettings,
)


class DefaultOrOnOff(forms.NullBooleanSelect):
    """A nullable switch that reads as what it does: empty means "use the environment's value"."""

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", "Use the default"), ("true", "On"), ("false", "Off")]


class SupportSettingsForm(forms.ModelForm):
    class Meta:
        model = SupportSettings
        fields = list(OVERRIDABLE)
        widgets = {name: DefaultOrOnOff() for name in OVERRIDABLE if name.startswith("escalate_on_")}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, setting in OVERRIDABLE.items():
            default = getattr(settings, setting)
            shown = (
                {True: "on", False: "off", "": "empty"}.get(default, default) if default != "" else "empty"
            )
            field = self.fields[name]
            field.help_text = f"{field.help_text} Default ({setting}): {shown}.".strip()


@admin.register(SupportSettings)
class SupportSettingsAdmin(admin.ModelAdmin):
    """One row: the list page opens it straight away; it cannot be deleted (empty it instead)."""

    form = SupportSettingsForm

    def changelist_view(self, request: HttpRequest, extra_context=None):
        settings_row, _ = SupportSettings.objects.get_or_create(pk=1)
        return HttpResponseRedirect(reverse("admin:support_supportsettings_change", args=[settings_row.pk]))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["__str__", "title", "is_active", "updated"]
    list_filter = ["is_active"]
    search_fields = ["shortcut", "title", "text"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is written by the services only: the admin shows it."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class SupportEventInline(admin.TabularInline):
    model = SupportEvent
    fields = ["created", "kind", "actor", "target", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Escalation)
class EscalationAdmin(ReadOnlyAdmin):
    list_display = [
        "public_id",
        "conversation",
        "reason",
        "priority",
        "assignee",
        "escalated",
        "claimed",
        "ended",
        "outcome",
    ]
    list_filter = ["reason", "priority", "outcome"]
    search_fields = ["public_id", "conversation__public_id", "contact_email", "conversation__customer__email"]
    inlines = [SupportEventInline]


@admin.register(SupportEvent)
class SupportEventAdmin(ReadOnlyAdmin):
    list_display = ["created", "kind", "conversation", "actor", "target", "reason"]
    list_filter = ["kind"]
    date_hierarchy = "created"


@admin.register(InternalNote)
class InternalNoteAdmin(ReadOnlyAdmin):
    list_display = ["created", "conversation", "author", "__str__"]
    search_fields = ["text"]


@admin.register(SuggestedReply)
class SuggestedReplyAdmin(ReadOnlyAdmin):
    list_display = ["created", "outcome", "intent", "confidence", "model_version", "decided_by"]
    list_filter = ["outcome", "model_version"]
    search_fields = ["text"]


@admin.register(CsatRating)
class CsatRatingAdmin(ReadOnlyAdmin):
    list_display = ["created", "rating", "conversation", "comment"]
    list_filter = ["rating"]
