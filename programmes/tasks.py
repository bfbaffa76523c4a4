"""Celery tasks of the programmes app: thin wrappers that take ids and call a service."""

import logging

from celery import shared_task

from campaigns.tasks import TRANSIENT, run_and_record

from .services import attach_campaign_hook

logger = logging.getLogger(__name__)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3, acks_late=True)
def run_programme_import(self, result_import_id: int, programme_id: int) -> str | None:
    """Import a previewed export and, in the same transaction once DONE, attach its
    campaign to the programme. Safe to run twice: a DONE import is left as it is."""
    return run_and_record(result_import_id, on_done=attach_campaign_hook(programme_id))
