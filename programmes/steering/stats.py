"""Precomputed figures of each population (`PopulationStat`), so that the owner's dashboard
reads a few rows whatever the number of agents and imports.

- `population_stats_refresh` reads the figures as of a day from the progress state stored on
  each enrolment (`programmes.progress`, held to the status engine) and stores them: after
  each import, every night, and from `refresh_stats`; `programme_stats_refresh` does so for
  each population of a programme, then counts its enrolments by unit of the organisation
  chart (steering/units.py).
- `population_stats_backfill` tells the story before the first refresh: for each month end,
  the same figures from what the Pix exports had shown up to that day (results, shares and
  progress observed by then, the targets in force then), so the evolution over time starts
  with the programme. It replays the status rules of DESIGN.md in memory over the history
  rows; a test holds it to the engine's answer for today.
"""

import calendar
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, F, Func, Q, QuerySet, TextField, Value
from django.utils import timezone

from campaigns.enums import CampaignKind, ParticipationStatus
from campaigns.models import CompetenceResult, Participation, ParticipationSnapshot
from programmes import tally
from programmes.enums import ProgressStatus, TargetKind
from programmes.models import (
    Enrolment,
    PopulationStat,
    Programme,
    TargetChange,
    TargetPopulation,
)
from programmes.progress import target_met
from programmes.status import stall_cutoff, status_filter
from programmes.steering.teams import team_stats_refresh
from programmes.steering.units import unit_stats_refresh
from programmes.targets import targets_applying_on

logger = logging.getLogger(__name__)

LEVELS = 9  # Pix levels 0 to 8
STATUS_FIELDS = {
    ProgressStatus.NOT_STARTED: "not_started",
    ProgressStatus.IN_PROGRESS: "in_progress",
    ProgressStatus.STALLED: "stalled",
    ProgressStatus.TARGET_REACHED: "reached",
}
COUNT_FIELDS = (
    "enrolled",
    *STATUS_FIELDS.values(),
    "started",
    "shared",
    "one_target_met",
    "all_targets_met",
)


# --- What a target is, in the stats rows -----------------------------------------------------


def target_entry_key(target) -> str:
    """ "1.1" for a level, "1.1@<campaign id>" for a mastery rate, "stage@<campaign id>"."""
    if target.kind == TargetKind.LEVEL:
        return target.competence.code
    if target.kind == TargetKind.MASTERY_RATE:
        return f"{target.competence.code}@{target.campaign_id}"
    return f"stage@{target.campaign_id}"


def _target_entry(target, enrolled: int) -> dict:
    if target.kind == TargetKind.LEVEL:
        label, value = f"{target.competence.code} {target.competence.name}", target.level
    elif target.kind == TargetKind.MASTERY_RATE:
        label = f"{target.competence.code} {target.competence.name} — {target.campaign.name}"
        value = float(target.mastery_rate)
    else:
        label, value = target.campaign.name, target.stage
    entry = {"kind": target.kind, "label": label, "target": value, "met": 0, "set": enrolled}
    if target.kind == TargetKind.LEVEL:
        entry["levels"] = [0] * LEVELS
    return entry


def _sorted_targets(targets):
    kinds = [TargetKind.LEVEL, TargetKind.MASTERY_RATE, TargetKind.STAGE]
    return sorted(
        targets,
        key=lambda t: (
            kinds.index(t.kind),
            t.competence.position if t.competence else 0,
            t.campaign_id or 0,
        ),
    )


# --- Today's figures, from the stored progress state ---------------------------------------


def population_figures(population: TargetPopulation, on: date) -> dict:
    """The population's figures as of `on`, read from the progress state stored on each
    enrolment (programmes/progress.py keeps it current; the live engine is its reference):
    grouped queries over the population's current enrolments, never a subquery per agent.

    - one query for the counts: statuses (`status_filter`), shared, one or all targets met;
    - one per target, the enrolments grouped by their stored value for it (a level, a mastery
      rate, a stage): who contributes (a value), who meets it (`progress.target_met`, the
      live rule) and, for a level, the distribution of levels;
    - one for the overlaps with the programme's other populations.

    So the cost is a few scans of the population's rows, whatever its history of results."""
    programme = population.programme
    targets = _sorted_targets(population.targets.select_related("competence", "campaign"))
    current = population.enrolments.current(on).order_by()
    aggregates = {
        "enrolled": Count("pk"),
        **{
            field: Count("pk", filter=status_filter(status, programme, on))
            for status, field in STATUS_FIELDS.items()
        },
        "shared": Count("pk", filter=Q(has_shared=True)),
        "one_target_met": Count("pk", filter=Q(targets_met__gte=1)),
        "all_targets_met": Count(
            "pk", filter=Q(targets_set__gt=0, targets_met__gte=F("targets_set"))
        ),
    }
    counts = current.aggregate(**aggregates)
    figures = {field: counts[field] for field in COUNT_FIELDS if field != "started"}
    figures["started"] = counts["enrolled"] - counts["not_started"]
    figures["targets_set"] = len(targets)
    per_target = {}
    for target in targets:
        entry = _target_entry(target, counts["enrolled"])
        entry["met"] = entry["contributors"] = 0
        for value, n in _stored_values(current, target):
            if target.kind == TargetKind.LEVEL:
                # The distribution shows levels 0–8; met and contributors are read from it,
                # as the backfill does.
                level = int(value)
                if 0 <= level < LEVELS:
                    entry["levels"][level] += n
            else:
                entry["contributors"] += n
                entry["met"] += n if target_met(target, value) else 0
        if target.kind == TargetKind.LEVEL:
            entry["met"] = sum(entry["levels"][target.level :])
            entry["contributors"] = sum(entry["levels"])
        per_target[target_entry_key(target)] = entry
    figures["per_target"] = per_target
    figures["overlaps"] = _overlaps(population, current, on)
    return figures


class _StoredValue(Func):
    """The stored value of a target (`Enrolment.target_values`, keyed by the target's id) as
    text. Not Django's key transform: it reads a key made of digits as an array index."""

    output_field = TextField()

    def __init__(self, target_id: int):
        super().__init__(F("target_values"), Value(str(target_id)))

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="jsonb_extract_path_text", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        values, key = self.source_expressions
        path = Value(f'$."{key.value}"')
        sql, params = compiler.compile(values)
        path_sql, path_params = compiler.compile(path)
        return f"JSON_EXTRACT({sql}, {path_sql})", (*params, *path_params)


def _stored_values(current: QuerySet, target) -> list[tuple]:
    """(stored value, how many enrolments) of `target` among `current`, for those that have
    one: one grouped query. The values are few (levels, stages, mastery rates to the
    hundredth or so), so each is judged once in Python by the live rule."""
    rows = (
        current.annotate(value=_StoredValue(target.pk))
        .filter(value__isnull=False)
        .values("value")
        .annotate(n=Count("pk"))
        .values_list("value", "n")
    )
    return list(rows)


def _overlaps(population: TargetPopulation, current: QuerySet, on: date) -> dict[str, int]:
    """Per other population of the programme, how many of this population's agents with
    shared results (the stored `has_shared`) are enrolled there too on `on` (the nonzero
    ones). One query."""
    sharers = current.filter(has_shared=True).values("agent_id")
    rows = (
        Enrolment.objects.current(on)
        .filter(population__programme=population.programme_id, agent_id__in=sharers)
        .exclude(population=population)
        .order_by()
        .values("population_id")
        .annotate(n=Count("agent_id", distinct=True))
    )
    return {str(row["population_id"]): row["n"] for row in rows}


def population_stats_refresh(*, population: TargetPopulation, on: date) -> PopulationStat:
    """Compute the population's figures as of `on` and store them, replacing that day's row
    if there is one (a second import the same day refreshes it)."""
    figures = population_figures(population, on)
    with transaction.atomic():
        stat, _ = PopulationStat.objects.update_or_create(
            population=population, on=on, defaults=figures
        )
    return stat


def programme_stats_refresh(*, programme: Programme, on: date) -> list[PopulationStat]:
    """Refresh every population of the programme as of `on`, and its enrolments counted by
    unit of the organisation chart (`units.unit_stats_refresh`) and each manager's team
    (`teams.team_stats_refresh`). Its populations' tallies are merged first
    (programmes/tally.py: what an import added, one row per group)."""
    tally.compact(programme.populations.values_list("pk", flat=True))
    refreshed = [
        population_stats_refresh(population=population, on=on)
        for population in programme.populations.select_related("programme")
    ]
    unit_stats_refresh(programme=programme, on=on)
    team_stats_refresh(programme=programme, on=on)
    return refreshed


def running_programmes(on: date):
    """Programmes whose period includes `on`: the ones the nightly refresh keeps up."""
    return Programme.objects.filter(start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on)
    )


def stats_refresh_all(*, on: date) -> int:
    """Refresh every population of every running programme; returns how many rows."""
    refreshed = 0
    for programme in running_programmes(on):
        refreshed += len(programme_stats_refresh(programme=programme, on=on))
    logger.info("Population stats refreshed as of %s: %s populations", on, refreshed)
    return refreshed


# --- The story so far, month by month ------------------------------------------------------


def month_ends(start: date, until: date) -> list[date]:
    """The last day of each month from `start`'s month to the month before `until`'s, then
    `until` itself."""
    days = []
    year, month = start.year, start.month
    while (year, month) < (until.year, until.month):
        days.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    days.append(until)
    return days


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@dataclass
class _Participation:
    id: int
    agent_id: int
    campaign_id: int
    gives_levels: bool
    shared_at: datetime | None
    known_at: datetime
    last_progress_at: datetime
    stage: int | None
    progress: datetime | None = None  # the latest progress seen so far in the replay
    snapshot_stage: int | None = None
    snapshot_shared: bool = False
    has_snapshot: bool = False


class _History:
    """A population's Pix history loaded once, replayed forward one month end at a time."""

    def __init__(self, population: TargetPopulation):
        self.population = population
        self.programme = population.programme
        self.enrolments = list(
            population.enrolments.values_list("agent_id", "start_date", "end_date")
        )
        agents = population.enrolments.values("agent_id")
        self.elsewhere = defaultdict(list)  # agent -> [(other population, start, end)]
        for agent, other, start, end in (
            Enrolment.objects.filter(agent_id__in=agents, population__programme=self.programme)
            .exclude(population=population)
            .values_list("agent_id", "population_id", "start_date", "end_date")
        ):
            self.elsewhere[agent].append((other, start, end))
        participations = Participation.objects.filter(
            agent_id__in=agents, campaign__programmes=self.programme
        ).values_list(
            "pk",
            "agent_id",
            "campaign_id",
            "campaign__kind",
            "status",
            "started_at",
            "shared_at",
            "last_progress_at",
            "stage",
            "first_import__exported_at",
            "first_import__uploaded_at",
        )
        self.participations = {}
        for (
            pk,
            agent,
            campaign,
            kind,
            state,
            started,
            shared_at,
            last,
            stage,
            exp,
            up,
        ) in participations:
            shared = state == ParticipationStatus.SHARED
            known = min(moment for moment in (started, shared_at, exp or up, last) if moment)
            self.participations[pk] = _Participation(
                pk,
                agent,
                campaign,
                kind == CampaignKind.PROFILES_COLLECTION,
                (shared_at or known) if shared else None,
                known,
                last,
                stage,
            )
        ids = list(self.participations)
        self.results = sorted(
            CompetenceResult.objects.filter(participation_id__in=ids).values_list(
                "observed_at", "pk", "participation_id", "competence_id", "level", "mastery_rate"
            )
        )
        self.snapshots = sorted(
            ParticipationSnapshot.objects.filter(participation_id__in=ids).values_list(
                "observed_at", "pk", "participation_id", "status", "stage"
            )
        )
        self.by_agent = defaultdict(list)
        for participation in self.participations.values():
            self.by_agent[participation.agent_id].append(participation)
        self.latest_level = {}  # (agent, competence) -> level
        self.latest_rate = {}  # (agent, competence, campaign) -> mastery rate
        self._results_done = self._snapshots_done = 0

    def advance(self, cutoff: datetime) -> None:
        """Take in every result and snapshot observed before `cutoff`."""
        while self._results_done < len(self.results):
            observed, _, pid, competence, level, rate = self.results[self._results_done]
            if observed >= cutoff:
                break
            self._results_done += 1
            participation = self.participations[pid]
            if participation.shared_at is None:
                continue  # results of a participation no longer shared do not count
            _bump(participation, observed)
            if level is not None and participation.gives_levels:
                self.latest_level[(participation.agent_id, competence)] = level
            if rate is not None:
                key = (participation.agent_id, competence, participation.campaign_id)
                self.latest_rate[key] = rate
        while self._snapshots_done < len(self.snapshots):
            observed, _, pid, state, stage = self.snapshots[self._snapshots_done]
            if observed >= cutoff:
                break
            self._snapshots_done += 1
            participation = self.participations[pid]
            _bump(participation, observed)
            participation.has_snapshot = True
            participation.snapshot_stage = stage
            participation.snapshot_shared = state == ParticipationStatus.SHARED

    def figures(self, on: date, targets) -> dict:
        cutoff = _end_of(on)
        self.advance(cutoff)
        stalled_before = stall_cutoff(self.programme, on)
        enrolled = {
            agent
            for agent, start, end in self.enrolments
            if start <= on and (end is None or end >= on)
        }
        figures = dict.fromkeys(COUNT_FIELDS, 0)
        figures["enrolled"] = len(enrolled)
        figures["targets_set"] = len(targets)
        entries = [(target_entry_key(t), t, _target_entry(t, len(enrolled))) for t in targets]
        for _key, _target, entry in entries:
            entry["contributors"] = 0
        overlaps = defaultdict(set)
        for agent in enrolled:
            known = [p for p in self.by_agent.get(agent, ()) if p.known_at < cutoff]
            if not known:
                figures["not_started"] += 1
                continue
            figures["started"] += 1
            if any(p.shared_at is not None and p.shared_at < cutoff for p in known):
                figures["shared"] += 1
                for other, start, end in self.elsewhere.get(agent, ()):
                    if start <= on and (end is None or end > on):
                        overlaps[str(other)].add(agent)
            met = 0
            for _, target, entry in entries:
                if self._met(agent, target, known, cutoff):
                    entry["met"] += 1
                    met += 1
                if self._has_result(agent, target, known, cutoff):
                    entry["contributors"] += 1
                if target.kind == TargetKind.LEVEL:
                    level = self.latest_level.get((agent, target.competence_id))
                    if level is not None and 0 <= level < LEVELS:
                        entry["levels"][level] += 1
            figures["one_target_met"] += met >= 1
            if targets and met == len(targets):
                figures["all_targets_met"] += 1
                figures["reached"] += 1
            elif _last_progress(known, cutoff) < stalled_before:
                figures["stalled"] += 1
            else:
                figures["in_progress"] += 1
        figures["per_target"] = {key: entry for key, _, entry in entries}
        figures["overlaps"] = {other: len(agents) for other, agents in overlaps.items()}
        return figures

    def _has_result(self, agent, target, known, cutoff) -> bool:
        """The agent contributes to the target's figure: a shared result for it."""
        if target.kind == TargetKind.LEVEL:
            return (agent, target.competence_id) in self.latest_level
        if target.kind == TargetKind.MASTERY_RATE:
            return (agent, target.competence_id, target.campaign_id) in self.latest_rate
        for participation in known:
            if participation.campaign_id != target.campaign_id:
                continue
            if participation.has_snapshot:
                shared, stage = participation.snapshot_shared, participation.snapshot_stage
            else:
                shared = participation.shared_at is not None and participation.shared_at < cutoff
                stage = participation.stage
            if shared and stage is not None:
                return True
        return False

    def _met(self, agent, target, known, cutoff) -> bool:
        if target.kind == TargetKind.LEVEL:
            level = self.latest_level.get((agent, target.competence_id))
            return level is not None and level >= target.level
        if target.kind == TargetKind.MASTERY_RATE:
            rate = self.latest_rate.get((agent, target.competence_id, target.campaign_id))
            return rate is not None and rate >= target.mastery_rate
        for participation in known:
            if participation.campaign_id != target.campaign_id:
                continue
            if participation.has_snapshot:
                shared, stage = participation.snapshot_shared, participation.snapshot_stage
            else:
                shared = participation.shared_at is not None and participation.shared_at < cutoff
                stage = participation.stage
            if shared and stage is not None and stage >= target.stage:
                return True
        return False


def _bump(participation: _Participation, moment: datetime) -> None:
    if participation.progress is None or moment > participation.progress:
        participation.progress = moment


def _last_progress(participations, cutoff) -> datetime:
    """The agent's latest progress seen before `cutoff`: the participation's own
    `last_progress_at` once it is past, else the latest start, share, snapshot or result."""
    moments = []
    for participation in participations:
        if participation.last_progress_at < cutoff:
            moments.append(participation.last_progress_at)
        else:
            candidates = [participation.known_at]
            if participation.shared_at is not None and participation.shared_at < cutoff:
                candidates.append(participation.shared_at)
            if participation.progress is not None:
                candidates.append(participation.progress)
            moments.append(max(candidates))
    return max(moments)


def _targets_on(population, day: date, current_targets, has_history: bool):
    """The targets in force on `day`; a population whose targets predate the history of
    changes is judged on its current ones."""
    if not has_history:
        return current_targets
    return targets_applying_on(population, day)


def population_stats_backfill(
    *, population: TargetPopulation, until: date, since: date | None = None, dry_run=False
) -> list[dict]:
    """Month-end figures of the population from the programme's start (or `since`) to
    `until`, rebuilt from the Pix history; stored unless `dry_run`. Returns the figures,
    each with its day under "on"."""
    programme = population.programme
    start = since or programme.start_date
    history = _History(population)
    current = _sorted_targets(population.targets.select_related("competence", "campaign"))
    has_history = TargetChange.objects.filter(population=population).exists()
    rows = []
    for day in month_ends(start, until):
        targets = _targets_on(population, day, current, has_history)
        figures = history.figures(day, targets)
        rows.append({"on": day, **figures})
    if not dry_run:
        with transaction.atomic():
            for row in rows:
                values = {key: value for key, value in row.items() if key != "on"}
                PopulationStat.objects.update_or_create(
                    population=population, on=row["on"], defaults=values
                )
    return rows
