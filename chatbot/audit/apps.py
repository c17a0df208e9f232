from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "chatbot.audit"
    label = "audit"
    verbose_name = "Audit log"
