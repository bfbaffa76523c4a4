"""Writes of review cycles: opening a year's round and keeping its sheets in step with the
programme's enrolments."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent
from programmes.models import Enrolment, Programme
from reviews.models import Review, ReviewCycle, ReviewState


def check_cycle_dates(*, opens_on: datetime.date, closes_on: datetime.date) -> None:
    """A cycle closes on or after the day it opens."""
    if closes_on < opens_on:
        raise ValidationError(
            _("La date de clôture doit être postérieure ou égale à la date d’ouverture."),
            code="closes_before_opening",
        )


@transaction.atomic
def cycle_open(
    *,
    programme: Programme,
    year: int,
    opens_on: datetime.date,
    closes_on: datetime.date,
    by,
) -> ReviewCycle:
    """Open the programme's review cycle of `year` (one a year) and create one sheet, to
    prepare, per agent currently enrolled in the programme, led by the agent's manager of
    today."""
    check_cycle_dates(opens_on=opens_on, closes_on=closes_on)
    if ReviewCycle.objects.filter(programme=programme, year=year).exists():
        raise ValidationError(
            _("Une campagne d’entretiens %(year)s existe déjà pour ce programme.") % {"year": year},
            code="year_taken",
        )
    try:
        with transaction.atomic():
            cycle = ReviewCycle.objects.create(
                programme=programme,
                year=year,
                opens_on=opens_on,
                closes_on=closes_on,
                opened_by=by,
            )
    except IntegrityError as error:  # opened at the same moment by someone else
        raise ValidationError(
            _("Une campagne d’entretiens %(year)s existe déjà pour ce programme.") % {"year": year},
            code="year_taken",
        ) from error
    cycle_sync(cycle=cycle)
    return cycle


@transaction.atomic
def cycle_sync(*, cycle: ReviewCycle, today: datetime.date | None = None) -> int:
    """Add a sheet for each agent enrolled in the programme since the cycle opened (never
    removes one), and give a manager to the sheets still to prepare whose agent had none.
    Running it twice changes nothing. Returns the number of sheets added."""
    today = today or timezone.localdate()
    enrolled = (
        Enrolment.objects.current(today)
        .filter(population__programme_id=cycle.programme_id)
        .values("agent_id")
    )
    agents = Agent.objects.filter(pk__in=enrolled).exclude(reviews__cycle=cycle)
    added = Review.objects.bulk_create(
        [
            Review(cycle=cycle, agent_id=agent_id, manager_id=manager_id)
            for agent_id, manager_id in agents.values_list("pk", "manager_id").order_by("pk")
        ],
        ignore_conflicts=True,
    )
    orphans = list(
        Review.objects.filter(
            cycle=cycle,
            manager__isnull=True,
            state=ReviewState.TO_PREPARE,
            agent__manager__isnull=False,
        ).select_related("agent")
    )
    for review in orphans:
        review.manager_id = review.agent.manager_id
    Review.objects.bulk_update(orphans, ["manager"])
    return len(added)
