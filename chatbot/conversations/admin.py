"""The admin of customers, messages and model versions. Conversations are listed and read as transcripts
by the review app (chatbot/review/admin.py): filters, search, annotation and exports."""

from django.contrib import admin

from chatbot.conversations.models import Customer, Message, ModelVersion
from chatbot.conversations.services import do_activate_model_version


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "email", "user", "created"]
    search_fields = ["name", "email", "public_id"]
    readonly_fields = ["public_id", "created"]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created", "sender", "text", "intent", "confidence", "latency_ms", "feedback"]
    list_filter = ["sender", "intent", "feedback"]
    search_fields = ["text"]
    readonly_fields = [field.name for field in Message._meta.fields]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "created", "path"]
    readonly_fields = ["name", "path", "created", "metrics"]
    actions = ["activate"]

    @admin.action(description="Answer customers with this version")
    def activate(self, request, queryset) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one version to activate.", level="error")
            return
        version = do_activate_model_version(version=queryset.get())
        self.message_user(request, f"{version.name} now answers customers.")
