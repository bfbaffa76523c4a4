"""Celery tasks of the campaigns app: thin wrappers that take ids and call a service.

Both are safe to run twice: an analysis past its stage and an import already DONE are left
as they are. A database that is briefly unreachable is retried; any other failure has been
recorded on the import (FAILED, nothing written) and is not retried. A run whose worker died
is not started again by the message Redis hands back (see `services.import_run`); the sweep
below marks it FAILED.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from campaigns import services
from campaigns.models import ResultImport

logger = logging.getLogger(__name__)
TRANSIENT = (OperationalError, InterfaceError)


def redelivered(task) -> bool:
    """The message came back from the broker because the worker that had it died."""
    return bool((task.request.delivery_info or {}).get("redelivered"))


@shared_task(
    name="campaigns.tasks.analyse_import",
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
)
def analyse_import(self, result_import_id: int) -> str | None:
    """Check an uploaded export and compute its preview."""
    try:
        return services.import_analyse(result_import_id=result_import_id).status
    except ResultImport.DoesNotExist:
        logger.warning("Import %s to analyse no longer exists", result_import_id)
        return None


@shared_task(
    name="campaigns.tasks.run_import",
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
)
def run_import(self, result_import_id: int) -> str | None:
    """Import a previewed export for good."""
    return run_and_record(result_import_id, redelivered=redelivered(self))


def run_and_record(result_import_id: int, on_done=None, redelivered: bool = False) -> str | None:
    """Run an import; an unexpected failure is already recorded on the import (FAILED), so
    it is logged here rather than raised, except a transient database error, retried."""
    try:
        return services.import_run(
            result_import_id=result_import_id, on_done=on_done, redelivered=redelivered
        ).status
    except ResultImport.DoesNotExist:
        logger.warning("Import %s to run no longer exists", result_import_id)
        return None
    except TRANSIENT:
        raise
    except Exception:
        logger.exception("Import %s failed", result_import_id)
        return None


@shared_task(
    name="campaigns.tasks.recover_interrupted_imports",
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
)
def recover_interrupted_imports(self) -> dict:
    """Every five minutes (Celery beat): imports and analyses whose worker died are marked
    FAILED or REFUSED rather than left "in progress"; uploads whose analysis was never
    queued (the broker was down) are queued again. Safe to run twice, or next to a live
    import: a run in progress holds its import's lock and is left alone."""
    recovered = services.imports_recover()
    for pk in recovered.to_analyse:
        analyse_import.delay(pk)
    return {
        "failed": len(recovered.failed),
        "refused": len(recovered.refused),
        "analysed": len(recovered.to_analyse),
    }
