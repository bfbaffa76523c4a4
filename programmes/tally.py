"""Counting a population by its tally rows (`PopulationTally`) instead of its enrolments.

The database keeps the rows (triggers on programmes_enrolment, migrations 0020, 0025 and
0030): each INSERT, UPDATE or DELETE of enrolments adds, in its own transaction, one row per
group of what the status and the counts read (start and end dates, day of last activity,
shared, reached, targets met, reminder hold, day of last check-in) with how many enrolments
joined (+) or left (−) it.
Rows are only added, so no writer waits for another on a shared counter; `compact` merges a
population's rows into one per group (after each import's figures, and every night), so a
population's counts read a few thousand rows at most, whatever its head count: an
enrolment on the tally is one day of last activity among those its agents had, not a row
of its own.

The status of a group follows from its row and today, as `programmes.status` decides it from
an enrolment's stored state: not started without a day of activity; target reached;
stalled when the day of last activity is before the programme's cutoff day (`stall_cutoff`
is local midnight of that day); in progress otherwise. `drift` holds the tally to the
enrolments themselves (`manage.py check_progress`, nightly) and `rebuild` rewrites it."""

from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import (
    Count,
    DateField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from lib.bulk import lock_rows
from programmes.enums import ProgressStatus
from programmes.models import (
    NO_ACTIVITY,
    NO_CHECKIN,
    NO_HOLD,
    OPEN_END,
    Enrolment,
    PopulationTally,
    Programme,
    TargetPopulation,
)
from programmes.status import stall_cutoff_day

KEY = (
    "start_date",
    "end_date",
    "activity_day",
    "has_shared",
    "reached",
    "targets_met",
    "hold_day",
    "checkin_day",
)
# The same key as `_from_enrolments` computes it from the enrolments, population first.
ENROLMENT_KEY = (
    "population_id",
    "start_date",
    "tally_end",
    "tally_day",
    "has_shared",
    "reached",
    "targets_met",
    "tally_hold",
    "tally_checkin",
)


def current(rows: QuerySet, today: date) -> QuerySet:
    """The rows of enrolments current on `today` (EnrolmentQuerySet.current)."""
    return rows.filter(start_date__lte=today, end_date__gt=today)


def status_condition(status, programme: Programme, today: date) -> Q:
    """The tally rows of enrolments in `status` (`status.status_filter`'s partition)."""
    status = ProgressStatus(status)
    if status == ProgressStatus.NOT_STARTED:
        return Q(activity_day=NO_ACTIVITY)
    started = ~Q(activity_day=NO_ACTIVITY)
    if status == ProgressStatus.TARGET_REACHED:
        return started & Q(reached=True)
    cutoff_day = stall_cutoff_day(programme, today)
    if status == ProgressStatus.STALLED:
        return started & Q(reached=False, activity_day__lt=cutoff_day)
    return Q(reached=False, activity_day__gte=cutoff_day)


@dataclass(frozen=True)
class Group:
    """Current enrolments of one (targets met, shared) pair, counted by status."""

    targets_met: int
    has_shared: bool
    by_status: dict[ProgressStatus, int]


def grouped_counts(population: TargetPopulation, today: date) -> list[Group]:
    """The population's current enrolments counted by status, for each (targets met, shared)
    pair present. One query on its tally rows."""
    programme = population.programme
    sums = {
        progress.slug: Sum("n", filter=status_condition(progress, programme, today))
        for progress in ProgressStatus
    }
    rows = (
        current(PopulationTally.objects.filter(population_id=population.pk), today)
        .order_by()
        .values("targets_met", "has_shared")
        .annotate(**sums)
    )
    return [
        Group(
            row["targets_met"],
            row["has_shared"],
            {progress: row[progress.slug] or 0 for progress in ProgressStatus},
        )
        for row in rows
    ]


def head_count_subquery(today: date, population_ref: str = "pk") -> Coalesce:
    """For annotating populations: how many current enrolments each has (its tally summed)."""
    summed = (
        current(PopulationTally.objects.filter(population_id=OuterRef(population_ref)), today)
        .order_by()
        .values("population_id")
        .annotate(total=Sum("n"))
        .values("total")
    )
    return Coalesce(Subquery(summed, output_field=IntegerField()), 0)


# --- Merging and rewriting -----------------------------------------------------------------


def _sums(rows: QuerySet) -> QuerySet:
    return (
        rows.order_by()
        .values("population_id", *KEY)
        .annotate(total=Sum("n"))
        .exclude(total=0)
        .values_list("population_id", *KEY, "total")
    )


def compact(population_ids=None) -> int:
    """Merge the tally rows of these populations (every population's when None) into one
    per group, dropping the groups that sum to 0. On PostgreSQL one statement (the rows it
    deletes are the rows it sums, so a writer's rows added meanwhile stay as they are); on
    SQLite, whose writers wait for each other anyway, a read, a delete and a write in one
    transaction. Returns how many rows are left."""
    rows = PopulationTally.objects.all()
    if population_ids is not None:
        population_ids = list(population_ids)
        if not population_ids:
            return 0
        rows = rows.filter(population_id__in=population_ids)
    if connection.vendor == "postgresql":
        return _compact_postgresql(population_ids)
    with transaction.atomic():
        merged = [
            PopulationTally(
                population_id=row[0], **dict(zip(KEY, row[1:-1], strict=True)), n=row[-1]
            )
            for row in _sums(rows)
        ]
        rows.delete()
        PopulationTally.objects.bulk_create(merged, batch_size=500)
    return len(merged)


def _compact_postgresql(population_ids) -> int:
    table = PopulationTally._meta.db_table
    columns = ", ".join(("population_id", *KEY))
    where, params = "TRUE", []
    if population_ids is not None:
        where, params = "population_id = ANY(%s)", [population_ids]
    with connection.cursor() as cursor:
        # Only column and table names from the model are formatted in; values are parameters.
        cursor.execute(
            f"WITH gone AS (DELETE FROM {table} WHERE {where} "  # noqa: S608
            f"RETURNING {columns}, n) "
            f"INSERT INTO {table} ({columns}, n) "
            f"SELECT {columns}, sum(n) FROM gone GROUP BY {columns} HAVING sum(n) <> 0",
            params,
        )
        return cursor.rowcount


def _from_enrolments(enrolments: QuerySet) -> QuerySet:
    """The tally the enrolments make, computed from them: (population, key…, count)."""
    zone = timezone.get_default_timezone()
    return (
        enrolments.order_by()
        .annotate(
            tally_end=Coalesce(F("end_date"), Value(OPEN_END, output_field=DateField())),
            tally_day=Coalesce(
                TruncDate("last_activity", tzinfo=zone),
                Value(NO_ACTIVITY, output_field=DateField()),
            ),
            tally_hold=Coalesce(F("reminder_hold"), Value(NO_HOLD, output_field=DateField())),
            tally_checkin=Coalesce(F("checkin_day"), Value(NO_CHECKIN, output_field=DateField())),
        )
        .values(*ENROLMENT_KEY)
        .annotate(total=Count("pk"))
        .values_list(*ENROLMENT_KEY, "total")
    )


def _as_dict(rows) -> dict[tuple, int]:
    found: dict[tuple, int] = {}
    for *key, total in rows:
        found[tuple(key)] = found.get(tuple(key), 0) + total
    return {key: total for key, total in found.items() if total}


@dataclass(frozen=True)
class TallyDrift:
    """A group whose tally differs from its enrolments' count."""

    population_id: int
    key: tuple
    tallied: int
    counted: int


def drift(population_ids=None) -> list[TallyDrift]:
    """Every group (of these populations, all by default) whose tally differs from the
    count of its enrolments: each population's enrolments grouped once (a scan: nightly)."""
    populations = TargetPopulation.objects.order_by("pk")
    if population_ids is not None:
        populations = populations.filter(pk__in=list(population_ids))
    found = []
    for population_id in populations.values_list("pk", flat=True):
        tallied = _as_dict(_sums(PopulationTally.objects.filter(population_id=population_id)))
        counted = _as_dict(_from_enrolments(Enrolment.objects.filter(population_id=population_id)))
        for key in sorted(tallied.keys() | counted.keys(), key=str):
            if tallied.get(key, 0) != counted.get(key, 0):
                found.append(
                    TallyDrift(population_id, key[1:], tallied.get(key, 0), counted.get(key, 0))
                )
    return found


def rebuild(population_ids) -> None:
    """Rewrite these populations' tally from their enrolments, in one transaction that
    holds their enrolments (no write of theirs between the count and the rows)."""
    ids = sorted(set(population_ids))
    if not ids:
        return
    with transaction.atomic():
        enrolments = Enrolment.objects.filter(population_id__in=ids)
        lock_rows(enrolments)
        PopulationTally.objects.filter(population_id__in=ids).delete()
        PopulationTally.objects.bulk_create(
            [
                PopulationTally(
                    population_id=row[0], **dict(zip(KEY, row[1:-1], strict=True)), n=row[-1]
                )
                for row in _from_enrolments(enrolments)
            ],
            batch_size=500,
        )
