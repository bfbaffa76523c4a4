"""Each enrolment's day of last check-in (`Enrolment.checkin_day`): the date of the latest
milestone of its population at which its agent checked in, none without one.

The database keeps it (triggers on the check-ins, the milestones and the enrolments,
migration 0030), and it is on the populations' tally key (`PopulationTally.checkin_day`):
« stalled, without a check-in for 60 days » (the ambassador's « À faire », the population
page's ?sans-point=60) is a condition on it, summed from the tally, instead of a search of
each stalled enrolment's check-ins.

This module holds the same definition in Python (`live`), the check of the stored days
against it (`check`, run every night with `manage.py check_progress`), and the clearing of
the days too old to count on any later day, which would keep apart tally rows that are
otherwise the same (`clear_old`, every night too)."""

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Max

from lib.drift import live_ids, log_drifts, write_by_value
from programmes.models import CheckIn, Enrolment, Programme
from programmes.selectors import QUIET_DAYS

logger = logging.getLogger(__name__)


def recent_since(today: datetime.date) -> datetime.date:
    """The first milestone date whose check-ins are recent on `today` (QUIET_DAYS)."""
    return today - datetime.timedelta(days=QUIET_DAYS)


def effective(day: datetime.date | None, today: datetime.date) -> datetime.date | None:
    """The day as it counts on `today` and every day after: none once too old to be recent."""
    return day if day is not None and day >= recent_since(today) else None


def live(programme: Programme) -> dict[tuple[int, int], datetime.date]:
    """(agent id, population id) → the date of the latest milestone of the population the
    agent checked in at, computed from the programme's check-ins (what the triggers keep)."""
    rows = (
        CheckIn.objects.filter(milestone__population__programme=programme)
        .order_by()
        .values("agent_id", population_id=F("milestone__population_id"))
        .annotate(day=Max("milestone__date"))
        .values_list("agent_id", "population_id", "day")
    )
    return {(agent, population): day for agent, population, day in rows.iterator(10_000)}


@dataclass(frozen=True)
class DayDrift:
    """An enrolment whose stored day differs from the live one (as they count on the day)."""

    enrolment_id: int
    stored: datetime.date | None
    live: datetime.date | None


def drift(programme: Programme, today: datetime.date) -> list[DayDrift]:
    """The programme's enrolments whose stored day, as it counts on `today`, is not the live
    one: the check-ins read once, the enrolments streamed (a scan: nightly)."""
    days = live(programme)
    rows = (
        Enrolment.objects.filter(population__programme=programme)
        .order_by()
        .values_list("pk", "agent_id", "population_id", "checkin_day")
    )
    found = []
    for pk, agent_id, population_id, stored in rows.iterator(chunk_size=10_000):
        expected = days.get((agent_id, population_id))
        if effective(stored, today) != effective(expected, today):
            found.append(DayDrift(pk, stored, expected))
    return found


@transaction.atomic
def restore(drifted: list[DayDrift]) -> int:
    """Give the drifted enrolments their live day: one UPDATE per day written."""
    return write_by_value(Enrolment.objects.all(), "checkin_day", live_ids(drifted))


def clear_old(today: datetime.date, programme: Programme | None = None) -> int:
    """Clear the days too old to be recent on `today` (so on any later day): their tally
    rows merge with those of the agents never checked in. Returns how many it cleared."""
    enrolments = Enrolment.objects.filter(checkin_day__lt=recent_since(today))
    if programme is not None:
        enrolments = enrolments.filter(population__programme=programme)
    return enrolments.update(checkin_day=None)


@dataclass(frozen=True)
class Check:
    drifted: list[DayDrift]
    fixed: int
    cleared: int


def check(*, today: datetime.date, fix: bool = False, programme: Programme | None = None) -> Check:
    """Hold the stored days of every programme (or one) to the live ones, each drift logged
    as an error (a write the triggers missed: a restore without triggers). With `fix`, the
    drifted get the live day and the old days are cleared."""
    drifted = [
        found for each in Programme.objects.checked(programme) for found in drift(each, today)
    ]
    log_drifts(
        logger,
        drifted,
        "Check-in day drifted: enrolment %s stored %s, live %s",
        lambda found: (found.enrolment_id, found.stored, found.live),
        "Check-in days drifted on %s enrolments in all",
    )
    fixed = cleared = 0
    if fix:
        fixed = restore(drifted) if drifted else 0
        cleared = clear_old(today, programme)
    return Check(drifted=drifted, fixed=fixed, cleared=cleared)
