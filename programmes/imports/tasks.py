"""Celery task of the Pix imports: run a previewed export for its programme."""

from celery import shared_task

from campaigns.enums import ImportStatus
from campaigns.tasks import TRANSIENT, redelivered, run_and_record
from programmes.imports.attach import attach_campaign_hook
from programmes.imports.signals import results_imported
from programmes.models import Programme

# Task names are pinned to the names they had before the programmes app was split into parts:
# beat's stored schedules and messages already queued name them so.


@shared_task(
    name="programmes.tasks.run_programme_import",
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
)
def run_programme_import(self, result_import_id: int, programme_id: int) -> str | None:
    """Import a previewed export and, in the same transaction once DONE, attach its
    campaign to the programme; then say so (`results_imported`), and steering refreshes the
    programme's figures. Safe to run twice: a DONE import is left as it is, and the figures
    are recomputed; a message handed back because its worker died does not start the import
    again (campaigns.tasks)."""
    outcome = run_and_record(
        result_import_id, on_done=attach_campaign_hook(programme_id), redelivered=redelivered(self)
    )
    if outcome == ImportStatus.DONE:
        results_imported.send(sender=Programme, programme_id=programme_id)
    return outcome
