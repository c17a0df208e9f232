"""The admin of the business profile, the shop's orders and what customers told the bot (read-only)."""

from django import forms
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import escape

from chatbot.customers.business import OVERRIDABLE
from chatbot.customers.models import BusinessProfile, Order, RememberedSlot


class BusinessProfileForm(forms.ModelForm):
    website_url = forms.URLField(required=False, assume_scheme="https", help_text="The shop's website.")

    class Meta:
        model = BusinessProfile
        fields = list(OVERRIDABLE)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, setting in OVERRIDABLE.items():
            field = self.fields[name]
            # Admin pages do not escape help texts; the setting's value comes from the environment.
            field.help_text = (
                f"{field.help_text} Empty: {escape(repr(getattr(settings, setting)))} ({setting})."
            )


@admin.register(BusinessProfile)
class BusinessProfileAdmin(admin.ModelAdmin):
    """One row: the list page opens it straight away; it cannot be deleted (empty its fields instead)."""

    form = BusinessProfileForm

    def changelist_view(self, request: HttpRequest, extra_context=None):
        profile, _ = BusinessProfile.objects.get_or_create(pk=1)
        return HttpResponseRedirect(reverse("admin:customers_businessprofile_change", args=[profile.pk]))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "status", "placed", "summary"]
    list_filter = ["status"]
    search_fields = ["number", "customer__name", "customer__email", "customer__user__username"]
    autocomplete_fields = ["customer"]
    date_hierarchy = "placed"


@admin.register(RememberedSlot)
class RememberedSlotAdmin(admin.ModelAdmin):
    """Written by the chat only (slot_memory.py); erased with the customer or the conversation."""

    list_display = ["slot", "value", "customer", "updated"]
    list_filter = ["slot"]
    search_fields = ["value", "conversation__customer__name", "conversation__customer__email"]
    list_select_related = ["conversation__customer"]

    @admin.display(description="customer")
    def customer(self, remembered: RememberedSlot) -> str:
        return str(remembered.conversation.customer)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
