from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "chatbot.privacy"
    label = "privacy"
    verbose_name = "Privacy"
