"""The demo's accompaniment: two milestones held per population with their check-ins and
one to come, the programme's catalogue of resources and what agents made of some of them,
mentor offers and two mentorings (one waiting for a mentor, the demo agent's one paired),
dated by the demo's calendar (`dates`).

Every draw comes from a `random.Random` seeded with the demo seed and a stable name, walking
agents in matricule order, so the same database gives the same rows. The status snapshot of
a check-in is computed by the status engine on the milestone's date, with only the Pix
exports made before it imported (`build` imports them in date order around the
milestones), so no result newer than a milestone is read.

Idempotent like the rest of the demo: a milestone is keyed on its population, date and
title, and its check-ins are written with it only (a later run, reading newer results, would
draw others), a resource on its title, a use on its
resource and agent, an offer on its agent and competence, a mentoring on its mentee and
competence; what exists is left alone (a demo user may have edited it), only what is
missing is written.
"""

import datetime
import random
from dataclasses import dataclass, field

from agents.models import Agent, User
from campaigns.enums import CampaignKind, ParticipationStatus
from campaigns.models import Competence, CompetenceResult
from programmes import status
from programmes.accompaniment.checkins.services import milestone_counts_refresh
from programmes.demo.accompaniment_data import (
    BARRIER_COUNTS,
    BARRIER_WEIGHTS,
    COMMENTS,
    COMMENTS_WITHOUT_BARRIER,
    HARD,
    KEEPS_BARRIERS,
    LEA_DONE,
    LEA_GAP,
    LEA_STARTED,
    MENTOR_COMPETENCES,
    MENTORS_PER_COMPETENCE,
    NEXT_STEPS,
    OTHER_USES,
    RESOURCES,
    SEEN,
    TIME,
)
from programmes.demo.dates import DemoCalendar
from programmes.demo.results import PARIS
from programmes.enums import ProgressStatus, ResourceState, TargetKind
from programmes.models import (
    Barrier,
    CheckIn,
    Enrolment,
    Mentor,
    Mentoring,
    Milestone,
    Programme,
    Resource,
    ResourceUse,
    Target,
)


@dataclass
class AccompanimentSummary:
    milestones: int = 0
    checkins: int = 0
    resources: int = 0
    resource_uses: int = 0
    mentors: int = 0
    mentorings: int = 0


def _rng(seed: int, *names) -> random.Random:
    return random.Random(":".join([str(seed), *map(str, names)]))


def _weighted(rng: random.Random, weights):
    values, counts = zip(*weights, strict=True)
    return rng.choices(values, counts)[0]


def _draw_barriers(rng: random.Random, progress: int) -> list[str]:
    weights = list(BARRIER_WEIGHTS[progress])
    chosen = []
    for _ in range(_weighted(rng, BARRIER_COUNTS[progress])):
        label = _weighted(rng, weights)
        chosen.append(label)
        weights = [(value, weight) for value, weight in weights if value != label]
    return chosen


def _paris(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=PARIS)


@dataclass(frozen=True)
class PlannedCheckIn:
    agent_id: int
    status: int
    targets_met: int
    targets_set: int
    barriers: tuple[str, ...]
    comment: str
    next_step: str
    next_step_due: datetime.date | None


def plan_checkins(
    rng: random.Random,
    snapshot: list[tuple[int, str, int, int, int]],
    day: datetime.date,
    earlier: dict[int, PlannedCheckIn],
    *,
    demo_agent_id: int | None,
) -> list[PlannedCheckIn]:
    """The check-ins of one milestone from the population's `snapshot` on `day` (agent id,
    matricule, status, targets met, targets set), in matricule order; `earlier`: the
    previous milestone's check-ins by agent id. The demo agent is always seen."""
    planned = []
    for agent_id, _matricule, progress, met, targets in sorted(snapshot, key=lambda r: r[1]):
        seen = rng.random() < SEEN[progress]
        if not (seen or agent_id == demo_agent_id):
            continue
        before = earlier.get(agent_id)
        barriers = _draw_barriers(rng, progress)
        stuck = progress in (ProgressStatus.NOT_STARTED, ProgressStatus.STALLED)
        if before is not None and stuck and before.barriers and rng.random() < KEEPS_BARRIERS:
            barriers = list(before.barriers)
        if barriers:
            comment = rng.choice(COMMENTS[barriers[0]])
        else:
            comment = rng.choice(COMMENTS_WITHOUT_BARRIER[progress])
        next_step = rng.choice(NEXT_STEPS[progress])
        due = day + datetime.timedelta(days=rng.choice((14, 21, 30, 45)))
        planned.append(
            PlannedCheckIn(
                agent_id, progress, met, targets, tuple(barriers), comment, next_step, due
            )
        )
    return planned


def _lea_checkin(planned: PlannedCheckIn, index: int, day: datetime.date) -> PlannedCheckIn:
    """The demo agent's check-ins tell her story: short of time at the first milestone,
    stuck on security at the second, with a next step on the resource she started."""
    if index == 0:
        return PlannedCheckIn(
            planned.agent_id, planned.status, planned.targets_met, planned.targets_set, (TIME,),
            "Bonne progression depuis le lancement ; période chargée au bureau du courrier.",
            "Choisir une ressource sur la sécurité (4.1) dans le catalogue et la commencer",
            day + datetime.timedelta(days=30),
        )  # fmt: skip
    return PlannedCheckIn(
        planned.agent_id, planned.status, planned.targets_met, planned.targets_set, (HARD,),
        "Tous les objectifs atteints sauf la sécurité (4.1), bloquée au niveau 2.",
        f"Terminer l'e-learning « {LEA_STARTED} » et retenter la compétence 4.1",
        day + datetime.timedelta(days=40),
    )  # fmt: skip


@dataclass
class CheckinRun:
    """The milestones of each population and their check-ins, one milestone at a time: the
    demo imports the Pix exports up to a milestone's day, then records its check-ins, so
    that their status snapshot reads no result newer than the milestone."""

    programme: Programme
    demo_agent: Agent
    recorder: User
    seed: int
    summary: AccompanimentSummary
    earlier: dict[int, dict[int, PlannedCheckIn]] = field(default_factory=dict)

    def held(self, index: int, title: str, day: datetime.date) -> None:
        """Milestone number `index`, held on `day`, with its check-ins."""
        barriers = {b.label: b for b in Barrier.objects.filter(programme=self.programme)}
        for population in self.programme.populations.order_by("name"):
            milestone, created = self._milestone(population, title, day)
            if not created:  # held and recorded by an earlier run, since edited maybe
                continue
            snapshot = list(
                status.population_progress(population, today=day).values_list(
                    "agent_id", "agent__external_id", "progress_status", "targets_met",
                    "targets_set",
                )
            )  # fmt: skip
            planned = plan_checkins(
                _rng(self.seed, "checkins", population.name, index),
                snapshot,
                day,
                self.earlier.get(population.pk, {}),
                demo_agent_id=self.demo_agent.pk,
            )
            planned = [
                _lea_checkin(p, index, day) if p.agent_id == self.demo_agent.pk else p
                for p in planned
            ]
            self.earlier[population.pk] = {p.agent_id: p for p in planned}
            self.summary.checkins += _write_checkins(milestone, planned, barriers, self.recorder)

    def planned(self, title: str, day: datetime.date) -> None:
        """A milestone to come, without check-ins yet."""
        for population in self.programme.populations.order_by("name"):
            self._milestone(population, title, day)

    def _milestone(self, population, title, day) -> tuple[Milestone, bool]:
        milestone, created = Milestone.objects.get_or_create(
            population=population, date=day, title=title, defaults={"created_by": self.recorder}
        )
        self.summary.milestones += created
        return milestone, created


def _write_checkins(milestone, planned, barriers, recorder) -> int:
    known = set(milestone.checkins.values_list("agent_id", flat=True))
    missing = [p for p in planned if p.agent_id not in known]
    if not missing:
        return 0
    rows = CheckIn.objects.bulk_create(
        CheckIn(
            milestone=milestone,
            agent_id=p.agent_id,
            status=p.status,
            targets_met=p.targets_met,
            targets_set=p.targets_set,
            comment=p.comment,
            next_step=p.next_step,
            next_step_due=p.next_step_due,
            recorded_by=recorder,
        )
        for p in missing
    )
    CheckIn.barriers.through.objects.bulk_create(
        CheckIn.barriers.through(checkin_id=row.pk, barrier_id=barriers[label].pk)
        for row, p in zip(rows, missing, strict=True)
        for label in p.barriers
        if label in barriers  # an owner may have renamed a default barrier
    )
    # Recorded on the milestone's day, as an ambassador would have.
    moment = _paris(milestone.date, 14)
    CheckIn.objects.filter(pk__in=[row.pk for row in rows]).update(
        recorded_at=moment, updated_at=moment
    )
    milestone_counts_refresh(milestone=milestone)  # what checkin_record does
    return len(rows)


def build_resources(*, programme: Programme) -> tuple[dict[str, Resource], int]:
    """The catalogue, keyed on title; return the resources by title and how many were
    created."""
    existing = {r.title: r for r in Resource.objects.filter(programme=programme)}
    competences = {c.code: c for c in Competence.objects.all()}
    resources, created = dict(existing), 0
    for spec in RESOURCES:
        if spec.title in existing:
            continue
        resource = Resource.objects.create(
            programme=programme,
            title=spec.title,
            kind=spec.kind,
            level_min=spec.level_min,
            level_max=spec.level_max,
            url=spec.url,
            duration_minutes=spec.duration_minutes,
            provider=spec.provider,
            description=spec.description,
        )
        resource.competences.set([competences[code] for code in spec.competences])
        resources[spec.title] = resource
        created += 1
    return resources, created


def _latest_levels(programme: Programme) -> dict[tuple[int, str], int]:
    """(agent id, competence code) -> the latest shared level in the programme's profiles
    collections."""
    rows = (
        CompetenceResult.objects.filter(
            participation__campaign__programmes=programme,
            participation__campaign__kind=CampaignKind.PROFILES_COLLECTION,
            participation__status=ParticipationStatus.SHARED,
            participation__agent__isnull=False,
            level__isnull=False,
        )
        .order_by("observed_at", "pk")
        .values_list("participation__agent_id", "competence__code", "level")
    )
    return {(agent_id, code): level for agent_id, code, level in rows}


def _targets_by_agent(programme: Programme) -> dict[int, dict[str, int]]:
    """Agent id -> {competence code: the highest level target of their populations}."""
    rows = Target.objects.filter(
        population__programme=programme, kind=TargetKind.LEVEL, competence__isnull=False
    ).values_list("population_id", "competence__code", "level")
    by_population, targets = {}, {}
    for population_id, code, level in rows:
        by_population.setdefault(population_id, {})[code] = level
    for agent_id, population_id in Enrolment.objects.filter(
        population__programme=programme, end_date=None
    ).values_list("agent_id", "population_id"):
        mine = targets.setdefault(agent_id, {})
        for code, level in by_population.get(population_id, {}).items():
            mine[code] = max(level, mine.get(code, 0))
    return targets


def build_mentoring(
    *,
    programme: Programme,
    demo_agent: Agent,
    excluded: set[int],
    ambassador: User,
    seed: int,
    levels: dict,
    targets: dict,
    calendar: DemoCalendar,
) -> tuple[int, int]:
    """Mentor offers from agents at or above their target, then the demo agent paired with
    a mentor on her security gap, and another agent's request waiting for one."""
    rng = _rng(seed, "mentors")
    (_title, first), (_title, second) = calendar.milestones
    competences = {c.code: c for c in Competence.objects.filter(code__in=MENTOR_COMPETENCES)}
    matricules = dict(Agent.objects.filter(pk__in=targets).values_list("pk", "external_id"))
    created_mentors = 0
    mentors: dict[str, list[Mentor]] = {}
    for code in MENTOR_COMPETENCES:
        above = sorted(
            (
                agent_id
                for agent_id, wanted in targets.items()
                if code in wanted
                and agent_id not in excluded
                and levels.get((agent_id, code), 0) >= wanted[code]
            ),
            # The furthest above the target first.
            key=lambda agent_id: (
                targets[agent_id][code] - levels[agent_id, code],
                matricules[agent_id],
            ),
        )
        chosen = above[: MENTORS_PER_COMPETENCE * 2]
        chosen = sorted(rng.sample(chosen, min(MENTORS_PER_COMPETENCE, len(chosen))))
        for agent_id in chosen:
            mentor = Mentor.objects.filter(
                programme=programme, agent_id=agent_id, competence=competences[code]
            ).first()
            if mentor is None:
                mentor = Mentor.objects.create(
                    programme=programme, agent_id=agent_id, competence=competences[code]
                )
                Mentor.objects.filter(pk=mentor.pk).update(since=_paris(first, 16))
                created_mentors += 1
            mentors.setdefault(code, []).append(mentor)
    created_mentorings = 0
    security = mentors.get(LEA_GAP)
    if (
        security
        and not Mentoring.objects.filter(
            programme=programme, mentee=demo_agent, competence=competences[LEA_GAP]
        ).exists()
    ):
        mentoring = Mentoring.objects.create(
            programme=programme,
            mentee=demo_agent,
            competence=competences[LEA_GAP],
            mentor=security[0],
            paired_at=_paris(second, 11),
            paired_by=ambassador,
        )
        Mentoring.objects.filter(pk=mentoring.pk).update(requested_at=_paris(second, 9, 30))
        created_mentorings += 1
    created_mentorings += _pending_request(
        programme, competences, levels, targets, excluded, calendar.ago(9)
    )
    return created_mentors, created_mentorings


def _pending_request(programme, competences, levels, targets, excluded, day) -> int:
    """The first agent (matricule order) below the target on 1.1 asks for help on it."""
    code = "1.1"
    below = (
        Agent.objects.filter(pk__in=[a for a, wanted in targets.items() if code in wanted])
        .exclude(pk__in=excluded)
        .order_by("external_id")
        .values_list("pk", flat=True)
    )
    for agent_id in below:
        if levels.get((agent_id, code), 0) >= targets[agent_id][code]:
            continue
        if Mentoring.objects.filter(
            programme=programme, mentee_id=agent_id, competence=competences[code]
        ).exists():
            return 0
        mentoring = Mentoring.objects.create(
            programme=programme, mentee_id=agent_id, competence=competences[code]
        )
        Mentoring.objects.filter(pk=mentoring.pk).update(requested_at=_paris(day, 15))
        return 1
    return 0


def build_resource_uses(
    *,
    programme: Programme,
    resources: dict[str, Resource],
    demo_agent: Agent,
    targets: dict,
    seed: int,
    calendar: DemoCalendar,
) -> int:
    """The demo agent's two uses (one done and useful, one started) and some others drawn
    among enrolled agents on resources of their populations' competences."""
    rng = _rng(seed, "resource-uses")
    planned = {
        (resources[LEA_DONE].pk, demo_agent.pk): (ResourceState.DONE, True),
        (resources[LEA_STARTED].pk, demo_agent.pk): (ResourceState.STARTED, None),
    }
    catalogue = [resources[spec.title] for spec in RESOURCES if spec.title in resources]
    covered = {spec.title: set(spec.competences) for spec in RESOURCES}
    agents = sorted(
        Agent.objects.filter(pk__in=targets)
        .exclude(pk=demo_agent.pk)
        .values_list("external_id", "pk")
    )
    for _ in range(OTHER_USES):
        _matricule, agent_id = rng.choice(agents)
        fitting = [r for r in catalogue if covered.get(r.title, set()) & set(targets[agent_id])]
        if not fitting:
            continue
        resource = rng.choice(fitting)
        done = rng.random() < 0.55
        useful = _weighted(rng, ((True, 70), (False, 15), (None, 15))) if done else None
        planned.setdefault(
            (resource.pk, agent_id), (ResourceState.DONE if done else ResourceState.STARTED, useful)
        )
    known = set(
        ResourceUse.objects.filter(resource__programme=programme).values_list(
            "resource_id", "agent_id"
        )
    )
    missing = [(key, value) for key, value in planned.items() if key not in known]
    rows = ResourceUse.objects.bulk_create(
        ResourceUse(resource_id=resource_id, agent_id=agent_id, state=state, useful=useful)
        for (resource_id, agent_id), (state, useful) in missing
    )
    started = _paris(calendar.milestones[0][1], 10)
    ResourceUse.objects.filter(pk__in=[r.pk for r in rows]).update(
        started_at=started, updated_at=started
    )
    done = _paris(calendar.milestones[1][1], 10)
    ResourceUse.objects.filter(pk__in=[r.pk for r in rows], state=ResourceState.DONE).update(
        done_at=done, updated_at=done
    )
    return len(rows)


def build_accompaniment(
    *,
    programme: Programme,
    demo_agent: Agent,
    excluded: set[int],
    ambassador: User,
    seed: int,
    calendar: DemoCalendar,
    summary: AccompanimentSummary,
) -> AccompanimentSummary:
    """After the milestones held (`CheckinRun`): the milestone to come, the catalogue and
    its uses, mentors and mentorings. `excluded`: agents of the demo cast who volunteer for
    nothing and ask for nothing (the demo agent has her own story)."""
    CheckinRun(programme, demo_agent, ambassador, seed, summary).planned(*calendar.next_milestone)
    resources, summary.resources = build_resources(programme=programme)
    targets = _targets_by_agent(programme)
    levels = _latest_levels(programme)
    summary.resource_uses = build_resource_uses(
        programme=programme,
        resources=resources,
        demo_agent=demo_agent,
        targets=targets,
        seed=seed,
        calendar=calendar,
    )
    summary.mentors, summary.mentorings = build_mentoring(
        programme=programme,
        demo_agent=demo_agent,
        excluded=excluded | {demo_agent.pk},
        ambassador=ambassador,
        seed=seed,
        levels=levels,
        targets=targets,
        calendar=calendar,
    )
    return summary
