from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "chatbot.support"
    label = "support"
    verbose_name = "Support"

    def ready(self) -> None:
        # The escalation triggers listen to the conversation app's signals.
        from chatbot.support import receivers  # noqa: F401
