"""Who is due a reminder on a given day, under each programme's rules.

The due set is one query for all programmes, filtered by the database: the status from the
stored progress state (`status.status_filter`, index-friendly), each programme's rules as SQL
conditions, one row per agent and programme (the first population that reminds them). Pages
count, sort and page it there, and the daily run claims it with one INSERT … SELECT
(services.reminders_claim)."""

import datetime
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    Expression,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from agents.models import Agent
from programmes import status
from programmes.enums import OutgoingStatus, ProgressStatus, ReminderKind
from programmes.models import (
    Enrolment,
    Programme,
    Reminder,
    ReminderOptOut,
    ReminderSettings,
    TargetPopulation,
)

DUE_STATUSES = {
    ProgressStatus.NOT_STARTED: ReminderKind.NOT_STARTED,
    ProgressStatus.STALLED: ReminderKind.STALLED,
}


@dataclass(frozen=True)
class Due:
    """An agent due a reminder of a programme, for their status in one population."""

    agent_id: int
    programme_id: int
    population_id: int
    kind: str
    email: str


def reminder_programmes(day: datetime.date) -> list[Programme]:
    """The programmes whose reminders are on and that run on `day` (started, not over)."""
    return list(
        Programme.objects.filter(reminder_settings__enabled=True, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .select_related("reminder_settings")
        .prefetch_related("quiet_periods")
        .order_by("pk")
    )


def is_quiet(programme: Programme, day: datetime.date) -> bool:
    """`day` falls in one of the programme's quiet periods (prefetched)."""
    return any(period.contains(day) for period in programme.quiet_periods.all())


def counted_reminders():
    """The reminders that count towards the maximum and the interval: all but cancelled."""
    return Reminder.objects.exclude(status=OutgoingStatus.CANCELLED)


def unreachable_agents() -> QuerySet:
    """The agents no reminder can reach: inactive, or without an e-mail address (no address
    is NULL, the column is unique: excluding "" alone would let it through). Few of them: read
    from their own partial index (agent_unreachable_idx), never the whole agents table."""
    return (
        Agent.objects.filter(Q(is_active=False) | Q(email__isnull=True) | Q(email=""))
        .order_by()
        .values("pk")
    )


class NoneOf(Expression):
    """The row's agent is none of `agents` (a queryset of agent ids, a UNION of several
    lists allowed): NOT EXISTS (SELECT 1 FROM (<agents>) AS held WHERE held.agent_id =
    agent_id). PostgreSQL turns it into one anti-join, hashed, merged or probed by index as
    the lists' sizes demand, and estimates it. `agent_id NOT IN (…)` is hashed only while
    the list fits in work_mem: past that (every agent reminded the day before, at a million
    agents), it scans the whole list for each row, for minutes; and a correlated EXISTS
    cannot hold the « maximum reached » list, which is a GROUP BY."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, agents: QuerySet, column: str = "agent_id"):
        super().__init__()
        self.agents, self.column = Subquery(agents), F(column)

    def get_source_expressions(self):
        return [self.agents, self.column]

    def set_source_expressions(self, expressions):
        self.agents, self.column = expressions

    def as_sql(self, compiler, connection):
        agents, agents_params = compiler.compile(self.agents)  # "(SELECT …)"
        column, column_params = compiler.compile(self.column)
        return (
            # Both parts are compiled expressions; the values are parameters.
            f"NOT EXISTS (SELECT 1 FROM {agents} AS held WHERE held.agent_id = {column})",  # noqa: S608
            (*agents_params, *column_params),
        )


def _programme_rules(
    programme: Programme, day: datetime.date, population_ids=None, *, walk=False, kind=None
) -> Q:
    """The enrolments of `programme` its rules remind on `day`, as a condition on the stored
    state and one list of agents held apart: a not-started agent `first_after_days` after
    their enrolment, a stalled one if the programme reminds stalled agents; none who opted
    out, who got the maximum, whose latest reminder is within the interval (a reminder's
    period is its ISO day, so "within" is a text comparison) or who cannot be reached.

    Those held apart are one UNION, anti-joined once (`NoneOf`): counting or claiming the
    whole set costs one pass over the due rows and one over the lists, whatever their
    sizes. `walk`: for a page walked by name instead (agent_name_idx, LIMIT), each list is
    checked row by row by its index (the agent's reminders by reminder_agent_idx, the
    unreachable by their partial index), the walk's order kept and nothing read whole.

    One per agent: the first of their populations (by id) where the rules remind them, among
    `population_ids` when given. A row of the programme's first population (in scope) is
    the first by definition: only the rows of its other populations look for an earlier
    one (an index probe each), never the whole due set joined to itself.

    `kind` (a ReminderKind): only the enrolments that kind of reminder is due for, the
    earlier populations still looked for among both kinds. One kind is one range of one
    progress index (see `due_set`)."""
    rules = programme.reminder_settings
    first_day = day - datetime.timedelta(days=rules.first_after_days)
    not_started = status.status_filter(ProgressStatus.NOT_STARTED, programme, day) & Q(
        start_date__lte=first_day
    )
    stalled = status.status_filter(ProgressStatus.STALLED, programme, day)
    wanted = (not_started | stalled) if rules.remind_stalled else not_started
    chosen = {
        None: wanted,
        ReminderKind.NOT_STARTED: not_started,
        # Nothing (no query) when the programme does not remind stalled agents.
        ReminderKind.STALLED: stalled if rules.remind_stalled else Q(pk__in=[]),
    }[kind]
    counted = counted_reminders().filter(programme=programme.pk).order_by()
    maxed = (
        counted.values("agent_id").annotate(n=Count("pk")).filter(n__gte=rules.max_count)
    ).values("agent_id")
    recent = counted.filter(
        period__gt=(day - datetime.timedelta(days=rules.interval_days)).isoformat()
    ).values("agent_id")
    opted_out = ReminderOptOut.objects.filter(programme=programme.pk).values("agent_id")
    if walk:
        agent = OuterRef("agent_id")
        held_apart = (
            ~Exists(opted_out.filter(agent_id=agent))
            & ~Exists(recent.filter(agent_id=agent))
            & ~Exists(unreachable_agents().filter(pk=agent))
            & ~Exists(maxed.filter(agent_id=agent))
        )
    else:
        held_apart = NoneOf(opted_out.union(maxed, recent, unreachable_agents(), all=True))
    # The agent's last activity in the programme, hence their kind, is the same in each of
    # its populations: only the enrolment's start and the population's targets differ.
    # Given `population_ids` (of the programme), they alone say which populations: no join
    # to the populations, so that PostgreSQL reads their ranges of the progress indexes in
    # parallel (joined, it read them one population after the other).
    if population_ids is None:
        in_programme = Q(population__programme=programme.pk)
    else:
        in_programme = Q(population_id__in=population_ids)
    earlier = (
        Enrolment.objects.current(day)
        .filter(
            in_programme,
            wanted,
            agent_id=OuterRef("agent_id"),
            population_id__lt=OuterRef("population_id"),
        )
        .order_by()
    )
    populations = TargetPopulation.objects.filter(programme=programme.pk)
    if population_ids is not None:
        populations = populations.filter(pk__in=population_ids)
    first_population = Subquery(populations.order_by("pk").values("pk")[:1])
    return (
        in_programme
        & chosen
        & held_apart
        # In this order: PostgreSQL evaluates an OR's arms as written, and stops at the first.
        & (Q(population_id=first_population) | ~Exists(earlier))
    )


def _due_enrolments(
    programmes: list[Programme], day: datetime.date, population_ids, *, walk=False, kind=None
) -> QuerySet:
    """The due set's enrolments (see `due_set`), without its annotations."""
    if population_ids is not None and len(programmes) != 1:
        # The ids alone restrict the rows (`_programme_rules`): one programme's rules.
        raise ValueError("population_ids: the populations of one programme")
    rules = Q()
    for programme in programmes:
        rules |= _programme_rules(programme, day, population_ids, walk=walk, kind=kind)
    return Enrolment.objects.current(day).filter(rules)


def due_set(
    programmes: list[Programme], day: datetime.date, population_ids=None, *, walk=False
) -> QuerySet:
    """The reminders due on `day`, every rule applied in the database (see `due_reminders`),
    one enrolment per agent and programme (the first of their populations where the rules
    remind them, by id), as a queryset to count, sort and page there: current enrolments, in
    `programmes` (their rules loaded, none in a quiet period), of an active agent with an
    e-mail address, annotated `programme_id` and `kind` (a ReminderKind value). Empty when
    `programmes` is. `population_ids`: only those populations' enrolments (with one
    programme, of its populations). `walk`: the same set, shaped for a page read in name
    order (see `_programme_rules`). To count it, `due_count`."""
    if not programmes:
        return Enrolment.objects.none()
    return _due_enrolments(programmes, day, population_ids, walk=walk).annotate(
        programme_id=F("population__programme_id"),
        kind=Case(
            When(last_activity__isnull=True, then=Value(ReminderKind.NOT_STARTED.value)),
            default=Value(ReminderKind.STALLED.value),
            output_field=CharField(),
        ),
    )


def due_count(programme: Programme, day: datetime.date, population_ids, kind: ReminderKind) -> int:
    """How many reminders of `kind` the programme's rules find due on `day` among the
    agents of `population_ids` (populations of the programme): the due set's rows of that
    kind, counted in the database. One query; none when the rules never remind that kind.

    One kind is one range of one progress index (enrolment_activity_idx for the not
    started, enrolment_progress_idx for the stalled), and those indexes hold all the set
    reads of an enrolment: counted without the set's annotations (their join to the
    populations), the range is read from the index alone, in parallel where PostgreSQL can.
    Both kinds at once are two ranges OR-ed, which visit every row: at a million agents,
    the reminders overview took 289 ms (ambassador of the 988,961-agent population) and
    397 ms (owner, three populations) with one count of both, 190 and 276 ms with these."""
    return _due_enrolments([programme], day, population_ids, kind=kind).count()


def day_programmes(day: datetime.date, programmes: list[Programme] | None = None):
    """`programmes` (by default those whose reminders are on and that run on `day`) but
    those in a quiet period on `day`."""
    programmes = programmes if programmes is not None else reminder_programmes(day)
    return [p for p in programmes if not is_quiet(p, day)]


def due_reminders(
    *,
    day: datetime.date,
    programmes: list[Programme] | None = None,
    population_ids: set[int] | None = None,
) -> list[Due]:
    """The reminders due on `day`: at most one per agent and programme; none in a quiet
    period, past the programme's maximum, or sooner than its interval after the last one; a
    not-started agent only `first_after_days` after their enrolment; a stalled one only if
    the programme reminds stalled agents. Agents who reached their target, left their
    population or whose programme is over are never candidates. `population_ids`: only
    agents of those populations (of the one programme given). One query (after the
    programmes, when not given)."""
    programmes = day_programmes(day, programmes)
    if not programmes:
        return []
    rows = due_set(programmes, day, population_ids).values_list(
        "agent_id", "programme_id", "population_id", "kind", "agent__email"
    )
    return [Due(*row) for row in rows.iterator(chunk_size=5000)]


def reminder_settings_of(programme: Programme) -> ReminderSettings:
    """The programme's rules; defaults (off) when never saved. Nothing is written."""
    try:
        return programme.reminder_settings
    except ReminderSettings.DoesNotExist:
        return ReminderSettings(programme=programme)
