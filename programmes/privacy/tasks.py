"""Celery task of data protection: the nightly purge (beat)."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from campaigns.tasks import TRANSIENT
from programmes.privacy import services as services_purge

# Task names are pinned to the names they had before the programmes app was split into parts:
# beat's stored schedules and messages already queued name them so.


@shared_task(
    name="programmes.tasks.purge_personal_data",
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
)
def purge_personal_data(self, on: str | None = None) -> dict:
    """Every night (Celery beat): purge the personal data of the programmes ended more than
    RESULTS_RETENTION_DAYS ago. `on`: an ISO date, today by default. Safe to run twice: what
    is gone is not counted again."""
    day = date.fromisoformat(on) if on else timezone.localdate()
    return services_purge.personal_data_purge(today=day).counts
