"""Celery tasks of the campaigns app: thin wrappers that take ids and call a service.

Both are safe to run twice: an analysis past its stage and an import already DONE are left
as they are. A database that is briefly unreachable is retried; any other failure has been
recorded on the import (FAILED, nothing written) and is not retried.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import services
from .models import ResultImport

logger = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3, acks_late=True)
def analyse_import(self, result_import_id: int) -> str | None:
    """Check an uploaded export and compute its preview."""
    try:
        return services.import_analyse(result_import_id=result_import_id).status
    except ResultImport.DoesNotExist:
        logger.warning("Import %s to analyse no longer exists", result_import_id)
        return None


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3, acks_late=True)
def run_import(self, result_import_id: int) -> str | None:
    """Import a previewed export for good."""
    return run_and_record(result_import_id)


def run_and_record(result_import_id: int, on_done=None) -> str | None:
    """Run an import; an unexpected failure is already recorded on the import (FAILED), so
    it is logged here rather than raised, except a transient database error, retried."""
    try:
        return services.import_run(result_import_id=result_import_id, on_done=on_done).status
    except ResultImport.DoesNotExist:
        logger.warning("Import %s to run no longer exists", result_import_id)
        return None
    except TRANSIENT:
        raise
    except Exception:
        logger.exception("Import %s failed", result_import_id)
        return None
