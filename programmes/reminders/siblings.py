"""Whether an enrolment's agent is enrolled in an earlier population of the same programme
(`Enrolment.has_earlier`): one with a smaller id, current or not.

The reminders' due set keeps one row per agent and programme, that of the first of their
populations (reminders/selection.py): only a row with `has_earlier` can have one before it
to look for, so the others are not probed. The database keeps the flag (triggers on the
enrolments, migration 0027); this module holds the same definition in Python and the check
of the stored flags against it (`check`, run every night with `manage.py check_progress`)."""

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Min, Window

from lib.drift import log_drifts, write_by_value
from programmes.models import Enrolment, Programme

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EarlierDrift:
    """An enrolment whose stored flag differs from the live one."""

    enrolment_id: int
    agent_id: int
    stored: bool


def drift(programme: Programme) -> list[EarlierDrift]:
    """The programme's enrolments whose stored flag is not the live one: each row next to
    the smallest population id of its agent in the programme (a scan: nightly)."""
    rows = (
        Enrolment.objects.filter(population__programme=programme)
        .annotate(first=Window(Min("population_id"), partition_by=[F("agent_id")]))
        .order_by()
        .values_list("pk", "agent_id", "population_id", "first", "has_earlier")
    )
    return [
        EarlierDrift(pk, agent_id, stored)
        for pk, agent_id, population_id, first, stored in rows.iterator(chunk_size=10_000)
        if stored != (population_id > first)
    ]


@transaction.atomic
def restore(drifted: list[EarlierDrift]) -> int:
    """Give the drifted enrolments their live flag (the opposite of the stored one)."""
    by_flag = {
        not stored: [found.enrolment_id for found in drifted if found.stored is stored]
        for stored in (True, False)
    }
    return write_by_value(Enrolment.objects.all(), "has_earlier", by_flag)


@dataclass(frozen=True)
class Check:
    drifted: list[EarlierDrift]
    fixed: int


def check(*, fix: bool = False, programme: Programme | None = None) -> Check:
    """Hold the stored flags of every programme (or one) to the live ones, each drift logged
    as an error (a write the triggers missed: a restore without triggers). With `fix`, the
    drifted get the live flag."""
    drifted = [found for each in Programme.objects.checked(programme) for found in drift(each)]
    log_drifts(
        logger,
        drifted,
        "Earlier-population flag drifted: enrolment %s (agent %s) stored %s",
        lambda found: (found.enrolment_id, found.agent_id, found.stored),
        "Earlier-population flags drifted on %s enrolments in all",
    )
    fixed = restore(drifted) if fix and drifted else 0
    return Check(drifted=drifted, fixed=fixed)
