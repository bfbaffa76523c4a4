"""Reads that cross the agents and programmes apps."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Concat, Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from agents.models import Agent
from campaigns.models import CompetenceResult, Participation
from lib.pagination import page_number
from lib.queries import ProbedExists
from programmes import status, tally
from programmes.enums import ProgressStatus, TargetKind
from programmes.models import (
    Enrolment,
    PopulationTally,
    Programme,
    SharingConsent,
    Target,
    TargetPopulation,
    TeamStat,
    enrolled_on,
)


def visible_programme_or_404(user, slug) -> Programme:
    """The programme `slug` when `user` may see it; otherwise 404, whether it exists or not."""
    return get_object_or_404(Programme.objects.visible_to(user), slug=slug)


def _accompanied_populations(user):
    """The populations `user` accompanies or whose programme they own (a few rows; none for
    most users), as a subquery of ids."""
    return (
        TargetPopulation.objects.filter(
            Q(ambassadors=user) | Q(programme__ambassadors=user) | Q(programme__owners=user)
        )
        .order_by()
        .values("pk")
    )


def visible_agents(user, *, probed=True):
    """Agents whose identity `user` may see: what the agents app allows (self, reports, all for
    staff), plus the agents enrolled in the populations the user accompanies or whose programme
    the user owns.

    Each agent row is tested on its own (its reports' list hashed once, its enrolments probed
    by their agent index, lib.queries.ProbedExists): a page walked in name order stops at
    its last row, and a lookup by id reads one agent, never every enrolment of the user's
    populations. To count them all, `visible_agent_count`. `probed=False`: the enrolments
    hashed once instead, for a walk that reads far along the index (a deep page)."""
    if not user.is_authenticated:
        return Agent.objects.none()
    if user.is_staff:
        return Agent.objects.all()
    enrolled = Enrolment.objects.filter(
        agent_id=OuterRef("pk"), population_id__in=_accompanied_populations(user)
    )
    in_populations = ProbedExists(enrolled) if probed else Exists(enrolled)
    return Agent.objects.filter(Agent.objects.own_condition(user) | in_populations)


def _visible_ids(user, up_to=None):
    """The ids of `visible_agents` for a user who is not staff, as one UNION (each agent
    once): their own agent, their reports, their populations' enrolled agents. Read from
    those lists alone, where testing each agent would read the agents table whole.

    `up_to`: each list is read up to its `up_to` + 1st agent (the reports' walk stops there,
    the enrolled agents are read in agent order, each once, and stop there), so that the
    union holds more than `up_to` ids exactly when the whole one does, and all of them
    otherwise. The populations are read first (one query), so that PostgreSQL estimates
    their enrolments, rather than every enrolment of the table, and reads few of them."""
    populations = _accompanied_populations(user)
    if up_to is not None:
        populations = list(populations.values_list("pk", flat=True))
    enrolled = (
        Enrolment.objects.filter(population_id__in=populations)
        .order_by()
        .values_list("agent_id", flat=True)
        .distinct()
    )
    if up_to is not None:
        enrolled = enrolled.order_by("agent_id")[: up_to + 1]
    agent = getattr(user, "agent", None)
    if agent is None:
        return enrolled
    own = Agent.objects.filter(pk=agent.pk).order_by().values_list("pk", flat=True)
    reports = (
        Agent.objects.filter(pk__in=Agent.objects.report_ids(agent))
        .order_by()
        .values_list("pk", flat=True)
    )
    if up_to is not None:
        reports = reports[: up_to + 1]
        if not connection.features.supports_slicing_ordering_in_compound:
            # SQLite takes no LIMIT in a UNION's part: there, each part in a subquery of
            # agents. Not on PostgreSQL, which may answer that subquery by hashing the whole
            # agents table (120 ms at a million agents for 10,001 ids).
            parts = (enrolled, reports)
            enrolled, reports = (
                Agent.objects.filter(pk__in=part).order_by().values_list("pk", flat=True)
                for part in parts
            )
    return own.union(reports, enrolled)


def visible_agent_count(user, up_to=None) -> int:
    """How many agents `visible_agents` holds (see `_visible_ids`); past `up_to`, `up_to`
    + 1 (read in a time that `up_to` bounds, whatever the head count)."""
    if not user.is_authenticated:
        return 0
    if user.is_staff:
        agents = Agent.objects.order_by()
        if up_to is not None:
            return Agent.objects.filter(pk__in=agents.values("pk")[: up_to + 1]).count()
        return agents.count()
    count = _visible_ids(user, up_to).count()
    return count if up_to is None else min(count, up_to + 1)


# The agents list counts its agents up to this many; past it, it says « more than » and
# shows its first pages (a search finds the others): counting a million agents, or walking
# to their last page, would take seconds.
AGENTS_COUNTED_UP_TO = 10_000
# Up to this many agents, the agents list reads them and sorts them; past it, it walks the
# agents' name index (agent_name_idx) and stops at the page's last row: 12 reports among
# 100,000 agents would mean reading most of the index for them.
AGENTS_SORTED_UP_TO = 10_000
_LOWER_LAST, _LOWER_FIRST = Lower("last_name"), Lower("first_name")


# The first pages of a large agents list test each agent they walk past on its own; further
# on, the walk would test too many (page 200 of an ambassador's 26,000 agents: 40,000 agents
# probed, 0.5 s) and the user's enrolled agents are hashed once instead (0.1 s).
AGENT_PAGES_PROBED = 5


@dataclass
class AgentDirectory:
    """The agents list of a user: `agents`, the queryset to page; `count`, their number when
    known without a search (None: the paginator counts the names found), at most
    AGENTS_COUNTED_UP_TO; `more`, there are more than that."""

    agents: QuerySet
    count: int | None
    more: bool = False


def agent_directory(user, text="", page=1) -> AgentDirectory:
    """The agents list of `user`: their visible agents found by the search `text`, by name
    (their lower case, then the id). `page`: the page asked for (any value; only how far it
    reads is taken from it).

    Without a search, the list's ids are read once, up to AGENTS_COUNTED_UP_TO + 1: their
    number, and for a small list (up to AGENTS_SORTED_UP_TO) what its page is read by and
    sorted among (PostgreSQL cannot estimate the union and would read every agent to join
    them). A large one walks the name index instead, testing each agent on its own (hashing
    the user's enrolled agents past AGENT_PAGES_PROBED), and stops at the page's last row.
    A search reads the names found and sorts them. Both sorts are by a key the index does
    not hold (`|| ''`), so that PostgreSQL does not walk the whole index for a few rows."""
    if (text or "").strip():
        return AgentDirectory(_sorted_by_name(visible_agents(user).search(text)), None)
    ids = None
    if user.is_staff:
        count = visible_agent_count(user, up_to=AGENTS_COUNTED_UP_TO)
    else:
        ids = list(_visible_ids(user, up_to=AGENTS_COUNTED_UP_TO))
        count = len(ids)
    more = count > AGENTS_COUNTED_UP_TO
    count = min(count, AGENTS_COUNTED_UP_TO)
    if ids is None or more or count > AGENTS_SORTED_UP_TO:
        agents = visible_agents(user, probed=page_number(page) <= AGENT_PAGES_PROBED)
        return AgentDirectory(agents.order_by(_LOWER_LAST, _LOWER_FIRST, "pk"), count, more)
    return AgentDirectory(_sorted_by_name(Agent.objects.filter(pk__in=ids)), count)


def _sorted_by_name(agents):
    return agents.order_by(Concat(_LOWER_LAST, Value("")), _LOWER_FIRST, "pk")


def populations_with_counts(queryset, today=None):
    """Populations annotated with their current head count (their tally summed) and number
    of targets, each in its own subquery."""
    today = today or timezone.localdate()
    targets = (
        Target.objects.filter(population=OuterRef("pk"))
        .order_by()
        .values("population")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.select_related("programme").annotate(
        enrolled_count=tally.head_count_subquery(today),
        target_count=Coalesce(Subquery(targets, output_field=IntegerField()), 0),
    )


# How the population page sorts its agents (?tri=, "-" first for descending); ties by name.
# Names sort on their lower case, as the agents' name index (agent_name_idx) holds them: the
# first page by name walks that index instead of sorting the whole population.
NAME_ORDER = (Lower("agent__last_name"), Lower("agent__first_name"))
POPULATION_SORTS = {
    "nom": NAME_ORDER,
    "statut": (F("progress_status"),),  # numbered in the order of progress
    "activite": (F("last_activity"),),
    "objectifs": (F("targets_met"),),
}


# « Sans point d'étape depuis 60 jours »: the one period the population page filters by
# (?sans-point=60), and the ambassador's to-do counts.
QUIET_DAYS = 60


def without_checkin_since(enrolments, day):
    """`enrolments` whose agent has no check-in in the enrolment's population at a milestone
    dated `day` or later (none at all included): a condition on the stored day of their
    last check-in (`Enrolment.checkin_day`, kept by the database, migration 0030)."""
    return enrolments.filter(Q(checkin_day__isnull=True) | Q(checkin_day__lt=day))


def quiet_count(population, *, progress_status=None, today=None, quiet_days=QUIET_DAYS) -> int:
    """How many agents `population_agents(population, quiet_days=…, progress_status=…)`
    lists without a search: counted from the population's tally (the day of last check-in
    is on its key), a few rows whatever its size."""
    today = today or timezone.localdate()
    since = today - timedelta(days=quiet_days)
    rows = PopulationTally.objects.filter(population_id=population.pk, checkin_day__lt=since)
    if progress_status:
        rows = rows.filter(tally.status_condition(progress_status, population.programme, today))
    return tally.current(rows, today).aggregate(n=Sum("n"))["n"] or 0


def population_agents(
    population,
    *,
    query="",
    progress_status=None,
    sort="nom",
    today=None,
    quiet_days=None,
):
    """The population's current enrolments with their progress (`status.with_progress`),
    searched by the agent's names, e-mail or matricule, kept to those without a check-in
    for `quiet_days` days if given, kept to one status if given, sorted
    by a POPULATION_SORTS key ("-nom": descending; unknown: by name), then by name. Never
    active sorts as the oldest activity.

    A queryset: the page filters, sorts and pages it in the database. The status filter is
    a condition on the stored state (`status.status_filter`, an index range), not on the
    annotation, so PostgreSQL never evaluates the status of a row it leaves out."""
    today = today or timezone.localdate()
    enrolments = status.population_progress(population, today=today).select_related(
        "agent__org_unit"
    )
    if query:
        enrolments = enrolments.filter(agent__in=Agent.objects.search(query))
    if quiet_days:
        enrolments = without_checkin_since(enrolments, today - timedelta(days=quiet_days))
    if progress_status:
        enrolments = enrolments.filter(
            status.status_filter(progress_status, population.programme, today)
        )
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    if key not in POPULATION_SORTS:
        key, descending = "nom", False
    if key == "nom":  # never null: a plain direction, so that the index serves both
        order = [e.desc() if descending else e.asc() for e in NAME_ORDER]
    else:
        order = [
            e.desc(nulls_last=True) if descending else e.asc(nulls_first=True)
            for e in POPULATION_SORTS[key]
        ]
        order += [e.asc() for e in NAME_ORDER]
    return enrolments.order_by(*order, "agent__pk")


def population_rows(population, ids, *, today=None) -> list:
    """The enrolments `ids` (a page of `population_agents`' ids) with their progress and
    agent, in the order of `ids`. The page's ids are found first, sorting narrow rows, and
    only its rows are read whole."""
    found = status.population_progress(population, today=today).select_related("agent__org_unit")
    found = found.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


@dataclass(frozen=True)
class PopulationCounts:
    """A population's counts, from one grouped query on the stored state: its statuses, how
    many of its agents shared results (who contribute to them, for the privacy rule), and
    how many are in each (status value, targets met): the sizes of the segments a sorted
    page reads (`population_page_ids`)."""

    statuses: status.StatusCounts
    sharers: int
    met: dict


def population_counts(population, *, today=None) -> PopulationCounts:
    """The population's current enrolments counted by status, sharing and targets met.

    Read from the population's tally (programmes/tally.py: one row per group of enrolments
    of the same dates, day of last activity, sharing and targets met, summed by status in
    one query), never from its enrolments: the same few thousand rows at a million agents
    as at a thousand."""
    today = today or timezone.localdate()
    totals, sharers, met = defaultdict(int), 0, defaultdict(int)
    for group in tally.grouped_counts(population, today):
        for progress, n in group.by_status.items():
            totals[progress] += n
            sharers += n if group.has_shared else 0
            if n:
                met[(progress, group.targets_met)] += n
    statuses = status.StatusCounts({progress: totals[progress] for progress in ProgressStatus})
    return PopulationCounts(statuses, sharers, dict(met))


class SegmentedIds:
    """The ids of a sorted list made of consecutive segments of known sizes, each a queryset
    the database walks in order by an index (the agents' names, or the population's last
    activity): a slice reads only the segments it overlaps, each from its own offset (from
    its end, reversed, in its last quarter), in one query (UNION ALL of the sliced segments,
    sorted again by segment and order: at most a page of rows).

    For the paginator: `count()` is the sum of the sizes, so it never counts the list."""

    def __init__(self, segments, order):
        # [(queryset, size, its own order)]: a segment's order may leave out a column that
        # is constant in it (the list's order then sorts it the same).
        self.segments = segments
        self.order = order  # [(annotation name, descending)], after the segment number

    def count(self):
        return sum(size for _queryset, size, _order in self.segments)

    def __len__(self):
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("SegmentedIds: slices only")
        start, stop = key.start or 0, key.stop if key.stop is not None else self.count()
        overlaps, first = [], 0
        for number, (queryset, size, own) in enumerate(self.segments):
            low, high = max(start - first, 0), min(stop - first, size)
            first += size
            if low < high:
                overlaps.append((number, queryset, size, own, low, high))
        if len(overlaps) == 1:  # the ids alone, the narrowest rows to sort
            _number, queryset, size, own, low, high = overlaps[0]
            if _from_the_end(low, high, size):
                rows = queryset.order_by(*_order_by(_backward(own)), "-agent_id")
                return list(rows.values_list("pk", flat=True)[size - high : size - low])[::-1]
            rows = queryset.order_by(*_order_by(own), "agent_id")
            return list(rows.values_list("pk", flat=True)[low:high])
        parts = []
        for number, queryset, size, own, low, high in overlaps:
            rows = queryset.annotate(segment=Value(number)).values_list(
                "pk", "segment", *(name for name, _descending in self.order), "agent_id"
            )
            if _from_the_end(low, high, size):
                parts.append(
                    rows.order_by(*_order_by(_backward(own)), "-agent_id")[size - high : size - low]
                )
            else:
                parts.append(rows.order_by(*_order_by(own), "agent_id")[low:high])
        if not parts:
            return []
        combined = (
            parts[0]
            .union(*parts[1:], all=True)
            .order_by(
                "segment",
                *(f"-{name}" if descending else name for name, descending in self.order),
                "agent_id",
            )
        )
        return [row[0] for row in combined]


def population_page_ids(population, *, sort, progress_status, counts, today=None):
    """The ids of `population_agents(population, progress_status=, sort=)` (neither search
    nor check-in filter: `counts`, the population's PopulationCounts, gives the size of
    every segment) as SegmentedIds, so that no page sorts the whole population:

    - by name: one segment, walking the agents' name index (from its far end in its last
      quarter);
    - by status: one segment per status, in the order of the statuses, each by name;
    - by activity: those never active by name, then the others by their last activity
      (enrolment_activity_idx), ties by name (the other way round when descending);
    - by targets met: one segment per number of targets met, each by name.

    Where the database cannot slice the parts of a UNION (SQLite), the plain sorted
    queryset of `population_agents`."""
    today = today or timezone.localdate()
    key, descending = sort.removeprefix("-"), sort.startswith("-")
    if key not in POPULATION_SORTS:
        key, descending = "nom", False
    if not connection.features.supports_slicing_ordering_in_compound:
        return population_agents(
            population, progress_status=progress_status, sort=sort, today=today
        ).values_list("pk", flat=True)
    base = status.population_progress(population, today=today).annotate(
        ln=Lower("agent__last_name"), fn=Lower("agent__first_name")
    )
    statuses = [progress_status] if progress_status else list(ProgressStatus)
    if progress_status:
        base = base.filter(status.status_filter(progress_status, population.programme, today))
    names = [("ln", False), ("fn", False)]
    order = names  # the list's order; each segment's own may leave out what is constant in it
    if key == "nom":
        order = [("ln", descending), ("fn", descending)]
        segments = [(Q(), sum(counts.statuses.counts[s] for s in statuses), order)]
    elif key == "statut":
        segments = [
            (status.status_filter(s, population.programme, today), counts.statuses.counts[s], names)
            for s in statuses
        ]
    elif key == "activite":
        order = [("last_activity", descending), *names]
        never = ProgressStatus.NOT_STARTED
        started = sum(counts.statuses.counts[s] for s in statuses if s != never)
        segments = [
            (
                Q(last_activity__isnull=True),
                counts.statuses.counts[never] if never in statuses else 0,
                names,
            ),
            (Q(last_activity__isnull=False), started, order),
        ]
    else:  # "objectifs"
        sizes = defaultdict(int)
        for (value, met), n in counts.met.items():
            if value in statuses:
                sizes[met] += n
        segments = [(Q(targets_met=met), n, names) for met, n in sorted(sizes.items())]
    if descending and key != "nom":
        segments.reverse()
    return SegmentedIds(
        [(base.filter(condition), n, own) for condition, n, own in segments if n],
        order,
    )


def _from_the_end(low, high, size):
    """Whether rows `low` to `high` of a segment of `size` are read from its end: in its last
    quarter, where walking the index backwards reads a few rows. Around the middle the
    database sorts the segment either way, and sorts it faster forwards."""
    return size - high < low and size - high <= size // 4


def _backward(order):
    return [(name, not descending) for name, descending in order]


def _order_by(order):
    return [F(name).desc() if descending else F(name).asc() for name, descending in order]


def programmes_for_home(user):
    return (
        Programme.objects.visible_to(user)
        .annotate(population_count=Count("populations", distinct=True))
        .order_by("-start_date", "name")
    )


def populations_of_agent(agent, today=None):
    """The agent's current enrolments, with population, programme and targets."""
    return (
        Enrolment.objects.current(today)
        .filter(agent=agent)
        .select_related("population__programme")
        .prefetch_related(
            # One query for the targets with their competence and campaign (three apart).
            Prefetch(
                "population__targets",
                queryset=Target.objects.select_related("competence", "campaign"),
            )
        )
        .order_by("population__programme__name", "population__name")
    )


def enrolled_programme(agent, slug):
    """The programme `slug` in which `agent` (may be None) is currently enrolled, or None."""
    if agent is None:
        return None
    enrolment = (
        Enrolment.objects.current()
        .filter(agent=agent, population__programme__slug=slug)
        .select_related("population__programme")
        .first()
    )
    return enrolment.population.programme if enrolment else None


def active_consents_of_agent(agent):
    """The agent's active sharing consents, by programme id; one query."""
    return {
        consent.programme_id: consent
        for consent in SharingConsent.objects.active().filter(agent=agent)
    }


def accompanied_populations(user):
    return populations_with_counts(TargetPopulation.objects.with_ambassador(user))


# --- An agent's Pix results, per programme -----------------------------------------------------


@dataclass
class CompetenceLine:
    """One competence of an agent's results table: what is expected, what was last seen."""

    competence: object
    targets: list = field(default_factory=list)
    level_result: CompetenceResult | None = None  # latest from a profiles collection
    mastery_result: CompetenceResult | None = None  # latest from an assessment


@dataclass
class ProgrammeResults:
    participations: list
    latest: dict  # (competence_id, "level" | "mastery") -> CompetenceResult
    level_history: list = field(default_factory=list)  # shared level results, oldest first

    # The history table keeps the most recent observations: older ones stay in the database.
    HISTORY_COLUMNS = 6

    def history(self):
        """The agent's level per competence at each date a shared result was observed:
        (dates, rows of (competence, [level or None per date])), latest dates last."""
        by_day = defaultdict(dict)
        competences = {}
        for result in self.level_history:
            day = timezone.localdate(result.observed_at)
            by_day[day][result.competence_id] = result.level
            competences[result.competence_id] = result.competence
        dates = sorted(by_day)[-self.HISTORY_COLUMNS :]
        rows = [
            (competence, [by_day[day].get(competence.pk) for day in dates])
            for competence in sorted(competences.values(), key=lambda c: c.position)
        ]
        return dates, rows

    def lines(self, targets):
        """Rows for the competences that have a target or a result, in referential order."""
        lines = {}
        for target in targets:
            if target.kind != TargetKind.STAGE:
                line = lines.setdefault(target.competence_id, CompetenceLine(target.competence))
                line.targets.append(target)
        for (competence_id, kind), result in self.latest.items():
            line = lines.setdefault(competence_id, CompetenceLine(result.competence))
            setattr(line, f"{kind}_result", result)
        return sorted(lines.values(), key=lambda line: line.competence.position)

    def stage_lines(self, targets):
        """Stage targets with the stage last reached in their campaign."""
        reached = {}
        for participation in self.participations:  # newest first: the first one wins
            if participation.stage is not None:
                reached.setdefault(participation.campaign_id, participation)
        return [
            {"target": t, "participation": reached.get(t.campaign_id)}
            for t in targets
            if t.kind == TargetKind.STAGE
        ]


def agent_results_by_programme(agent, programme_ids):
    """For each programme, the agent's participations in its campaigns and the latest shared
    result per competence (level from profiles collections, mastery rate from assessments).
    Three queries whatever the number of programmes, campaigns and results."""
    if not programme_ids:
        return {}
    links = Programme.campaigns.through.objects.filter(programme_id__in=programme_ids)
    campaigns_of = defaultdict(set)
    for programme_id, campaign_id in links.values_list("programme_id", "campaign_id"):
        campaigns_of[programme_id].add(campaign_id)
    # A subquery, not a list of ids: the same queries run whether or not there is data.
    campaign_ids = links.values("campaign_id")
    participations = list(
        Participation.objects.filter(agent=agent, campaign_id__in=campaign_ids)
        .select_related("campaign")
        .order_by("-last_progress_at", "-pk")
    )
    results = (
        CompetenceResult.objects.filter(
            participation__agent=agent, participation__campaign_id__in=campaign_ids
        )
        .select_related("competence")
        .order_by("observed_at", "pk")
    )
    campaign_of = {p.pk: p.campaign for p in participations}
    latest_by_campaign = defaultdict(dict)
    history_by_campaign = defaultdict(list)
    for result in results:  # oldest first: the latest wins
        campaign = campaign_of.get(result.participation_id)
        if campaign is None:  # written between the two queries: next visit
            continue
        kind = "level" if campaign.gives_levels else "mastery"
        latest_by_campaign[campaign.pk][(result.competence_id, kind)] = result
        if kind == "level":
            history_by_campaign[campaign.pk].append(result)
    by_programme = {}
    for programme_id in programme_ids:
        ids = campaigns_of.get(programme_id, set())
        latest = {}
        for campaign_id in ids:
            for key, result in latest_by_campaign[campaign_id].items():
                if key not in latest or _newer(result, latest[key]):
                    latest[key] = result
        history = sorted(
            (r for campaign_id in ids for r in history_by_campaign[campaign_id]),
            key=lambda r: (r.observed_at, r.pk),
        )
        by_programme[programme_id] = ProgrammeResults(
            participations=[p for p in participations if p.campaign_id in ids],
            latest=latest,
            level_history=history,
        )
    return by_programme


def _newer(result, other):
    return (result.observed_at, result.pk) > (other.observed_at, other.pk)


# --- A manager's team ------------------------------------------------------------------------

TEAM_FIGURES = ("enrolled", "contributors", *(progress.slug for progress in ProgressStatus))


def team_figures_query(enrolments: QuerySet, today: date) -> QuerySet:
    """`enrolments`, annotated with their `progress_status` and grouped (`values(...)`
    first), annotated with the team figures of each group: the agents enrolled on `today`
    (`enrolled`), those who shared results (`contributors`), and the current enrolments in
    each status (keyed by its slug)."""
    current = enrolled_on(today)
    by_status = {
        progress.slug: Count("pk", filter=current & Q(progress_status=progress))
        for progress in ProgressStatus
    }
    return enrolments.annotate(
        enrolled=Count("agent", filter=current, distinct=True),
        contributors=Count("agent", filter=current & Q(has_shared=True), distinct=True),
        **by_status,
    )


def team_figures(enrolments: QuerySet, programmes: list[Programme], today: date) -> dict:
    """Per programme id, from the team's `enrolments`: the figures of `team_figures_query`.
    One grouped query on the stored state."""
    if not programmes:
        return {}
    rows = team_figures_query(
        status.with_progress(enrolments, programmes=programmes, today=today)
        .order_by()
        .values("population__programme_id"),
        today,
    )
    return {row.pop("population__programme_id"): row for row in rows}


def stored_team_figures(manager_id: int) -> tuple[dict, object]:
    """The manager's rows of the last refresh: per programme id the same figures as
    `team_figures`, and the oldest moment they were computed (None without any). One
    query."""
    rows = list(
        TeamStat.objects.filter(manager_id=manager_id).values(
            "programme_id", "computed_at", *TEAM_FIGURES
        )
    )
    computed = min((row.pop("computed_at") for row in rows), default=None)
    return {row.pop("programme_id"): row for row in rows}, computed
