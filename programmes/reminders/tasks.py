"""Celery tasks of the reminders: the daily run (beat) and the sending of each reminder and
digest, thin wrappers that take ids and call the reminders' services."""

import logging
from datetime import date

from celery import shared_task
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from campaigns.tasks import TRANSIENT
from programmes.reminders import rules
from programmes.reminders import services as services_reminders

logger = logging.getLogger(__name__)

# Task names are pinned to the names they had before the programmes app was split into parts:
# beat's stored schedules and messages already queued name them so.


@shared_task(
    name="programmes.tasks.send_daily_reminders",
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
)
def send_daily_reminders(self, on: str | None = None) -> dict:
    """Every day at REMINDER_HOUR (Celery beat): claim the day's reminders and, on the digest
    weekday (or later in the week if that day's run was missed), the week's digests, then
    queue one sending task for each, and for what earlier runs claimed and could not send.
    Safe to run twice, from two workers at once: the claim inserts nothing new and each row
    is sent once.

    If the broker cannot take the sending tasks (Redis down), this task sends the claimed
    rows itself: the send guard keeps a row that a worker got meanwhile from leaving twice.
    A row nobody could send stays PENDING, and the next daily run sends it."""
    day = date.fromisoformat(on) if on else timezone.localdate()
    claimed = services_reminders.Claimed(
        services_reminders.reminders_claim(day=day), services_reminders.digests_claim(day=day)
    )
    outcome = {"reminders": len(claimed.reminders), "digests": len(claimed.digests)}
    try:
        for pk in claimed.reminders:
            send_reminder.delay(pk)
        for pk in claimed.digests:
            send_digest.delay(pk)
    except BrokerError as error:
        logger.error(
            "Broker unreachable (%s): the %s reminders and %s digests of %s are sent by the "
            "daily run itself",
            error,
            len(claimed.reminders),
            len(claimed.digests),
            day,
        )
        outcome["failed"] = services_reminders.claimed_send(claimed, day=day)
        outcome["sent_by_the_run"] = True
    return outcome


@shared_task(
    name="programmes.tasks.apply_reminder_rules",
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
)
def apply_reminder_rules(self, programme_id: int) -> int:
    """A new interval or maximum saved on the reminders page: put it in force, each
    reminded agent's hold rewritten (tens of seconds at a million agents). Safe to run
    twice; the daily run does it too before it claims."""
    return rules.rules_apply_pending(programme_id=programme_id)


# A mail server failure: retried with backoff (1, 2, 4… minutes, capped), then left FAILED
# on the programme's reminders page, where a person can send it again.
MAIL_RETRY = {"max_retries": 6, "acks_late": True}


def _retry_delay(retries: int) -> int:
    return min(60 * 2**retries, 3600)


def _send_with_retry(task, send, **ids) -> str | None:
    """Send through the service's guard; a mail server failure is retried with backoff, or,
    in process (no broker), left FAILED for the page and the next daily run."""
    try:
        return send(**ids)
    except services_reminders.MailFailure as error:
        if task.request.is_eager:
            return "failed"
        raise task.retry(exc=error, countdown=_retry_delay(task.request.retries)) from error


@shared_task(name="programmes.tasks.send_reminder", bind=True, **MAIL_RETRY)
def send_reminder(self, reminder_id: int) -> str | None:
    return _send_with_retry(self, services_reminders.reminder_send, reminder_id=reminder_id)


@shared_task(name="programmes.tasks.send_digest", bind=True, **MAIL_RETRY)
def send_digest(self, digest_id: int) -> str | None:
    return _send_with_retry(self, services_reminders.digest_send, digest_id=digest_id)
