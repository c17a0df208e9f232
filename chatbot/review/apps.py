from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "chatbot.review"
    label = "review"
    verbose_name = "Transcript review"
