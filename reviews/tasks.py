"""Celery task of the review cycles: create a cycle's sheets in the background."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from reviews import services_cycles
from reviews.models import ReviewCycle

logger = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError)


@shared_task(
    name="reviews.tasks.sync_cycle",
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
)
def sync_cycle(self, cycle_id: int) -> int | None:
    """Create the missing sheets of a review cycle, by batches, recording progress on the
    cycle (services_cycles.cycle_sync_run). Safe to run twice or to retry: sheets already
    created are left alone. A database briefly unreachable is retried; any other error marks
    the cycle FAILED (its page offers to start again) and is logged, not raised."""
    try:
        return services_cycles.cycle_sync_run(cycle_id=cycle_id)
    except ReviewCycle.DoesNotExist:
        logger.warning("Review cycle %s to fill no longer exists", cycle_id)
        return None
    except TRANSIENT:
        raise
    except Exception:
        logger.exception("Sheets of review cycle %s not all created", cycle_id)
        services_cycles.cycle_sync_failed(cycle_id=cycle_id)
        return None
