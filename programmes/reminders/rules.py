"""Writes of the reminders pages: a programme's reminder rules and its quiet periods.

(The claiming and sending of reminders live in services_reminders.py.)"""

import calendar
import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from lib.tasks import enqueue
from programmes.models import (
    Programme,
    QuietPeriod,
    Reminder,
    ReminderOptOut,
    ReminderSettings,
)

logger = logging.getLogger(__name__)

# A leap year: 29 February is a real day of some years, so a quiet period may start on it.
_ANY_YEAR = 2024
# Quiet periods are a handful per programme (summer, year-end…); the page lists them all.
MAX_QUIET_PERIODS = 20


def day_exists(day: int, month: int) -> bool:
    """`day`/`month` is a day of the calendar (29/02 is, in leap years; 31/04 never is)."""
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(_ANY_YEAR, month)[1]


@transaction.atomic
def reminder_settings_save(
    *,
    programme: Programme,
    enabled: bool,
    first_after_days: int,
    remind_stalled: bool,
    interval_days: int,
    max_count: int,
    digest_ambassadors: bool,
    digest_managers: bool,
    updated_by,
) -> ReminderSettings:
    """Save the programme's reminder rules, creating them on the first save. The digest to
    managers is for managerial programmes only: under self-assessment, managers see
    aggregates only and a digest would name their agents.

    A new interval or maximum, when the programme has reminded agents or opt-outs, is saved
    as pending and applied by a background job (`rules_apply_pending`): applying it
    rewrites each such agent's hold, 23–25 s in one statement at a million agents, too long
    for a request. The other rules take effect at once."""
    if digest_managers and not programme.is_managerial:
        raise ValidationError(
            _(
                "La synthèse aux encadrants n’est possible que pour un programme à finalité "
                "managériale : en auto-positionnement, les encadrants ne voient que des "
                "chiffres agrégés."
            )
        )
    rules, _created = ReminderSettings.objects.select_for_update().get_or_create(
        programme=programme
    )
    rules.enabled = enabled
    rules.first_after_days = first_after_days
    rules.remind_stalled = remind_stalled
    rules.digest_ambassadors = digest_ambassadors
    rules.digest_managers = digest_managers
    rules.updated_by = updated_by
    # Checked with the new interval and maximum, whether they apply now or later.
    in_force = (rules.interval_days, rules.max_count)
    rules.interval_days, rules.max_count = interval_days, max_count
    rules.full_clean()
    rules.pending_interval_days = rules.pending_max_count = None
    if (interval_days, max_count) != in_force and _has_holds(programme):
        # Each reminded agent's hold is rewritten when they change: in the background.
        rules.interval_days, rules.max_count = in_force
        rules.pending_interval_days, rules.pending_max_count = interval_days, max_count
    rules.save()
    if rules.pending:
        rules_apply_queue(programme_id=programme.pk)
    return rules


def _has_holds(programme: Programme) -> bool:
    return (
        Reminder.objects.filter(programme=programme).exists()
        or ReminderOptOut.objects.filter(programme=programme).exists()
    )


def rules_apply_queue(*, programme_id: int) -> None:
    """Have the background job apply the programme's pending interval and maximum, once
    committed; without a broker here and now. A broker that refuses it leaves them pending:
    the next daily run applies them before it claims (`rules_apply_pending`)."""
    from programmes.reminders.tasks import apply_reminder_rules  # the tasks import this module

    if not enqueue(apply_reminder_rules, programme_id):
        logger.warning("Task refused: reminder rules of programme %s left pending", programme_id)


def rules_apply_pending(*, programme_id: int | None = None) -> int:
    """Apply the pending interval and maximum of the programme (or of every programme): in
    force from now, each reminded agent's hold rewritten in the same transaction (the
    rules' trigger). Safe to run twice or concurrently: the row is locked and read again.
    Returns how many programmes' rules it applied."""
    pending = ReminderSettings.objects.filter(pending_interval_days__isnull=False)
    if programme_id is not None:
        pending = pending.filter(programme_id=programme_id)
    applied = 0
    for pk in pending.values_list("pk", flat=True):
        with transaction.atomic():
            rules = ReminderSettings.objects.select_for_update().get(pk=pk)
            if not rules.pending:
                continue  # applied meanwhile
            rules.interval_days = rules.pending_interval_days
            rules.max_count = rules.pending_max_count
            rules.pending_interval_days = rules.pending_max_count = None
            rules.save(
                update_fields=[
                    "interval_days", "max_count", "pending_interval_days", "pending_max_count",
                ]
            )  # fmt: skip
            applied += 1
    return applied


@transaction.atomic
def quiet_period_add(
    *,
    programme: Programme,
    label: str,
    start_day: int,
    start_month: int,
    end_day: int,
    end_month: int,
) -> QuietPeriod:
    """Add a yearly period without reminders, from a day to another, both included; when it
    ends before it starts in the year (15/12 – 05/01), it runs over the new year."""
    if not day_exists(start_day, start_month):
        raise ValidationError(
            _("Le %(day)02d/%(month)02d n’existe pas : choisissez un jour réel de début.")
            % {"day": start_day, "month": start_month}
        )
    if not day_exists(end_day, end_month):
        raise ValidationError(
            _("Le %(day)02d/%(month)02d n’existe pas : choisissez un jour réel de fin.")
            % {"day": end_day, "month": end_month}
        )
    # Counted under the programme's row lock: two people adding at once stay under the cap.
    Programme.objects.select_for_update().filter(pk=programme.pk).exists()
    if programme.quiet_periods.count() >= MAX_QUIET_PERIODS:
        raise ValidationError(
            _("Un programme a au plus %(max)s périodes sans relance : supprimez-en une d’abord.")
            % {"max": MAX_QUIET_PERIODS}
        )
    period = QuietPeriod(
        programme=programme,
        label=label.strip(),
        start_day=start_day,
        start_month=start_month,
        end_day=end_day,
        end_month=end_month,
    )
    period.full_clean()
    period.save()
    return period


@transaction.atomic
def quiet_period_delete(*, quiet_period: QuietPeriod) -> None:
    """Remove a quiet period: reminders may leave on its days from the next run."""
    quiet_period.delete()
