import json

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html

from chatbot.audit.models import AuditLogEntry


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    """Read-only: an audit log that can be edited or deleted from the admin proves nothing."""

    list_display = ["created", "actor_name", "action", "summary"]
    list_filter = ["action"]
    search_fields = ["actor_name", "action", "summary"]
    date_hierarchy = "created"
    fields = ["created", "actor", "actor_name", "action", "summary", "details_json"]
    readonly_fields = fields

    @admin.display(description="Details")
    def details_json(self, entry: AuditLogEntry) -> str:
        return format_html("<pre>{}</pre>", json.dumps(entry.details, indent=2, sort_keys=True))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
