"""Reminders and digests, each sent exactly once.

1. Claim: the day's due reminders (and, on the digest weekday, the week's digests) are
   inserted as PENDING rows; their unique key (who, programme, kind, period) makes a second
   run, a second worker or a retried task insert nothing new.
2. Send, one row at a time: a conditional UPDATE moves the row from PENDING (or FAILED) to
   SENDING and commits; only the caller that made that move sends. The mail leaves after that
   commit; the row then becomes SENT, or FAILED with the error (retried with backoff, shown on
   the programme's reminders page). A row left in SENDING (a crash at that very instant) is
   never sent again by itself: it is shown for a person to check.

Nothing claimed is lost when sending cannot start (docs/FAULTS.md): a PENDING row is taken
again by the next daily runs for RETRY_DAYS, as a FAILED one is; a run that never happened
(beat could not queue it) is made up by the next one, since being due is a state, not an
event, and the week's digests are claimed on a later day of the week if the digest day's run
was missed.
"""

import datetime
import logging
import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from programmes import status
from programmes.enums import DigestKind, OutgoingStatus, Purpose
from programmes.models import (
    Digest,
    Enrolment,
    Programme,
    Reminder,
    ReminderOptOut,
)
from programmes.reminders.rules import rules_apply_pending
from programmes.reminders.selection import (
    DUE_STATUSES,
    day_programmes,
    due_set,
    is_quiet,
    reminder_programmes,
    reminder_settings_of,
)

logger = logging.getLogger(__name__)

# What a mail server failure looks like: retried, never silently dropped.
MAIL_ERRORS = (smtplib.SMTPException, OSError)
SENDABLE = [OutgoingStatus.PENDING, OutgoingStatus.FAILED]


class MailFailure(Exception):
    """The mail server refused or could not be reached; the row is FAILED with the error."""


def day_period(day: datetime.date) -> str:
    return day.isoformat()


def week_period(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-S{week:02d}"


def is_digest_day(day: datetime.date) -> bool:
    return day.weekday() == settings.REMINDER_DIGEST_WEEKDAY


# --- Settings -----------------------------------------------------------------------------


# --- Claiming -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    reminders: list[int]
    digests: list[int]


@transaction.atomic
def reminders_claim(*, day: datetime.date) -> list[int]:
    """Insert the day's due reminders (those already there are left alone) and return the
    ids of the reminders still to send: the day's, and those of the last RETRY_DAYS that were
    claimed but never sent (their run could not queue them) or failed. An unsent reminder
    of an earlier day gives way to a newer one for the same agent and programme.

    The same queries whatever the number due: the programmes, their quiet periods, one
    INSERT … SELECT of the due set, the superseding UPDATE and the ids to send."""
    rules_apply_pending()  # a new interval or maximum the background job has not applied
    period = day_period(day)
    programmes = day_programmes(day)
    if programmes:
        _insert_due(due_set(programmes, day), period)
    _supersede_unsent(day)
    since = day_period(day - datetime.timedelta(days=RETRY_DAYS))
    return _to_send(Reminder, Q(period__gte=since, period__lte=period), day)


def _insert_due(due, period: str) -> int:
    """INSERT … SELECT of the `due` set (`selection.due_set`) as PENDING reminders of
    `period`, in one statement: ON CONFLICT DO NOTHING on their unique key (who, programme,
    kind, period) is what makes a second run, a second worker or a retried task at the same
    moment insert nothing new. Returns the number of rows inserted."""
    columns = ("agent_id", "programme_id", "population_id", "kind", "due_email")
    select = due.annotate(due_email=F("agent__email")).values(*columns)
    sql, params = select.query.sql_with_params()
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    table = connection.ops.quote_name(Reminder._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            # The table and column names are the model's; the values are parameters.
            f"INSERT INTO {table} "  # noqa: S608
            "(agent_id, programme_id, population_id, kind, email, period, status, attempts, "
            "last_error, created_at) "
            # WHERE true: without it SQLite reads ON CONFLICT as a join's ON (its docs).
            f"SELECT {names}, %s, %s, 0, '', %s FROM ({sql}) AS due WHERE true "
            "ON CONFLICT DO NOTHING",
            [period, OutgoingStatus.PENDING, timezone.now(), *params],
        )
        return cursor.rowcount


SUPERSEDED = "Remplacée par une relance plus récente."


def _supersede_unsent(day: datetime.date) -> None:
    """A reminder of an earlier day still unsent (PENDING or FAILED) is cancelled when a
    newer one exists for the same agent and programme: one message, the latest."""
    newer = Reminder.objects.filter(
        agent=OuterRef("agent"), programme=OuterRef("programme"), period__gt=OuterRef("period")
    ).exclude(status=OutgoingStatus.CANCELLED)
    Reminder.objects.filter(status__in=SENDABLE, period__lt=day_period(day)).filter(
        Exists(newer)
    ).update(status=OutgoingStatus.CANCELLED, last_error=SUPERSEDED)


def digest_recipients(programme: Programme, day: datetime.date | None = None):
    """(kind, user) pairs who get the programme's weekly digest: its ambassadors and its
    populations' ambassadors; under the managerial purpose, if asked, every manager above an
    agent enrolled on `day` (direct or indirect, as the digest lists the whole line's
    reports) who has an account."""
    from agents.models import Agent, User

    rules = programme.reminder_settings
    pairs = []
    if rules.digest_ambassadors:
        ambassadors = (
            User.objects.filter(
                Q(ambassador_programmes=programme) | Q(ambassador_populations__programme=programme)
            )
            .filter(is_active=True)
            .exclude(email="")
            .distinct()
            .order_by("pk")
        )
        pairs += [(DigestKind.AMBASSADOR, user) for user in ambassadors]
    if rules.digest_managers and programme.purpose == Purpose.MANAGERIAL:
        enrolled = set(
            Enrolment.objects.current(day)
            .filter(population__programme=programme)
            .values_list("agent_id", flat=True)
        )
        # Walk up the tree in memory: one query for the whole organisation's links.
        manager_of = dict(
            Agent.objects.filter(manager__isnull=False).values_list("pk", "manager_id")
        )
        above = set()
        for agent_id in enrolled:
            current, seen = manager_of.get(agent_id), {agent_id}
            while current is not None and current not in seen and current not in above:
                above.add(current)
                seen.add(current)
                current = manager_of.get(current)
        managers = (
            User.objects.filter(is_active=True, agent__in=above).exclude(email="").order_by("pk")
        )
        pairs += [(DigestKind.MANAGER, user) for user in managers]
    return pairs


def digest_day_of_week(day: datetime.date) -> datetime.date:
    """The digest weekday of `day`'s week (Monday to Sunday)."""
    return day + datetime.timedelta(days=settings.REMINDER_DIGEST_WEEKDAY - day.weekday())


@transaction.atomic
def digests_claim(*, day: datetime.date) -> list[int]:
    """On the digest weekday, insert the week's digests of every programme whose reminders
    are on (outside its quiet periods). On a later day of the week, if the digest day's run
    did not happen (no digest of the week at all), insert them as it would have. Return the
    week's digests still to send, and the failed ones still worth a try."""
    period = week_period(day)
    digest_day = digest_day_of_week(day)
    if day == digest_day or (
        day > digest_day and not Digest.objects.filter(period=period).exists()
    ):
        rows = [
            Digest(programme=programme, recipient=user, kind=kind, period=period, email=user.email)
            for programme in reminder_programmes(digest_day)
            if not is_quiet(programme, digest_day)
            for kind, user in digest_recipients(programme, digest_day)
        ]
        Digest.objects.bulk_create(rows, ignore_conflicts=True)
    return _to_send(Digest, Q(period=period), day)


# A message that failed is tried again by the next runs for a week, a few times at most,
# on top of the task's own retries: a long mail server outage loses nothing.
RETRY_DAYS, RETRY_ATTEMPTS = 7, 10


def _to_send(model, pending: Q, day: datetime.date) -> list[int]:
    """The PENDING rows matching `pending`, and the FAILED rows of the last week still worth
    a try."""
    since = timezone.make_aware(
        datetime.datetime.combine(day - datetime.timedelta(days=RETRY_DAYS), datetime.time())
    )
    failed = Q(status=OutgoingStatus.FAILED, created_at__gte=since, attempts__lt=RETRY_ATTEMPTS)
    return list(
        model.objects.filter((pending & Q(status=OutgoingStatus.PENDING)) | failed)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- Sending ------------------------------------------------------------------------------


def _take(model, pk) -> bool:
    """Move the row to SENDING if it is PENDING or FAILED; True for the one caller that
    did (its own transaction, committed before any mail leaves)."""
    with transaction.atomic():
        return bool(
            model.objects.filter(pk=pk, status__in=SENDABLE).update(
                status=OutgoingStatus.SENDING, attempts=F("attempts") + 1
            )
        )


def _finish(model, pk, *, sent: bool, error: str = "", cancelled: bool = False) -> None:
    if cancelled:
        values = {"status": OutgoingStatus.CANCELLED, "last_error": error}
    elif sent:
        values = {"status": OutgoingStatus.SENT, "sent_at": timezone.now(), "last_error": ""}
    else:
        values = {"status": OutgoingStatus.FAILED, "last_error": error[:2000]}
    model.objects.filter(pk=pk).update(**values)


def reminder_still_due(reminder: Reminder, today: datetime.date | None = None) -> str:
    """Why the claimed reminder should no longer leave ('' if it should): the agent opted
    out, left the population, reached the target or started again, or the programme's
    reminders were turned off or it ended."""
    programme = reminder.programme
    today = today or timezone.localdate()
    rules = reminder_settings_of(programme)
    if not rules.enabled or programme.is_over(today):
        return "Relances désactivées ou programme terminé."
    if ReminderOptOut.objects.filter(agent_id=reminder.agent_id, programme=programme).exists():
        return "Désabonné·e."
    enrolment = status.with_progress(
        Enrolment.objects.current(today).filter(
            agent_id=reminder.agent_id, population_id=reminder.population_id
        ),
        programmes=[programme],
        today=today,
    ).first()
    if enrolment is None:
        return "N'est plus inscrit·e dans la population."
    if DUE_STATUSES.get(enrolment.progress_status) is None:
        return "A repris sa progression ou atteint son objectif."
    return ""


def reminder_send(*, reminder_id: int, today: datetime.date | None = None) -> str:
    """Send one claimed reminder if nobody else is sending or has sent it, and if it is still
    due `today` (see `reminder_still_due`); returns its new status. A mail server failure
    leaves it FAILED and raises MailFailure (to retry)."""
    from programmes.reminders.emails import reminder_message

    if not _take(Reminder, reminder_id):
        return Reminder.objects.filter(pk=reminder_id).values_list("status", flat=True).first()
    reminder = Reminder.objects.select_related("agent", "programme", "population").get(
        pk=reminder_id
    )
    reason = reminder_still_due(reminder, today)
    if reason:
        _finish(Reminder, reminder_id, sent=False, cancelled=True, error=reason)
        return OutgoingStatus.CANCELLED
    return _deliver(Reminder, reminder_id, lambda: reminder_message(reminder))


def digest_send(*, digest_id: int) -> str:
    """Send one claimed digest, as `reminder_send` does."""
    from programmes.reminders.emails import digest_message

    if not _take(Digest, digest_id):
        return Digest.objects.filter(pk=digest_id).values_list("status", flat=True).first()
    digest = Digest.objects.select_related("recipient", "programme").get(pk=digest_id)
    return _deliver(Digest, digest_id, lambda: digest_message(digest))


def _deliver(model, pk, build) -> str:
    message = build()
    try:
        message.send(fail_silently=False)
    except MAIL_ERRORS as error:
        logger.warning("%s %s not sent: %s", model.__name__, pk, error)
        _finish(model, pk, sent=False, error=f"{type(error).__name__}: {error}")
        raise MailFailure(str(error)) from error
    _finish(model, pk, sent=True)
    return OutgoingStatus.SENT


def reminders_run(*, day: datetime.date, send: bool = True) -> dict:
    """The daily run, in process (the `send_reminders` command, or eager Celery): claim
    the day's reminders and the week's digests, then send each. Mail failures are recorded
    on their rows and counted, not raised."""
    claimed = Claimed(reminders_claim(day=day), digests_claim(day=day))
    outcome = {"reminders": len(claimed.reminders), "digests": len(claimed.digests), "failed": 0}
    if send:
        outcome["failed"] = claimed_send(claimed, day=day)
    return outcome


def claimed_send(claimed: Claimed, *, day: datetime.date) -> int:
    """Send the claimed rows here, one after the other, each through the guard (a row that
    a worker sends meanwhile does not leave twice). Returns the number of mail failures, left
    FAILED for the next runs."""
    failed = 0
    for pk in claimed.reminders:
        try:
            reminder_send(reminder_id=pk, today=day)
        except MailFailure:
            failed += 1
    for pk in claimed.digests:
        try:
            digest_send(digest_id=pk)
        except MailFailure:
            failed += 1
    return failed


# --- Unsubscribing ------------------------------------------------------------------------


@transaction.atomic
def reminders_opt_out(*, agent_id: int, programme_id: int) -> bool:
    """The agent receives no more of the programme's reminders, from now on; their pending
    ones are cancelled. True if this is new."""
    _row, created = ReminderOptOut.objects.get_or_create(
        agent_id=agent_id, programme_id=programme_id
    )
    Reminder.objects.filter(
        agent_id=agent_id, programme_id=programme_id, status=OutgoingStatus.PENDING
    ).update(status=OutgoingStatus.CANCELLED, last_error="Désabonné·e.")
    return created
