"""Each enrolment's reminder hold (`Enrolment.reminder_hold`): no reminder of its programme
before that day.

The database keeps it (triggers on the reminders, the opt-outs, the rules and the new
enrolments, migration 0025), the same on each enrolment of an agent in a programme:
`FOREVER` when the agent opted out or got the programme's maximum of reminders (those not
cancelled); else the day of their last reminder not cancelled plus the interval; else none.
It is on the populations' tally key (`PopulationTally.hold_day`), so the reminders' counts
sum tally rows instead of probing each agent held apart (selection.due_counts).

This module holds the same definition in Python (`live`), the check of the stored holds
against it (`check`, run every night with `manage.py check_progress`), and the clearing of
the holds that are past, which are worth no hold but would keep apart tally rows that are
otherwise the same (`clear_past`, every night too)."""

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Max

from lib.drift import live_ids, log_drifts, write_by_value
from programmes.models import OPEN_END, Enrolment, Programme, ReminderOptOut
from programmes.reminders.selection import counted_reminders, reminder_settings_of

logger = logging.getLogger(__name__)

FOREVER = OPEN_END


def live(programme: Programme) -> dict[int, datetime.date]:
    """The hold of each agent the programme reminded or who opted out, computed from the
    reminders and the opt-outs (the definition the triggers follow)."""
    rules = reminder_settings_of(programme)
    interval = datetime.timedelta(days=rules.interval_days)
    rows = (
        counted_reminders()
        .filter(programme=programme)
        .order_by()
        .values("agent_id")
        .annotate(n=Count("pk"), last=Max("period"))
        .values_list("agent_id", "n", "last")
    )
    holds = {
        agent_id: FOREVER if n >= rules.max_count else datetime.date.fromisoformat(last) + interval
        for agent_id, n, last in rows.iterator(chunk_size=10_000)
    }
    opted_out = ReminderOptOut.objects.filter(programme=programme).values_list(
        "agent_id", flat=True
    )
    holds.update(dict.fromkeys(opted_out.iterator(chunk_size=10_000), FOREVER))
    return holds


def effective(hold: datetime.date | None, day: datetime.date) -> datetime.date | None:
    """The hold as it stands on `day`: none once it is past (held while `day` < hold)."""
    return hold if hold is not None and hold > day else None


@dataclass(frozen=True)
class HoldDrift:
    """An enrolment whose stored hold differs from the live one (as they stand on the day)."""

    enrolment_id: int
    agent_id: int
    stored: datetime.date | None
    live: datetime.date | None


def drift(programme: Programme, day: datetime.date) -> list[HoldDrift]:
    """The programme's enrolments whose stored hold, as it stands on `day`, is not the live
    one: the reminders and opt-outs read once, the enrolments streamed (a scan: nightly)."""
    holds = live(programme)
    rows = (
        Enrolment.objects.filter(population__programme=programme)
        .order_by()
        .values_list("pk", "agent_id", "reminder_hold")
    )
    found = []
    for pk, agent_id, stored in rows.iterator(chunk_size=10_000):
        expected = holds.get(agent_id)
        if effective(stored, day) != effective(expected, day):
            found.append(HoldDrift(pk, agent_id, stored, expected))
    return found


def clear_past(day: datetime.date, programme: Programme | None = None) -> int:
    """Clear the holds that are past on `day` (no hold either way): their tally rows merge
    with those of the same state held by nobody. Returns how many enrolments it cleared."""
    enrolments = Enrolment.objects.filter(reminder_hold__lte=day)
    if programme is not None:
        enrolments = enrolments.filter(population__programme=programme)
    return enrolments.update(reminder_hold=None)


@transaction.atomic
def restore(drifted: list[HoldDrift]) -> int:
    """Give the drifted enrolments their live hold: one UPDATE per hold written."""
    return write_by_value(Enrolment.objects.all(), "reminder_hold", live_ids(drifted))


@dataclass(frozen=True)
class Check:
    drifted: list[HoldDrift]
    fixed: int
    cleared: int


def check(*, day: datetime.date, fix: bool = False, programme: Programme | None = None) -> Check:
    """Hold the stored holds of every programme (or one) to the live ones, each drift logged
    as an error (a write the triggers missed: the enrolment's agent or population changed
    by hand, a restore without triggers). With `fix`, the drifted get the live hold
    and the past holds are cleared."""
    programmes = Programme.objects.checked(programme).select_related("reminder_settings")
    drifted = [found for each in programmes for found in drift(each, day)]
    log_drifts(
        logger,
        drifted,
        "Reminder hold drifted: enrolment %s (agent %s) stored %s, live %s",
        lambda found: (found.enrolment_id, found.agent_id, found.stored, found.live),
        "Reminder holds drifted on %s enrolments in all",
    )
    fixed = cleared = 0
    if fix:
        fixed = restore(drifted) if drifted else 0
        cleared = clear_past(day, programme)
    return Check(drifted=drifted, fixed=fixed, cleared=cleared)
