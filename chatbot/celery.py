"""The Celery app for the distributed mode: `celery -A chatbot worker -Q inference`.

Its configuration is the CELERY_* names in chatbot/settings.py (JSON only, late acks, prefetch 1,
time limits). Tasks are found in the installed apps' tasks.py modules.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatbot.settings")

app = Celery("chatbot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
