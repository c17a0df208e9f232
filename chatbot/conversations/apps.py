from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "chatbot.conversations"
    label = "conversations"
    verbose_name = "Conversations"
