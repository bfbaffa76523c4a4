"""Reads of check-ins: milestones and their progress, the run-through of a population, and
the check-ins shown on the agent's own page and on the agent page."""

from dataclasses import dataclass
from datetime import date

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Concat, Lower
from django.db.models.lookups import Exact, GreaterThan
from django.utils import timezone

from agents.models import Agent
from lib.pagination import page_number
from lib.queries import ProbedExists
from programmes import perms, status, tally
from programmes.accompaniment.checkins import tally as checkin_tally
from programmes.enums import ProgressStatus
from programmes.models import Barrier, CheckIn, Enrolment, Milestone, TargetPopulation


def _run_order(prefix=""):
    """The run-through's order (of agents, or through `prefix`): by name, case aside (the
    agents list's order, which agent_name_idx holds), then id."""
    return (Lower(f"{prefix}last_name"), Lower(f"{prefix}first_name"), f"{prefix}pk")


# The run-through visits agents in this order.
RUN_ORDER = _run_order()


def barriers_of(programme) -> QuerySet:
    """The programme's barriers in their order, with how many check-ins cite each."""
    return programme.barriers.annotate(checkin_count=Count("checkins")).order_by(
        "position", "label", "pk"
    )


def _ordered_barriers():
    return Prefetch("barriers", queryset=Barrier.objects.order_by("position", "label", "pk"))


def current_agent_ids(population: TargetPopulation, today: date) -> QuerySet:
    """Ids of the agents currently enrolled in the population (a subquery)."""
    return population.enrolments.current(today).values("agent_id")


def head_count_expression(today: date, population_ref: str = "pk"):
    """How many agents are currently enrolled in the population that `population_ref` names
    (an OuterRef), as an expression: its current enrolments, read from its tally
    (`tally.head_count_subquery`, a few rows whatever its size), less those of an agent
    enrolled twice at once (a dated leave, a new open enrolment), who counts once.

    Of an agent's current enrolments in a population, only one may be open
    (enrolment_one_open_per_population): each other ends on a date. So the extra ones are
    the dated current enrolments that another current enrolment of the agent outlasts (open,
    ending later, or the same day with a greater id), read by enrolment_pop_end_idx among
    the population's dated enrolments alone, never its open ones. (Counting the population's
    distinct agents read every enrolment: 168 ms for 988,961 enrolled.)"""
    extra = (
        Enrolment.objects.current(today)
        .filter(
            checkin_tally.outlasted(today),
            population=OuterRef(population_ref),
            end_date__isnull=False,
        )
        .order_by()
        .values("population")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return tally.head_count_subquery(today, population_ref) - Coalesce(
        Subquery(extra, output_field=IntegerField()), 0
    )


def head_count(population: TargetPopulation, today: date) -> int:
    """How many agents are currently enrolled in the population (`head_count_expression`):
    one query."""
    return (
        TargetPopulation.objects.filter(pk=population.pk)
        .annotate(n=head_count_expression(today))
        .values_list("n", flat=True)
        .get()
    )


def population_agents(population: TargetPopulation, today: date) -> QuerySet:
    """The agents currently enrolled in the population, each once, in run-through order."""
    return Agent.objects.filter(pk__in=current_agent_ids(population, today)).order_by(*RUN_ORDER)


def milestones_with_counts(population: TargetPopulation, today: date | None = None) -> QuerySet:
    """The population's milestones, latest first, with how many of its current agents are
    checked in at each (`checked_in`, from the check-ins' tally: a few rows a milestone,
    where counting its check-ins of current agents read each, 452 ms at a million agents)."""
    today = today or timezone.localdate()
    return population.milestones.annotate(
        checked_in=checkin_tally.checked_in_expression(today)
    ).order_by("-date", "-pk")


def current_milestone_of(population: TargetPopulation, today: date):
    """The population's current milestone, as a subquery of its id (OuterRef `population`
    names the population): the latest dated `today` or before, else the next one to come."""
    milestones = Milestone.objects.filter(population=population)
    past = milestones.filter(date__lte=today).order_by("-date", "-pk").values("pk")[:1]
    coming = milestones.filter(date__gt=today).order_by("date", "pk").values("pk")[:1]
    return Coalesce(Subquery(past), Subquery(coming))


def current_milestones_to_run(populations: QuerySet, today: date | None = None) -> list:
    """The current milestone (`current_milestone_of`) of each of `populations` that has one,
    with `remaining`: how many of the population's current agents have no check-in there yet
    (what `agents_not_checked_in`, the milestone's page, lists). One query whatever the
    number of populations and agents."""
    today = today or timezone.localdate()
    current_ids = populations.annotate(current=current_milestone_of(OuterRef("pk"), today)).values(
        "current"
    )
    # The population's head count less the milestone's check-ins of its current agents,
    # both from tallies, where testing each enrolment for a check-in read the whole
    # population (600 ms at a million agents).
    return list(
        Milestone.objects.filter(pk__in=current_ids)
        .annotate(
            remaining=head_count_expression(today, "population")
            - checkin_tally.checked_in_expression(today)
        )
        .order_by("population_id")
    )


def _checked_in(milestone):
    return Exists(CheckIn.objects.filter(milestone=milestone, agent=OuterRef("pk")))


@dataclass(frozen=True)
class MilestoneProgress:
    """How many of the population's current agents are checked in at a milestone."""

    done: int
    total: int

    @property
    def remaining(self):
        return self.total - self.done


def milestone_progress(milestone: Milestone, today: date | None = None) -> MilestoneProgress:
    """x / y checked in, in one query: the head count from the population's tally
    (`head_count_expression`), the check-ins of its current agents from the check-ins'
    tally (counting them read each: 295 ms at a million agents, half of them seen)."""
    today = today or timezone.localdate()
    done, total = (
        Milestone.objects.filter(pk=milestone.pk)
        .annotate(
            done=checkin_tally.checked_in_expression(today),
            total=head_count_expression(today, "population"),
        )
        .values_list("done", "total")
        .get()
    )
    return MilestoneProgress(done=done, total=total)


def agents_not_checked_in(milestone: Milestone, today: date | None = None) -> QuerySet:
    """The population's current agents without a check-in at the milestone, in order."""
    today = today or timezone.localdate()
    return (
        population_agents(milestone.population, today)
        .filter(~_checked_in(milestone))
        .select_related("org_unit")
    )


# Up to this many agents left to see, the milestone's page reads them all and sorts them;
# past it, it walks the agents in run-through order (agent_name_idx) and tests each on its
# own (enrolled, not checked in), stopping at the page's last row: sorting 39,000 agents
# left took 61 ms at 100,000 agents, a walk reads about a page over the population's share.
LEFT_SORTED_UP_TO = 10_000
# Past this page the walk would test too many agents (page 200 of 39,000: most of the
# agents table); the population's enrolments and check-ins are hashed once instead.
LEFT_PAGES_PROBED = 5


def agents_left_page(milestone: Milestone, left: int, page=1, today: date | None = None):
    """`agents_not_checked_in` as the milestone's page reads it: `left`, how many there are
    (`milestone_progress`), and `page`, the page asked for (any value), choose the plan (see
    LEFT_SORTED_UP_TO). The same agents in the same order either way."""
    today = today or timezone.localdate()
    if left <= LEFT_SORTED_UP_TO:
        # By a key agent_name_idx does not hold (`|| ''`): PostgreSQL reads the few agents
        # left and sorts them rather than walk the index for them.
        last, first, pk = RUN_ORDER
        return agents_not_checked_in(milestone, today).order_by(Concat(last, Value("")), first, pk)
    probed = page_number(page) <= LEFT_PAGES_PROBED
    test = ProbedExists if probed else Exists
    enrolled = milestone.population.enrolments.current(today).filter(agent_id=OuterRef("pk"))
    checked_in = CheckIn.objects.filter(milestone=milestone, agent_id=OuterRef("pk"))
    return (
        Agent.objects.filter(test(enrolled), ~test(checked_in))
        .select_related("org_unit")
        .order_by(*RUN_ORDER)
    )


def checkins_done(milestone: Milestone, today: date | None = None) -> QuerySet:
    """The check-ins of the population's current agents at the milestone, by agent."""
    today = today or timezone.localdate()
    return (
        milestone.checkins.filter(agent__in=current_agent_ids(milestone.population, today))
        .select_related("agent__org_unit", "recorded_by")
        .prefetch_related(_ordered_barriers())
        .order_by(*_run_order("agent__"))
    )


def with_status_displays(checkins, programme):
    """Give each check-in its status snapshot as a StatusDisplay (`progress`)."""
    displays = status.displays(programme)
    for checkin in checkins:
        checkin.progress = displays[ProgressStatus(checkin.status)]
    return checkins


# --- The run-through ------------------------------------------------------------------------


def _after(agent) -> Q:
    """Agents after `agent` in run-through order (its names lowered by the database too)."""
    last, first, _pk = RUN_ORDER
    its_last, its_first = Lower(Value(agent.last_name)), Lower(Value(agent.first_name))
    return (
        Q(GreaterThan(last, its_last))
        | Q(Exact(last, its_last), GreaterThan(first, its_first))
        | Q(Exact(last, its_last), Exact(first, its_first), pk__gt=agent.pk)
    )


def run_next_agent(milestone: Milestone, after: Agent | None = None, today=None) -> Agent | None:
    """The next agent without a check-in: after `after` in order, else from the start (never
    `after` itself); None when every agent is checked in."""
    today = today or timezone.localdate()
    waiting = agents_not_checked_in(milestone, today)
    if after is None:
        return waiting.first()
    return waiting.filter(_after(after)).first() or waiting.exclude(pk=after.pk).first()


@dataclass
class RunStep:
    """What the run-through screen shows for one agent."""

    agent: Agent
    position: int | None  # None past RUN_POSITION_UP_TO agents
    total: int
    remaining: int
    enrolment: Enrolment
    checkin: CheckIn | None
    previous: CheckIn | None
    skip_to: Agent | None


# Up to this many agents in the population, the run-through gives the agent's rank among
# them (« Agent 12 sur 340 »): counting those before an agent reads the population up to
# them (69 ms at 100,000 agents for 39,000 enrolled, 2 s at a million). Past it, how many
# are left, and of how many, alone.
RUN_POSITION_UP_TO = 10_000


def run_step(milestone: Milestone, agent: Agent, today: date | None = None) -> RunStep:
    """The agent at the milestone: their rank in the population (None in a population of
    more than RUN_POSITION_UP_TO agents), how many are left to see (this one aside), their
    status at the milestone date, their check-in if any, and their previous check-in in
    this population. A fixed number of queries (one fewer without the rank)."""
    today = today or timezone.localdate()
    population = milestone.population
    progress = milestone_progress(milestone, today)
    position = None
    if progress.total <= RUN_POSITION_UP_TO:
        before = (
            population_agents(population, today)
            .filter(~_after(agent) & ~Q(pk=agent.pk))
            .order_by()
            .count()
        )
        position = before + 1
    enrolment = (
        status.with_progress(
            population.enrolments.current(today).filter(agent=agent),
            programmes=[population.programme],
            today=min(milestone.date, today),
        )
        .order_by("-start_date")
        .first()
    )
    enrolment.progress = status.displays(population.programme)[
        ProgressStatus(enrolment.progress_status)
    ]
    checkin = milestone.checkins.filter(agent=agent).prefetch_related(_ordered_barriers()).first()
    # Those left, this agent aside (a current agent of the population).
    remaining = progress.remaining - (1 if checkin is None else 0)
    previous = (
        CheckIn.objects.filter(agent=agent, milestone__population=population)
        .filter(
            Q(milestone__date__lt=milestone.date)
            | Q(milestone__date=milestone.date, milestone__pk__lt=milestone.pk)
        )
        .select_related("milestone", "recorded_by")
        .prefetch_related(_ordered_barriers())
        .order_by("-milestone__date", "-milestone__pk")
        .first()
    )
    if previous is not None:
        with_status_displays([previous], population.programme)
    return RunStep(
        agent=agent,
        position=position,
        total=progress.total,
        remaining=remaining,
        enrolment=enrolment,
        checkin=checkin,
        previous=previous,
        skip_to=run_next_agent(milestone, after=agent, today=today),
    )


# --- The agent's own page and the agent page ------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    """The next step agreed at the agent's latest check-in in a population."""

    text: str
    due: date | None
    milestone: Milestone


@dataclass(frozen=True)
class MyCheckins:
    """The agent's check-ins in one population, latest first, and the next step agreed at
    the latest one (None when nothing was agreed there)."""

    checkins: list[CheckIn]
    next_step: NextStep | None


def checkins_for_my_page(agent: Agent, enrolments: list[Enrolment]) -> dict[int, MyCheckins]:
    """The agent's check-ins in the populations of their current enrolments (the sections of
    their page), as MyCheckins by population id; every population of `enrolments` has one.
    One or two queries for all enrolments together."""
    return {
        population_id: MyCheckins(checkins=checkins, next_step=_next_step(checkins))
        for population_id, checkins in _group_checkins(agent, enrolments).items()
    }


def _next_step(checkins):
    """What was agreed at the latest of `checkins` (latest first), or None."""
    latest = checkins[0] if checkins else None
    if latest is None or not latest.next_step:
        return None
    return NextStep(text=latest.next_step, due=latest.next_step_due, milestone=latest.milestone)


def checkins_for_agent_page(
    user, agent: Agent, enrolments: list[Enrolment]
) -> dict[int, list[CheckIn]]:
    """The agent's check-ins (latest first), by population id, in the populations of
    `enrolments` whose programme lets the user read the agent's check-in notes
    (perms.can_view_checkins, asked once per programme in the enrolments' order); a
    population the user may not read is missing. One query for the check-ins (two when
    there are some) plus the permission checks."""
    allowed = {}
    for enrolment in enrolments:
        programme = enrolment.population.programme
        if programme.pk not in allowed:
            allowed[programme.pk] = perms.can_view_checkins(user, agent, programme)
    return _group_checkins(
        agent, [enrolment for enrolment in enrolments if allowed[enrolment.population.programme_id]]
    )


def _group_checkins(agent, enrolments):
    """The agent's check-ins in the enrolments' populations, latest first, by population id,
    each with its status snapshot as a StatusDisplay (`progress`)."""
    populations = {enrolment.population_id: enrolment.population for enrolment in enrolments}
    grouped = {population_id: [] for population_id in populations}
    if not populations:
        return grouped
    displays = {
        population.programme_id: status.displays(population.programme)
        for population in populations.values()
    }
    checkins = (
        CheckIn.objects.filter(agent=agent, milestone__population__in=list(populations))
        .select_related("milestone", "recorded_by")
        .prefetch_related(_ordered_barriers())
        .order_by("-milestone__date", "-milestone__pk")
    )
    for checkin in checkins:
        population = populations[checkin.milestone.population_id]
        checkin.progress = displays[population.programme_id][ProgressStatus(checkin.status)]
        grouped[population.pk].append(checkin)
    return grouped
