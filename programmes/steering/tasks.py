"""Celery tasks of steering: the dashboard's figures, every night (beat) and after an
import."""

import logging
from datetime import date

from celery import shared_task
from django.utils import timezone

from campaigns.tasks import TRANSIENT
from programmes.models import Programme
from programmes.steering import stats
from programmes.steering.checks import checks_run

logger = logging.getLogger(__name__)

# Task names are pinned to the names they had before the programmes app was split into parts:
# beat's stored schedules and messages already queued name them so.


@shared_task(
    name="programmes.tasks.refresh_population_stats",
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
)
def refresh_population_stats(self, on: str | None = None) -> int:
    """Every night (Celery beat): the day's figures of every population of the running
    programmes. `on`: an ISO date, today by default. Safe to run twice: the day's rows are
    rewritten."""
    day = date.fromisoformat(on) if on else timezone.localdate()
    return stats.stats_refresh_all(on=day)


def refresh_programme_stats(programme_id: int) -> None:
    """The import stands even if its figures cannot be computed: the nightly run will."""
    try:
        programme = Programme.objects.get(pk=programme_id)
        stats.programme_stats_refresh(programme=programme, on=timezone.localdate())
    except TRANSIENT:
        raise
    except Exception:
        logger.exception("Stats of programme %s not refreshed after an import", programme_id)


@shared_task(
    name="programmes.tasks.check_progress",
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
)
def check_progress(self) -> int:
    """Every night (Celery beat), before the figures: every stored state held to its live
    definition (steering/checks.py); a drift is logged as an error (a write path that
    forgot it) and recomputed, and the past holds and old check-in days cleared. Returns
    how many enrolments' progress drifted. Safe to run twice."""
    checks = checks_run(fix=True)
    result, hold_check, earlier_check = checks.progress, checks.holds, checks.earlier
    logger.info(
        "Stored progress checked: %s enrolments, %s drifted, %s fixed",
        result.checked,
        len(result.drifted),
        result.fixed,
    )
    logger.info(
        "Reminder holds checked: %s drifted, %s fixed, %s past cleared",
        len(hold_check.drifted),
        hold_check.fixed,
        hold_check.cleared,
    )
    logger.info(
        "Earlier-population flags checked: %s drifted, %s fixed",
        len(earlier_check.drifted),
        earlier_check.fixed,
    )
    logger.info(
        "Check-in days checked: %s drifted, %s fixed, %s too old cleared",
        len(checks.checkin_days.drifted),
        checks.checkin_days.fixed,
        checks.checkin_days.cleared,
    )
    logger.info("Check-in tally checked: %s groups drifted", len(checks.checkin_tally.drifted))
    return len(result.drifted)
