# Load the Celery app with Django so `@shared_task` binds to it in every process (Celery's Django recipe).
from chatbot.celery import app as celery_app

__all__ = ("celery_app",)
