"""Celery tasks of the privacy app: retention, sent daily by Celery beat (CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

from chatbot.privacy.retention import apply_retention

logger = logging.getLogger(__name__)


# Its own time limits: a first run on years of data is long, the reply tasks' minute is not enough.
# Every batch commits on its own, so a run cut short is finished by the next one.
@shared_task(name="chatbot.privacy.apply_retention", soft_time_limit=3600, time_limit=3700)
def apply_retention_task() -> str:
    """Apply the retention settings; returns the report's summary (also logged)."""
    report = apply_retention()
    logger.info("Retention: %s", report.summary)
    return report.summary
