from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "chatbot.analytics"
    label = "analytics"
    verbose_name = "Analytics"
