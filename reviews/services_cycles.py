"""Writes of review cycles: opening a year's round and keeping its sheets in step with the
programme's enrolments.

Opening a cycle creates it in the request; its sheets (one per enrolled agent, up to a
million) are created by a Celery task (reviews.tasks.sync_cycle), by batches of agents in a
fixed number of queries per batch whatever its size, the cycle recording how far it got for
the page that follows it. Without a broker (tests, eager mode) the task runs at once."""

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent
from lib.tasks import enqueue
from programmes.models import Enrolment, Programme, TargetPopulation
from reviews.models import Review, ReviewCycle, ReviewState, SyncState

logger = logging.getLogger(__name__)

# A job with no batch done for this long is taken for dead (its worker stopped): the page
# offers to start it again, which is safe (sheets already created are left alone).
SYNC_STALE_AFTER = datetime.timedelta(minutes=10)


def check_cycle_dates(*, opens_on: datetime.date, closes_on: datetime.date) -> None:
    """A cycle closes on or after the day it opens."""
    if closes_on < opens_on:
        raise ValidationError(
            _("La date de clôture doit être postérieure ou égale à la date d’ouverture."),
            code="closes_before_opening",
        )


def cycle_open(
    *,
    programme: Programme,
    year: int,
    opens_on: datetime.date,
    closes_on: datetime.date,
    by,
    in_background: bool = True,
) -> ReviewCycle:
    """Open the programme's review cycle of `year` (one a year); one sheet, to prepare, per
    agent currently enrolled in the programme, led by the agent's manager of today, is then
    created by the background job (`cycle_sync_queue`), or here and now with
    `in_background=False` (the seeding commands, which go on with the sheets)."""
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
                sync_state=SyncState.QUEUED,
            )
    except IntegrityError as error:  # opened at the same moment by someone else
        raise ValidationError(
            _("Une campagne d’entretiens %(year)s existe déjà pour ce programme.") % {"year": year},
            code="year_taken",
        ) from error
    if in_background:
        cycle_sync_queue(cycle=cycle)
    else:
        cycle_sync_run(cycle_id=cycle.pk)
    cycle.refresh_from_db()
    return cycle


def cycle_sync_queue(*, cycle: ReviewCycle) -> bool:
    """Have the background job create the cycle's missing sheets (on opening, for agents
    enrolled since, or again after a failure). The task is sent once the cycle is committed;
    without a broker it runs here and now. False, and the cycle says so (NOT_QUEUED), when
    the broker refused it: `cycle_sync_queue` again once it is back."""
    from reviews.tasks import sync_cycle  # the task module imports this one

    ReviewCycle.objects.filter(pk=cycle.pk).update(sync_state=SyncState.QUEUED)
    cycle.sync_state = SyncState.QUEUED
    return enqueue(
        sync_cycle,
        cycle.pk,
        on_refused=lambda: ReviewCycle.objects.filter(
            pk=cycle.pk, sync_state=SyncState.QUEUED
        ).update(sync_state=SyncState.NOT_QUEUED),
    )


def cycle_sync_stale(cycle: ReviewCycle, now: datetime.datetime | None = None) -> bool:
    """Waiting or running with no batch done for SYNC_STALE_AFTER: its worker is gone (or the
    queue is long); starting it again is safe."""
    if not cycle.sync_active:
        return False
    last = cycle.sync_progress_at or cycle.sync_started_at or cycle.created_at
    return last is not None and (now or timezone.now()) - last > SYNC_STALE_AFTER


def cycle_sync_run(*, cycle_id: int, today: datetime.date | None = None) -> int:
    """The background job: create the cycle's missing sheets by batches, recording on the
    cycle the agents to cover, how many are covered so far and when, then DONE. Safe to run
    twice, or two at once: a sheet is unique per cycle and agent, and existing ones are left
    alone. Returns the number of sheets added."""
    today = today or timezone.localdate()
    cycle = ReviewCycle.objects.get(pk=cycle_id)
    populations = _populations(cycle)
    # A semi-join, not a DISTINCT over the enrolments: PostgreSQL's parallel hash aggregate,
    # misled by the population filter's estimate, took minutes at a million agents.
    total = Agent.objects.filter(
        Exists(_enrolled_agents(populations, today).filter(agent_id=OuterRef("pk")))
    ).count()
    started = timezone.now()
    ReviewCycle.objects.filter(pk=cycle_id).update(
        sync_state=SyncState.RUNNING,
        sync_started_at=started,
        sync_progress_at=started,
        sync_finished_at=None,
        sheets_total=total,
        sheets_done=0,
    )

    def progress(covered: int) -> None:
        ReviewCycle.objects.filter(pk=cycle_id).update(
            sheets_done=min(covered, total), sync_progress_at=timezone.now()
        )

    added = cycle_sync(cycle=cycle, today=today, on_batch=progress, populations=populations)
    ReviewCycle.objects.filter(pk=cycle_id).update(
        sync_state=SyncState.DONE,
        sheets_done=total,
        sheets_added=added,
        sync_finished_at=timezone.now(),
    )
    return added


def cycle_sync_failed(*, cycle_id: int) -> None:
    """The job stopped on an error (logged by the task): the page says so and offers to run
    it again; the sheets created so far stay."""
    ReviewCycle.objects.filter(pk=cycle_id).update(
        sync_state=SyncState.FAILED, sync_finished_at=timezone.now()
    )


def cycle_sync(
    *,
    cycle: ReviewCycle,
    today: datetime.date | None = None,
    batch_size: int | None = None,
    on_batch: Callable[[int], None] | None = None,
    populations: list[int] | None = None,
) -> int:
    """Add a sheet for each agent enrolled in the programme since the cycle opened (never
    removes one), and give a manager to the sheets still to prepare whose agent had none.
    Works by batches of `batch_size` enrolled agents (REVIEWS_SYNC_BATCH_SIZE), in agent
    order, each in its own transaction and in the same three queries whatever its size;
    `on_batch(agents covered so far)` runs in each batch's transaction. Running it twice
    changes nothing. Returns the number of sheets added."""
    today = today or timezone.localdate()
    size = batch_size or settings.REVIEWS_SYNC_BATCH_SIZE
    if populations is None:
        populations = _populations(cycle)
    added, covered, after = 0, 0, None
    while True:
        with transaction.atomic():
            upper = _batch_upper(populations, today, after, size)
            added += _add_sheets(cycle, populations, today, after, upper)
            _give_managers(cycle, after, upper)
            covered += size
            if on_batch is not None:
                on_batch(covered)
        if upper is None:
            sheets_changed(cycle.pk)
            return added
        after = upper


def sheets_changed(cycle_id: int) -> None:
    """Sheets of the cycle were added, or changed state or manager: its stored counts
    (`CycleCounts`) are out of date. Call in the writing transaction."""
    ReviewCycle.objects.filter(pk=cycle_id).update(sheets_version=F("sheets_version") + 1)


def units_changed() -> None:
    """Agents moved to other units in bulk (the HR list import): every cycle's stored counts
    (per unit) are out of date. A cycle per programme and year: a few rows."""
    ReviewCycle.objects.update(sheets_version=F("sheets_version") + 1)


def _populations(cycle: ReviewCycle) -> list[int]:
    """The programme's populations by id (one query): the batches' queries then read the
    enrolments by agent id in index order, and the planner knows they all count."""
    return list(
        TargetPopulation.objects.filter(programme_id=cycle.programme_id).values_list(
            "pk", flat=True
        )
    )


def _enrolled_agents(populations: list[int], today: datetime.date):
    """Ids of the agents enrolled today in these populations (once per enrolment)."""
    return (
        Enrolment.objects.current(today)
        .filter(population_id__in=populations)
        .order_by()
        .values_list("agent_id", flat=True)
    )


def _in_range(queryset, field: str, after: int | None, upper: int | None):
    """Rows whose `field` lies in the batch (after, upper]; None leaves the side open."""
    if after is not None:
        queryset = queryset.filter(**{f"{field}__gt": after})
    if upper is not None:
        queryset = queryset.filter(**{f"{field}__lte": upper})
    return queryset


def _batch_upper(populations, today, after: int | None, size: int) -> int | None:
    """The last agent id of the batch starting after `after`: the agent id of the size-th
    enrolment above it, read in the agent index's order, so that the query stops there
    whatever the headcount (an agent in two populations makes the batch one agent shorter;
    the batch still holds all their enrolments). None when fewer than `size` are left: the
    batch runs to the end."""
    ids = _in_range(_enrolled_agents(populations, today), "agent_id", after, None)
    last = list(ids.order_by("agent_id")[size - 1 : size])
    return last[0] if last else None


def _add_sheets(cycle, populations, today, after: int | None, upper: int | None) -> int:
    """One INSERT … SELECT: a sheet to prepare for each agent of the batch enrolled today and
    without one, led by their manager of today; ON CONFLICT DO NOTHING, so that a job run at
    the same time adds nothing twice. Returns the number of sheets added."""
    now = timezone.now()
    columns, values = [], {}
    for field in Review._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.name == "cycle":
            value = Value(cycle.pk, output_field=field.target_field)
        elif field.name == "agent":
            value = F("pk")
        elif field.name == "manager":
            value = F("manager_id")
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = Value(now, output_field=field)
        else:  # the model's default: to prepare, empty texts, no dates
            value = Value(field.get_default(), output_field=field)
        columns.append(connection.ops.quote_name(field.column))
        values[f"new_{field.column}"] = value
    enrolled = _in_range(_enrolled_agents(populations, today), "agent_id", after, upper)
    agents = (
        _in_range(Agent.objects.all(), "pk", after, upper)
        .filter(pk__in=enrolled)
        .filter(~Exists(Review.objects.filter(cycle_id=cycle.pk, agent_id=OuterRef("pk"))))
        .order_by()
        .annotate(**values)
        .values_list(*values)
    )
    select, params = agents.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(Review._meta.db_table)} "
            f"({', '.join(columns)}) {select} ON CONFLICT DO NOTHING",
            params,
        )
        return cursor.rowcount


def _give_managers(cycle, after: int | None, upper: int | None) -> int:
    """One UPDATE: the sheets of the batch still to prepare and without a manager go to the
    agent's manager, once the directory knows one."""
    orphans = _in_range(
        Review.objects.filter(
            cycle_id=cycle.pk,
            manager__isnull=True,
            state=ReviewState.TO_PREPARE,
            agent__manager__isnull=False,
        ),
        "agent_id",
        after,
        upper,
    )
    return orphans.update(
        manager_id=Subquery(Agent.objects.filter(pk=OuterRef("agent_id")).values("manager_id"))
    )
