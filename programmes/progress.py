"""The stored progress state of each enrolment, kept current in the transaction of every write
that changes it, so that a page of a million agents filters, counts and sorts statuses with
an index instead of recomputing them.

What is stored on `Enrolment` (the inputs of the status, never the status itself):
- `last_activity`: the latest `last_progress_at` of the agent's participations in the
  programme's campaigns (None: not started);
- `has_shared`: whether one of them is shared;
- `target_values`: per target of the population (by id), the value its rule reads: the latest
  shared level on its competence (profiles collections), the latest shared mastery rate on its
  competence in its campaign, the best stage reached in its campaign;
- `targets_set`, `targets_met`, `reached`: counted from those values.

The status follows with the day (`programmes.status.with_progress`): « stalled » is a
comparison of `last_activity` with today, so nothing flips at night.

The definition stays the live engine of `programmes.status` (`live_progress`): this module
states the rules `_live_rows` applies to the rows it reads, and `drift` compares the
stored state with it (`manage.py check_progress`, nightly).

Who keeps it current:
- a participation, a result, a target or an enrolment saved through the ORM (factories, the
  admin, the services' `save()`), and a campaign followed or no longer followed by a programme:
  the receivers at the end of this module;
- writes that bypass `save()` send `campaigns.signals.participations_changed` (an import's run,
  the matching services) or call these functions themselves (bulk enrolments, the purge).
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from campaigns.enums import CampaignKind, ParticipationStatus
from campaigns.models import CompetenceResult, Participation
from campaigns.signals import participations_changed
from lib.bulk import id_list, update_rows
from lib.drift import log_drifts
from programmes import tally
from programmes.enums import TargetKind
from programmes.models import Enrolment, Programme, Target, TargetPopulation

logger = logging.getLogger(__name__)

# Enrolments computed and written together: a bounded IN list and one UPDATE batch.
CHUNK = 2000
STORED_FIELDS = (
    "last_activity",
    "has_shared",
    "target_values",
    "targets_set",
    "targets_met",
    "reached",
)


# --- Values and counts ----------------------------------------------------------------------


def _stored_value(target: Target, value):
    """A value as JSON keeps it: mastery rates as their decimal text (exact comparisons)."""
    if value is None:
        return None
    if target.kind == TargetKind.MASTERY_RATE:
        return str(Decimal(value))
    return int(value)


def target_met(target: Target, value) -> bool:
    """Whether a stored value meets the target (exactly the live rule)."""
    if value is None:
        return False
    if target.kind == TargetKind.LEVEL:
        return target.level is not None and int(value) >= target.level
    if target.kind == TargetKind.MASTERY_RATE:
        return target.mastery_rate is not None and Decimal(value) >= target.mastery_rate
    return target.stage is not None and int(value) >= target.stage


@dataclass(frozen=True)
class _Counted:
    targets_set: int
    targets_met: int
    reached: bool


def _count(targets: list[Target], values: dict) -> _Counted:
    met = sum(1 for target in targets if target_met(target, values.get(str(target.pk))))
    return _Counted(len(targets), met, bool(targets) and met >= len(targets))


# --- Writing the stored state ---------------------------------------------------------------


def _live_rows(population: TargetPopulation, targets: list[Target], enrolments: dict[int, int]):
    """(pk, last activity, has shared, {target id: value}) of each enrolment ({pk: agent id}),
    from the agents' participations and results read flat (one query each, by the agent and
    result history indexes) and the rules applied here, as `programmes.status` states them:
    - last activity: the latest `last_progress_at` of the agent's participations in the
      programme's campaigns; has shared: one of them is shared;
    - a level target: the latest shared level (by observation, then row) on its competence
      across the programme's profiles collections;
    - a mastery-rate target: the latest shared mastery rate on its competence in its
      campaign, if the programme follows it;
    - a stage target: the best stage of a shared participation in its campaign, if followed.
    `drift` holds the result to the live engine."""
    campaigns = dict(
        Programme.campaigns.through.objects.filter(programme_id=population.programme_id)
        .order_by()
        .values_list("campaign_id", "campaign__kind")
    )
    last, shared = {}, set()
    best_stage: dict[tuple[int, int], int] = {}
    shared_participations: dict[int, tuple[int, int]] = {}  # pk: (agent, campaign)
    agent_ids = set(enrolments.values())
    # By the agents alone (participation_agent_idx), the campaigns kept here: a filter by
    # campaign could have the planner start from the whole campaign (see
    # `_latest_per_participation`). An agent's participations elsewhere are few.
    rows = Participation.objects.filter(agent_id__in=id_list(agent_ids)).order_by()
    for pk, agent_id, campaign_id, status, progress_at, stage in rows.values_list(
        "pk", "agent_id", "campaign_id", "status", "last_progress_at", "stage"
    ):
        if campaign_id not in campaigns:
            continue
        if agent_id not in last or progress_at > last[agent_id]:
            last[agent_id] = progress_at
        if status != ParticipationStatus.SHARED:
            continue
        shared.add(agent_id)
        shared_participations[pk] = (agent_id, campaign_id)
        if stage is not None and stage > best_stage.get((agent_id, campaign_id), -1):
            best_stage[(agent_id, campaign_id)] = stage
    latest = _latest_results(targets, campaigns, shared_participations)
    for pk, agent_id in enrolments.items():
        found = {}
        for target in targets:
            if target.kind == TargetKind.STAGE:
                value = best_stage.get((agent_id, target.campaign_id))
            elif target.kind == TargetKind.LEVEL:
                value = latest.get(("level", agent_id, None, target.competence_id))
            else:
                key = ("mastery_rate", agent_id, target.campaign_id, target.competence_id)
                value = latest.get(key)
            if value is not None:
                found[str(target.pk)] = _stored_value(target, value)
        yield pk, last.get(agent_id), agent_id in shared, found


def _latest_results(targets, campaigns: dict, shared_participations: dict) -> dict:
    """{(field, agent, campaign or None, competence): value} of the latest shared result
    each level or mastery-rate target reads (campaign None: across profiles collections)."""
    if not shared_participations:
        return {}
    level_competences = {
        target.competence_id for target in targets if target.kind == TargetKind.LEVEL
    }
    wanted_rates = {
        (target.campaign_id, target.competence_id)
        for target in targets
        if target.kind == TargetKind.MASTERY_RATE
    }
    profiles = [pk for pk, kind in campaigns.items() if kind == CampaignKind.PROFILES_COLLECTION]
    latest: dict[tuple, tuple] = {}  # key: (observed_at, pk, value)
    reads = [
        ("level", profiles, level_competences, lambda campaign: None),
        (
            "mastery_rate",
            sorted({campaign for campaign, _c in wanted_rates} & set(campaigns)),
            {competence for _campaign, competence in wanted_rates},
            lambda campaign: campaign,
        ),
    ]
    for field, campaign_ids, competences, key_campaign in reads:
        if not competences or not campaign_ids:
            continue
        wanted = set(campaign_ids)
        participation_ids = [
            pk for pk, (_agent, campaign) in shared_participations.items() if campaign in wanted
        ]
        rows = _latest_per_participation(field, participation_ids, competences)
        for participation_id, competence_id, value, observed_at, pk in rows:
            agent_id, campaign_id = shared_participations[participation_id]
            if field == "mastery_rate" and (campaign_id, competence_id) not in wanted_rates:
                continue
            key = (field, agent_id, key_campaign(campaign_id), competence_id)
            if key not in latest or (observed_at, pk) > latest[key][:2]:
                latest[key] = (observed_at, pk, value)
    return {key: value for key, (_at, _pk, value) in latest.items()}


def _latest_per_participation(field: str, participation_ids, competences):
    """(participation, competence, `field`, observed at, pk) of these participations' results
    where `field` is set: on PostgreSQL only the latest per participation and competence
    (DISTINCT ON, along the result history index), however long the history; elsewhere every
    row. The caller keeps the latest (by observation, then row) per key, as
    `programmes.status.latest_shared` does.

    Read by the participations' ids (the shared ones of the agents, in the campaigns wanted,
    which the caller has read), from the results table alone: joined to the participations
    and filtered by campaign instead, the planner could start from every participation of
    the campaign when its statistics do not know them yet (a first import, in its own
    transaction), and compare each with every agent of the chunk (28 s a chunk at 100,000
    agents, against 0.1 s)."""
    if not participation_ids:
        return []
    rows = CompetenceResult.objects.filter(
        participation_id__in=id_list(participation_ids),
        competence_id__in=competences,
        **{f"{field}__isnull": False},
    )
    if connection.features.can_distinct_on_fields:
        rows = rows.order_by("participation_id", "competence_id", "-observed_at", "-pk").distinct(
            "participation_id", "competence_id"
        )
    else:
        rows = rows.order_by()
    return rows.values_list("participation_id", "competence_id", field, "observed_at", "pk")


def _write(population: TargetPopulation, enrolment_ids: Iterable[int]) -> int:
    """Recompute the stored state of these enrolments of `population` (live) and write the
    ones that differ. Returns how many were written."""
    targets = list(population.targets.order_by("pk"))
    ids = list(enrolment_ids)
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = Enrolment.objects.filter(pk__in=id_list(chunk)).order_by()
        stored, agents = {}, {}
        for pk, agent_id, *state in rows.values_list("pk", "agent_id", *STORED_FIELDS):
            stored[pk], agents[pk] = tuple(state), agent_id
        changed = []
        for pk, last_activity, has_shared, values in _live_rows(population, targets, agents):
            counted = _count(targets, values)
            state = (
                last_activity,
                has_shared,
                values,
                counted.targets_set,
                counted.targets_met,
                counted.reached,
            )
            if stored.get(pk) != state:
                changed.append((pk, *state))
        written += update_rows(Enrolment, STORED_FIELDS, changed)
    return written


def _by_population(enrolments: QuerySet) -> dict[int, list[int]]:
    grouped: dict[int, list[int]] = {}
    for pk, population_id in enrolments.order_by().values_list("pk", "population_id"):
        grouped.setdefault(population_id, []).append(pk)
    return grouped


def _write_grouped(enrolments: QuerySet) -> int:
    grouped = _by_population(enrolments)
    populations = TargetPopulation.objects.in_bulk(list(grouped))
    return sum(_write(populations[pk], ids) for pk, ids in grouped.items())


def refresh_enrolments(enrolments: QuerySet) -> int:
    """Recompute the stored state of these enrolments; returns how many changed."""
    return _write_grouped(enrolments)


def refresh_agents(agent_ids, *, campaign_ids=None) -> int:
    """Recompute the stored state of the enrolments of these agents (ids, or a queryset of
    ids) in every programme that follows one of `campaign_ids` (every programme if None)."""
    enrolments = Enrolment.objects.filter(agent_id__in=agent_ids)
    if campaign_ids is not None:
        programmes = Programme.campaigns.through.objects.filter(campaign_id__in=campaign_ids)
        enrolments = enrolments.filter(
            population__programme_id__in=programmes.values("programme_id")
        )
    return _write_grouped(enrolments)


def refresh_population(population: TargetPopulation) -> int:
    """Recompute the stored state of every enrolment of the population."""
    return _write(population, population.enrolments.order_by("pk").values_list("pk", flat=True))


def refresh_programme(programme: Programme) -> int:
    """Recompute the stored state of every enrolment of the programme."""
    return sum(refresh_population(population) for population in programme.populations.all())


def recount_population(population: TargetPopulation) -> int:
    """After a threshold changed (not what a target reads), or a target was deleted: recount
    targets met from the stored values, without reading any result. Returns rows written."""
    targets = list(population.targets.order_by("pk"))
    keys = {str(target.pk) for target in targets}
    changed = []
    rows = population.enrolments.order_by("pk").values_list("pk", *STORED_FIELDS)
    for pk, _last, _shared, values, targets_set, targets_met, reached in rows.iterator(CHUNK):
        kept = {key: value for key, value in values.items() if key in keys}
        counted = _count(targets, kept)
        if (kept, counted.targets_set, counted.targets_met, counted.reached) != (
            values,
            targets_set,
            targets_met,
            reached,
        ):
            changed.append((pk, kept, counted.targets_set, counted.targets_met, counted.reached))
    fields = ("target_values", "targets_set", "targets_met", "reached")
    return update_rows(Enrolment, fields, changed)


def rebuild_all() -> int:
    """Recompute every enrolment's stored state (`check_progress --fix` and the migration
    that introduced it)."""
    return sum(
        refresh_population(population) for population in TargetPopulation.objects.order_by("pk")
    )


# --- Drift: the stored state against the live engine ----------------------------------------


@dataclass(frozen=True)
class Drift:
    """An enrolment whose stored state differs from the live engine's answer."""

    enrolment_id: int
    population_id: int
    stored: tuple
    live: tuple


def drift(enrolments: QuerySet | None = None) -> list[Drift]:
    """Every enrolment (of `enrolments`, all by default) whose stored inputs (last activity,
    targets set and met, has shared, target reached) differ from the live engine's, with
    each population's own targets. Population by population, in chunks."""
    from programmes.status import live_progress

    enrolments = Enrolment.objects.all() if enrolments is None else enrolments
    grouped = _by_population(enrolments)
    populations = TargetPopulation.objects.select_related("programme").in_bulk(list(grouped))
    found = []
    for population_id, ids in grouped.items():
        programme = populations[population_id].programme
        for start in range(0, len(ids), CHUNK):
            rows = live_progress(
                Enrolment.objects.filter(pk__in=id_list(ids[start : start + CHUNK])),
                programmes=[programme],
            ).values_list(
                "pk",
                "last_activity",
                "targets_set",
                "targets_met",
                "has_shared",
                "reached",
                "live_last_activity",
                "live_targets_set",
                "live_targets_met",
                "live_has_shared",
                "live_reached",
            )
            for pk, *both in rows:
                stored, live = tuple(both[:5]), tuple(both[5:])
                if stored != live:
                    found.append(Drift(pk, population_id, stored, live))
    return found


@dataclass(frozen=True)
class Check:
    """What `check` found: how many enrolments were read, those that drifted, how many of
    them were rewritten; the tally groups that differed from their enrolments' count
    (programmes/tally.py), rebuilt with `fix`."""

    checked: int
    drifted: list[Drift]
    fixed: int
    tally_drifted: list = dataclass_field(default_factory=list)


def check(*, fix: bool = False, programme: Programme | None = None) -> Check:
    """Compare the stored state of every enrolment (of `programme`, or all) with the live
    engine; with `fix`, recompute those that drifted. Then the same for the populations'
    tallies against their enrolments (with `fix`, rebuilt). Each drift is logged as an
    error: neither is meant ever to drift, so a drift is a bug in a write path."""
    enrolments = Enrolment.objects.all()
    populations = TargetPopulation.objects.all()
    if programme is not None:
        enrolments = enrolments.filter(population__programme=programme)
        populations = populations.filter(programme=programme)
    drifted = drift(enrolments)
    log_drifts(
        logger,
        drifted,
        "Stored progress drifted: enrolment %s (population %s) stored %s, live %s",
        lambda found: (found.enrolment_id, found.population_id, found.stored, found.live),
        "Stored progress drifted on %s enrolments in all",
    )
    fixed = 0
    if fix and drifted:
        fixed = refresh_enrolments(
            Enrolment.objects.filter(pk__in=[found.enrolment_id for found in drifted])
        )
    population_ids = list(populations.values_list("pk", flat=True))
    tally_drifted = tally.drift(population_ids)
    log_drifts(
        logger,
        tally_drifted,
        "Population tally drifted: population %s, group %s: tallied %s, counted %s",
        lambda found: (found.population_id, found.key, found.tallied, found.counted),
    )
    if fix and tally_drifted:
        tally.rebuild({found.population_id for found in tally_drifted})
    if fix:
        tally.compact(population_ids)
    return Check(
        checked=enrolments.count(), drifted=drifted, fixed=fixed, tally_drifted=tally_drifted
    )


# --- Who keeps it current -------------------------------------------------------------------


@receiver(participations_changed)
def _participations_changed(sender, campaign_ids, agent_ids, **kwargs):
    if agent_ids is None:
        agent_ids = Participation.objects.filter(
            campaign_id__in=campaign_ids, agent__isnull=False
        ).values("agent_id")
    refresh_agents(agent_ids, campaign_ids=campaign_ids)


def _participation_agents(participation: Participation) -> set[int]:
    agents = {participation.agent_id, getattr(participation, "loaded_agent_id", None)}
    return {pk for pk in agents if pk is not None}


# Saved only: a receiver of post_delete would make every QuerySet.delete() of participations
# (the purge: millions) load and signal them one by one; the purge recomputes by itself.
@receiver(post_save, sender=Participation)
def _participation_saved(sender, instance, **kwargs):
    agents = _participation_agents(instance)
    if agents:
        refresh_agents(agents, campaign_ids=[instance.campaign_id])
    instance.loaded_agent_id = instance.agent_id


@receiver(post_save, sender=CompetenceResult)
def _result_saved(sender, instance, **kwargs):
    participation = instance.participation
    if participation.agent_id is not None:
        refresh_agents([participation.agent_id], campaign_ids=[participation.campaign_id])


@receiver(post_save, sender=Target)
def _target_saved(sender, instance, created, **kwargs):
    if not created and getattr(instance, "loaded_identity", None) == instance.identity:
        recount_population(instance.population)
    else:
        refresh_population(instance.population)
    instance.loaded_identity = instance.identity


@receiver(post_delete, sender=Target)
def _target_deleted(sender, instance, **kwargs):
    population = TargetPopulation.objects.filter(pk=instance.population_id).first()
    if population is not None:  # not when the whole population goes
        recount_population(population)


@receiver(post_save, sender=Enrolment)
def _enrolment_saved(sender, instance, created, update_fields=None, **kwargs):
    """A new enrolment, or one saved with its agent or population (an end date alone changes
    nothing stored)."""
    if created or update_fields is None or {"agent", "population"} & set(update_fields):
        refresh_enrolments(Enrolment.objects.filter(pk=instance.pk))


@receiver(m2m_changed, sender=Programme.campaigns.through)
def _campaigns_followed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # campaign.programmes.add(...): instance is the campaign
        programmes = (
            Programme.objects.filter(pk__in=pk_set)
            if pk_set is not None
            else Programme.objects.all()
        )
        for programme in programmes:
            _refresh_followers(programme, [instance.pk])
    elif pk_set is None:  # programme.campaigns.clear()
        refresh_programme(instance)
    else:
        _refresh_followers(instance, list(pk_set))


def _refresh_followers(programme: Programme, campaign_ids: list[int]) -> None:
    agents = Participation.objects.filter(campaign_id__in=campaign_ids, agent__isnull=False).values(
        "agent_id"
    )
    refresh_enrolments(
        Enrolment.objects.filter(population__programme=programme, agent_id__in=agents)
    )
