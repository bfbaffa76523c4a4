"""How many current agents of a population are checked in at a milestone, from the
check-ins' tally (`CheckInTally`) instead of the check-ins themselves.

The database keeps the tally (triggers of migration 0029): for each milestone, how many
(check-in, enrolment) pairs there are per enrolment dates, a pair being a check-in at the
milestone and an enrolment of its agent in the milestone's population. The pairs of
enrolments current on a day count each checked-in agent once per current enrolment; at most
one of an agent's enrolments in a population is open, so an agent enrolled twice at once
has a dated one that another outlasts, and those (few, read among the population's dated
enrolments) are taken off. This module also holds the tally to the check-ins (`check`, run
every night with `manage.py check_progress`) and rewrites it (`rebuild`)."""

import logging
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from lib.bulk import lock_rows
from lib.drift import log_drifts
from programmes.models import OPEN_END, CheckIn, CheckInTally, Enrolment, Milestone, Programme

logger = logging.getLogger(__name__)


def outlasted(today: date) -> Exists:
    """For an enrolment (OuterRef): another current enrolment of its agent in its
    population outlasts it (open, ending later, or the same day with a greater id)."""
    return Exists(
        Enrolment.objects.current(today).filter(
            Q(end_date__isnull=True)
            | Q(end_date__gt=OuterRef("end_date"))
            | Q(end_date=OuterRef("end_date"), pk__gt=OuterRef("pk")),
            population=OuterRef("population"),
            agent=OuterRef("agent"),
        )
    )


def checked_in_expression(today: date):
    """For annotating milestones: how many current agents of the milestone's population are
    checked in there. The tally's pairs of current enrolments (a few rows), less the
    checked-in agents' extra current enrolments. Two subqueries whatever the check-ins."""
    pairs = (
        CheckInTally.objects.filter(
            milestone=OuterRef("pk"), start_date__lte=today, end_date__gt=today
        )
        .order_by()
        .values("milestone")
        .annotate(total=Sum("n"))
        .values("total")
    )
    extra = (
        Enrolment.objects.current(today)
        .filter(
            outlasted(today),
            Exists(
                CheckIn.objects.filter(milestone=OuterRef(OuterRef("pk")), agent=OuterRef("agent"))
            ),
            population=OuterRef("population"),
            end_date__isnull=False,
        )
        .order_by()
        .values("population")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(pairs, output_field=IntegerField()), 0) - Coalesce(
        Subquery(extra, output_field=IntegerField()), 0
    )


# --- The nightly check ---------------------------------------------------------------------


def _counted(milestones) -> dict[tuple, int]:
    """The pairs of these milestones, counted from their check-ins and the enrolments:
    (milestone id, start, end) → how many."""
    rows = (
        Enrolment.objects.filter(
            agent__checkins__milestone__in=milestones,
            population=F("agent__checkins__milestone__population"),
        )
        .order_by()
        .annotate(
            milestone_id=F("agent__checkins__milestone"),
            tally_end=Coalesce(F("end_date"), Value(OPEN_END, output_field=DateField())),
        )
        .values("milestone_id", "start_date", "tally_end")
        .annotate(total=Count("pk"))
        .values_list("milestone_id", "start_date", "tally_end", "total")
    )
    return {(m, start, end): total for m, start, end, total in rows}


def _tallied(milestones) -> dict[tuple, int]:
    rows = CheckInTally.objects.filter(milestone__in=milestones).exclude(n=0)
    return {
        (m, start, end): n
        for m, start, end, n in rows.values_list("milestone_id", "start_date", "end_date", "n")
    }


@dataclass(frozen=True)
class TallyDrift:
    """A milestone's group whose tally differs from the pairs counted."""

    milestone_id: int
    start_date: date
    end_date: date
    tallied: int
    counted: int


def drift(programme: Programme) -> list[TallyDrift]:
    """The programme's milestone groups whose tally is not the count of their pairs (a
    scan of the programme's check-ins: nightly)."""
    milestones = Milestone.objects.filter(population__programme=programme)
    tallied, counted = _tallied(milestones), _counted(milestones)
    return [
        TallyDrift(*key, tallied.get(key, 0), counted.get(key, 0))
        for key in sorted(tallied.keys() | counted.keys())
        if tallied.get(key, 0) != counted.get(key, 0)
    ]


def rebuild(milestone_ids) -> None:
    """Rewrite these milestones' tally from their check-ins, under their locks (a recording
    takes its milestone's first), in one transaction."""
    ids = sorted(set(milestone_ids))
    if not ids:
        return
    with transaction.atomic():
        milestones = Milestone.objects.filter(pk__in=ids)
        lock_rows(milestones)
        CheckInTally.objects.filter(milestone__in=ids).delete()
        CheckInTally.objects.bulk_create(
            [
                CheckInTally(milestone_id=m, start_date=start, end_date=end, n=total)
                for (m, start, end), total in _counted(milestones).items()
            ],
            batch_size=1000,
        )


@dataclass(frozen=True)
class Check:
    drifted: list[TallyDrift]


def check(*, fix: bool = False, programme: Programme | None = None) -> Check:
    """Hold the tally of every programme's milestones (or one's) to their check-ins, each
    drift logged as an error (a write the triggers missed: a restore without triggers);
    with `fix`, the drifted milestones' tally is rewritten."""
    drifted = [found for each in Programme.objects.checked(programme) for found in drift(each)]
    log_drifts(
        logger,
        drifted,
        "Check-in tally drifted: milestone %s, enrolments %s to %s: tallied %s, counted %s",
        lambda found: (
            found.milestone_id,
            found.start_date,
            found.end_date,
            found.tallied,
            found.counted,
        ),
        "Check-in tally drifted on %s groups in all",
    )
    if fix and drifted:
        rebuild(found.milestone_id for found in drifted)
    return Check(drifted=drifted)
