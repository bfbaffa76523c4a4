"""Who is due a reminder on a given day, under each programme's rules.

The agents come out of one query for all programmes (their status by the status engine,
with the number and the latest period of their reminders); the per-programme rules are then
applied in Python on those rows."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from programmes import status
from programmes.enums import OutgoingStatus, ProgressStatus, ReminderKind
from programmes.models import Enrolment, Programme, Reminder, ReminderOptOut, ReminderSettings

DUE_STATUSES = {
    ProgressStatus.NOT_STARTED: ReminderKind.NOT_STARTED,
    ProgressStatus.STALLED: ReminderKind.STALLED,
}


@dataclass(frozen=True)
class Due:
    """An agent due a reminder of a programme, for their status in one population."""

    agent_id: int
    programme_id: int
    population_id: int
    kind: str
    email: str


def reminder_programmes(day: datetime.date) -> list[Programme]:
    """The programmes whose reminders are on and that run on `day` (started, not over)."""
    return list(
        Programme.objects.filter(reminder_settings__enabled=True, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .select_related("reminder_settings")
        .prefetch_related("quiet_periods")
        .order_by("pk")
    )


def is_quiet(programme: Programme, day: datetime.date) -> bool:
    """`day` falls in one of the programme's quiet periods (prefetched)."""
    return any(period.contains(day) for period in programme.quiet_periods.all())


def counted_reminders():
    """The reminders that count towards the maximum and the interval: all but cancelled."""
    return Reminder.objects.exclude(status=OutgoingStatus.CANCELLED)


def candidate_rows(
    programmes: list[Programme], day: datetime.date, population_ids: set[int] | None = None
):
    """One row per current enrolment, in `programmes`, of an active agent with an e-mail
    address who did not opt out, whatever their status on `day`: (agent id, programme id,
    population id, enrolment start, status, reminders counted, latest reminder period,
    e-mail). One query. `population_ids`: only those populations' enrolments.

    The status is not filtered here: PostgreSQL would evaluate the status expression twice
    per row (in WHERE and in SELECT), the costliest part of the query; `due_reminders`
    keeps the not-started and stalled rows instead (3.4 s instead of 5.6 s for 100,000
    agents, bench/reminders_bench.py)."""
    sent = counted_reminders().filter(
        agent=OuterRef("agent"), programme=OuterRef("population__programme")
    )
    opted_out = ReminderOptOut.objects.filter(
        agent=OuterRef("agent"), programme=OuterRef("population__programme")
    )
    enrolments = (
        Enrolment.objects.current(day)
        .filter(population__programme__in=programmes, agent__is_active=True)
        # No address is NULL (the column is unique): exclude("") alone would let it through.
        .exclude(Q(agent__email__isnull=True) | Q(agent__email=""))
        .exclude(Exists(opted_out))
    )
    if population_ids is not None:
        enrolments = enrolments.filter(population_id__in=population_ids)
    return (
        status.with_progress(enrolments, programmes=programmes, today=day)
        .annotate(
            reminded=Coalesce(
                Subquery(
                    sent.order_by().values("agent").annotate(n=Count("pk")).values("n"),
                    output_field=IntegerField(),
                ),
                0,
            ),
            last_period=Subquery(sent.order_by("-period").values("period")[:1]),
        )
        .order_by("agent_id", "population__programme_id", "population_id")
        .values_list(
            "agent_id",
            "population__programme_id",
            "population_id",
            "start_date",
            "progress_status",
            "reminded",
            "last_period",
            "agent__email",
        )
    )


def due_reminders(
    *,
    day: datetime.date,
    programmes: list[Programme] | None = None,
    population_ids: set[int] | None = None,
) -> list[Due]:
    """The reminders due on `day`: at most one per agent and programme; none in a quiet
    period, past the programme's maximum, or sooner than its interval after the last one; a
    not-started agent only `first_after_days` after their enrolment; a stalled one only if
    the programme reminds stalled agents. Agents who reached their target, left their
    population or whose programme is over are never candidates. `population_ids`: only
    agents of those populations (a page for an ambassador of a few)."""
    programmes = programmes if programmes is not None else reminder_programmes(day)
    programmes = [p for p in programmes if not is_quiet(p, day)]
    if not programmes:
        return []
    rules = {p.pk: p.reminder_settings for p in programmes}
    due, seen = [], set()
    for row in candidate_rows(programmes, day, population_ids).iterator(chunk_size=5000):
        agent_id, programme_id, population_id, start, progress, reminded, last, email = row
        if progress not in DUE_STATUSES or (agent_id, programme_id) in seen:
            continue
        rule = rules[programme_id]
        if reminded >= rule.max_count:
            continue
        if last and (day - datetime.date.fromisoformat(last)).days < rule.interval_days:
            continue
        if progress == ProgressStatus.NOT_STARTED:
            if (day - start).days < rule.first_after_days:
                continue
        elif not rule.remind_stalled:
            continue
        seen.add((agent_id, programme_id))
        due.append(Due(agent_id, programme_id, population_id, DUE_STATUSES[progress], email))
    return due


def reminder_settings_of(programme: Programme) -> ReminderSettings:
    """The programme's rules; defaults (off) when never saved. Nothing is written."""
    try:
        return programme.reminder_settings
    except ReminderSettings.DoesNotExist:
        return ReminderSettings(programme=programme)
