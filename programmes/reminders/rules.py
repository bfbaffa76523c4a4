"""Writes of the reminders pages: a programme's reminder rules and its quiet periods.

(The claiming and sending of reminders live in services_reminders.py.)"""

import calendar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from programmes.models import Programme, QuietPeriod, ReminderSettings

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
    aggregates only and a digest would name their agents."""
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
    rules.interval_days = interval_days
    rules.max_count = max_count
    rules.digest_ambassadors = digest_ambassadors
    rules.digest_managers = digest_managers
    rules.updated_by = updated_by
    rules.full_clean()
    rules.save()
    return rules


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
