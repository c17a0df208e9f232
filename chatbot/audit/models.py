"""The audit log: who did what to which data, and when. Written by `services.record` only, never changed.

Sensitive operations (transcript exports, subject-rights exports and erasures) write one entry each, so an
administrator can answer "who took these conversations out of the system?" afterwards.
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditLogEntry(models.Model):
    # The account that acted; empty for a management command run from a shell, or a deleted account
    # (`actor_name` keeps who it was either way).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    # A dotted name, app first: "review.export_transcripts", "privacy.erase_customer".
    action = models.CharField(max_length=100)
    # One readable line for the admin list: "Exported 120 conversations as CSV".
    summary = models.CharField(max_length=300, blank=True)
    # What was touched: the filters used, how many rows, which ids. JSON so each action keeps its own shape.
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log entries"
        indexes = [
            models.Index(fields=["-created"], name="audit_created"),
            models.Index(fields=["action", "-created"], name="audit_action_created"),
            models.Index(fields=["actor", "-created"], name="audit_actor_created"),
        ]

    def __str__(self) -> str:
        return f"{self.created:%Y-%m-%d %H:%M} {self.actor_name or 'system'}: {self.summary or self.action}"
