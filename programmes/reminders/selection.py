"""Who is due a reminder on a given day, under each programme's rules.

The due set is one query for all programmes, filtered by the database: the status from the
stored progress state (`status.status_filter`, index-friendly), each programme's rules as SQL
conditions, one row per agent and programme (the first population that reminds them). Pages
count, sort and page it there, and the daily run claims it with one INSERT … SELECT
(services.reminders_claim)."""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
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
from programmes import status, tally
from programmes.enums import OutgoingStatus, ProgressStatus, ReminderKind
from programmes.models import (
    Enrolment,
    PopulationTally,
    Programme,
    Reminder,
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
        .values(agent_id=F("pk"))
    )


class NoneOf(Expression):
    """The row's agent is none of `agents` (a queryset of agent ids as `agent_id`): NOT
    EXISTS (SELECT 1 FROM (<agents>) AS held WHERE held.agent_id = agent_id). PostgreSQL
    turns it into one anti-join, hashed, merged or probed by index as the list's size
    demands, and estimates it; `agent_id NOT IN (…)` is hashed only while the list fits in
    work_mem, and past that scans the whole list for each row."""

    conditional = True
    output_field = BooleanField()
    test = "NOT EXISTS"

    def __init__(self, agents: QuerySet, column: str = "agent_id"):
        super().__init__()
        self.agents = Subquery(agents)
        self.column = F(column)

    def get_source_expressions(self):
        return [self.agents, self.column]

    def set_source_expressions(self, expressions):
        self.agents, self.column = expressions

    def as_sql(self, compiler, connection):
        agents, agents_params = compiler.compile(self.agents)
        column, column_params = compiler.compile(self.column)
        return (
            # Compiled expressions; the values are parameters.
            f"{self.test} (SELECT 1 FROM {agents} AS held WHERE held.agent_id = {column})",  # noqa: S608
            (*agents_params, *column_params),
        )


class OneOf(NoneOf):
    """The row's agent is one of `agents` (see `NoneOf`): a semi-join, which PostgreSQL may
    drive from the list (each agent's rows by enrolment_agent_idx) when it is small."""

    test = "EXISTS"


@dataclass(frozen=True)
class _Rules:
    """A programme's rules on one day, in parts (see `_programme_rules`): the enrolments of
    its populations (`in_programme`) that its rules choose (`chosen`, by their stored
    state; a not-started one from `first_day` on), those not held by their stored reminder
    hold (`not_held`), the agents no reminder can reach (`unreachable`, a list of agent
    ids), both together (`held_apart`: the row's agent is held apart by neither), and the
    test that a row is the agent's first due row (`first`: in the first population, else
    no `earlier` due row)."""

    in_programme: Q
    by_kind: dict  # ReminderKind -> Q
    first_day: datetime.date
    not_held: Q
    unreachable: QuerySet
    held_apart: Q
    first_population: Subquery
    earlier: QuerySet

    def chosen(self, kind=None) -> Q:
        """The enrolments the rules remind, of one kind or (None) of either."""
        return self.by_kind[kind]

    @property
    def first(self) -> Q:
        # In this order: PostgreSQL evaluates an OR's arms as written, and stops at the first.
        # has_earlier: only an agent enrolled in an earlier population of the programme can
        # have an earlier row (reminders/siblings.py); the others are not probed.
        return Q(population_id=self.first_population) | Q(has_earlier=False) | ~Exists(self.earlier)


def not_held(day: datetime.date) -> Q:
    """The enrolments their stored reminder hold lets be reminded on `day`
    (`Enrolment.reminder_hold`, reminders/holds.py: held while `day` is before it)."""
    return Q(reminder_hold__isnull=True) | Q(reminder_hold__lte=day)


def _rules(programme: Programme, day: datetime.date, population_ids=None, *, walk=False) -> _Rules:
    rules = programme.reminder_settings
    first_day = day - datetime.timedelta(days=rules.first_after_days)
    not_started = status.status_filter(ProgressStatus.NOT_STARTED, programme, day) & Q(
        start_date__lte=first_day
    )
    stalled = status.status_filter(ProgressStatus.STALLED, programme, day)
    wanted = (not_started | stalled) if rules.remind_stalled else not_started
    by_kind = {
        None: wanted,
        ReminderKind.NOT_STARTED: not_started,
        # Nothing (no query) when the programme does not remind stalled agents.
        ReminderKind.STALLED: stalled if rules.remind_stalled else Q(pk__in=[]),
    }
    unreachable = unreachable_agents()
    if walk:
        reachable = ~Exists(unreachable.filter(pk=OuterRef("agent_id")))
    else:
        reachable = NoneOf(unreachable)
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
    return _Rules(
        in_programme=in_programme,
        by_kind=by_kind,
        first_day=first_day,
        not_held=not_held(day),
        unreachable=unreachable,
        held_apart=not_held(day) & Q(reachable),
        first_population=first_population,
        earlier=earlier,
    )


def _programme_rules(
    programme: Programme, day: datetime.date, population_ids=None, *, walk=False, kind=None
) -> Q:
    """The enrolments of `programme` its rules remind on `day`, as a condition on the stored
    state: a not-started agent `first_after_days` after their enrolment, a stalled one if
    the programme reminds stalled agents; none whose stored reminder hold is still ahead
    (they opted out, got the maximum, or their latest reminder is within the interval:
    reminders/holds.py) or who cannot be reached (`unreachable_agents`, anti-joined once,
    `NoneOf`). `walk`: for a page walked by name instead (agent_name_idx, LIMIT), the
    unreachable are checked row by row by their partial index, the walk's order kept and
    nothing read whole.

    One per agent: the first of their populations (by id) where the rules remind them, among
    `population_ids` when given. A row of the programme's first population (in scope) is
    the first by definition: only the rows of its other populations look for an earlier
    one (an index probe each), never the whole due set joined to itself.

    `kind` (a ReminderKind): only the enrolments that kind of reminder is due for, the
    earlier populations still looked for among both kinds. One kind is one range of one
    progress index (see `due_set`)."""
    parts = _rules(programme, day, population_ids, walk=walk)
    return parts.in_programme & parts.chosen(kind) & parts.held_apart & parts.first


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
    order (see `_programme_rules`). To count it, `due_counts`."""
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


def due_counts(programme: Programme, day: datetime.date, population_ids) -> dict[str, int]:
    """How many reminders of each kind (ReminderKind values) the programme's rules find due
    on `day` among the agents of `population_ids` (populations of the programme: the first
    by id is the first of them): the due set's rows of each kind. One query; none when no
    population is given.

    Counted without reading the due rows: each kind's candidates not held by their stored
    reminder hold (current enrolments whose stored state the rules choose), summed from the
    populations' tally rows (`programmes.tally`, a few thousand rows whatever the head
    count: the hold is on their key), less those the set leaves out, found from the other
    side: the rows of the agents no reminder can reach (few; probed from their list,
    enrolment_agent_idx) and those of the populations after the first that have an
    earlier due row (a probe each). Its cost follows that list and the later populations'
    candidates not held, not the head count nor how many were reminded: at a million
    agents, about 1 ms of SQL for the ambassador of the largest population and 70–80 ms
    for the owner of three before any sending (18,114 later candidates probed), where
    reading the due rows took 95 and 190 ms, and 0.6–0.7 s once most had been reminded."""
    found = {kind.value: 0 for kind in ReminderKind}
    ids = sorted(population_ids)
    rules = programme.reminder_settings
    kinds = [ReminderKind.NOT_STARTED] + ([ReminderKind.STALLED] if rules.remind_stalled else [])
    if not ids:
        return found
    parts = _rules(programme, day, ids)
    # The tally's rows of the enrolments `parts.chosen(kind) & parts.not_held` chooses.
    free = Q(hold_day__lte=day)  # NO_HOLD, or a hold that is past
    tallied = {
        ReminderKind.NOT_STARTED: tally.status_condition(ProgressStatus.NOT_STARTED, programme, day)
        & Q(start_date__lte=parts.first_day)
        & free,
        ReminderKind.STALLED: tally.status_condition(ProgressStatus.STALLED, programme, day) & free,
    }
    candidates = tally.current(PopulationTally.objects.filter(population_id__in=ids), day)
    params, columns = [], []
    for kind in kinds:
        rows = Enrolment.objects.current(day).filter(
            parts.in_programme, parts.chosen(kind), parts.not_held
        )
        terms = [
            ("COALESCE(SUM(n), 0)", candidates.filter(tallied[kind]).values("n")),
            ("COUNT(*)", rows.filter(OneOf(parts.unreachable)).values("pk")),
        ]
        if len(ids) > 1:  # else no later population: nothing to take away
            later = rows.filter(population_id__in=ids[1:], has_earlier=True).filter(
                NoneOf(parts.unreachable), Exists(parts.earlier)
            )
            terms.append(("COUNT(*)", later.values("pk")))
        selects = []
        for total, queryset in terms:
            sql, sql_params = queryset.order_by().query.sql_with_params()
            selects.append(f"(SELECT {total} FROM ({sql}) AS part)")  # noqa: S608
            params.extend(sql_params)
        columns.append(" - ".join(selects))
    with connection.cursor() as cursor:
        # Compiled querysets only; every value is a parameter.
        cursor.execute("SELECT " + ", ".join(columns), params)
        for kind, count in zip(kinds, cursor.fetchone(), strict=True):
            found[kind.value] = count
    return found


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
