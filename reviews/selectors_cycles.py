"""Reads of review cycles for the owner: the cycles of a programme, the progress of one
cycle (counts only: every sheet overall, then per pôle or direction and per service), and
the year-on-year share at target of each population.

Privacy (DESIGN.md): under self-assessment, owners see no figure for a group of fewer than
5 sheets (« moins de 5 »), nor one that would tell such a group by subtraction from a total
they see (`suppress`); a population's share at target, year by year, follows the
dashboard's rule (fewer than 5 agents who shared results, or fewer than 5 apart from
another figure)."""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agents.models import OrgUnit
from lib import charts
from programmes import perms
from programmes.models import PopulationStat
from programmes.steering.figures import small_group_text, withheld_populations
from reviews.models import CycleCounts, Review, ReviewCycle, ReviewState

DONE_STATES = [ReviewState.HELD, ReviewState.CLOSED]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def cycles_of_programme(programme):
    """The programme's cycles, newest first. Their numbers of sheets, and of sheets held or
    closed: `with_sheet_counts`, on a page of them."""
    return (
        ReviewCycle.objects.filter(programme=programme).select_related("counts").order_by("-year")
    )


def with_sheet_counts(cycles) -> list:
    """Gives each cycle `sheets` and `done` (held or closed) from its stored counts
    (`counted_rows`): no query for a cycle whose counts are current."""
    cycles = list(cycles)
    for cycle in cycles:
        rows = counted_rows(cycle).rows
        cycle.sheets = sum(row["total"] for row in rows)
        cycle.done = sum(row[state] for row in rows for state in DONE_STATES)
    return cycles


def _state_counts():
    return {state.value: Count("pk", filter=Q(state=state.value)) for state in ReviewState} | {
        "total": Count("pk")
    }


COUNT_KEYS = [state.value for state in ReviewState] + ["total"]


@dataclass
class ProgressRow:
    """A set of sheets (the whole cycle, a pôle or direction, a service) counted per state,
    as the user may see them: `hidden` rows show « moins de 5 » in every cell."""

    name: str
    counts: dict
    direct: bool = False  # the agents attached to a pôle or direction itself
    hidden: bool = False

    @property
    def size(self) -> int:
        """The number of sheets, for the rule and the ordering (never shown when hidden)."""
        return self.counts["total"]

    @property
    def total(self):
        return small_group_text() if self.hidden else self.counts["total"]

    @property
    def states(self) -> list:
        if self.hidden:
            return [small_group_text()] * len(ReviewState)
        return [self.counts[state.value] for state in ReviewState]

    @property
    def done_percent(self) -> float | None:
        if self.hidden:
            return None
        done = sum(self.counts[state.value] for state in DONE_STATES)
        return _percent(done, self.counts["total"])


@dataclass
class ProgressGroup:
    """A pôle or direction (`row`, its sheets summed) and its services, each the org unit
    agents are attached to; no service line when the group is a single unit itself."""

    row: ProgressRow
    services: list[ProgressRow] = field(default_factory=list)


@dataclass
class CycleProgress:
    """The cycle's sheets per state: every sheet overall, then per pôle or direction and per
    service. `hidden_services` counts the service lines shown as « moins de 5 »."""

    overall: ProgressRow
    groups: list[ProgressGroup]
    without_manager: int
    aggregates_only: bool
    counted_at: datetime.datetime | None = None
    behind: bool = False  # a sheet changed since `counted_at` (counted again shortly)

    @property
    def hidden_services(self) -> int:
        return sum(row.hidden for group in self.groups for row in (group.services or [group.row]))


@dataclass
class ProgressLine:
    """A line of the progress table: a pôle or direction (`strong`) or one of its services
    (`group`: its pôle's row, named before it for screen readers)."""

    row: ProgressRow
    group: ProgressRow | None = None
    strong: bool = False


def progress_lines(progress: CycleProgress) -> list[ProgressLine]:
    """The table's lines below the overall one, pôles each followed by their services: the
    page shows them by pages of lines (an org chart of a thousand services is not one page)."""
    lines = []
    for group in progress.groups:
        lines.append(ProgressLine(group.row, strong=True))
        lines.extend(ProgressLine(service, group=group.row) for service in group.services)
    return lines


def _add(counts: dict, row: dict) -> None:
    for key in COUNT_KEYS:
        counts[key] += row[key]


def _chains(unit_ids) -> dict:
    """Per org unit id, its chain of (id, name) from its root down to itself. One query
    over the org tree (a few hundred units at most), whatever the number of sheets."""
    if not unit_ids:
        return {}
    units = {
        pk: (parent, name)
        for pk, parent, name in OrgUnit.objects.values_list("pk", "parent_id", "name")
    }
    chains = {}
    for unit_id in unit_ids:
        chain, node, seen = [], unit_id, set()
        while node is not None and node not in seen:  # `seen` stops on a cycle
            seen.add(node)
            parent, name = units[node]
            chain.append((node, name))
            node = parent
        chains[unit_id] = chain[::-1]
    return chains


def _common_depth(chains) -> int:
    """How many levels every chain shares from the root: the roll-up is one level below,
    where the services split into pôles or directions."""
    chains = list(chains)
    depth = 0
    while chains and all(
        len(chain) > depth and chain[depth] == chains[0][depth] for chain in chains
    ):
        depth += 1
    return depth


def suppress(rows: list[ProgressRow], minimum: int | None = None) -> None:
    """Hide, among the parts of one figure that is shown (the cycle's total, a pôle's), the
    rows of fewer than `minimum` sheets; then, while the hidden rows together hold a few
    sheets (at least one, fewer than the minimum) that the total minus the rows shown would
    tell, hide the smallest row still shown too. What can be found by subtraction is then
    nothing, or a group of at least the minimum (as programmes.steering withholds a figure
    a few agents apart from another)."""
    minimum = settings.PRIVACY_MIN_GROUP_SIZE if minimum is None else minimum
    for row in rows:
        row.hidden = row.hidden or perms.suppress_small_group(row.size)
    while 0 < sum(row.size for row in rows if row.hidden) < minimum:
        shown = [row for row in rows if not row.hidden]
        if not shown:
            break
        min(shown, key=lambda row: (row.size, row.name)).hidden = True


@dataclass
class Counted:
    """The cycle's sheets counted per org unit of their agent (dicts of `COUNT_KEYS`, with
    `agent__org_unit_id` and `without_manager`), and when: `behind` when a change came
    since, not counted yet (REVIEWS_PROGRESS_MIN_INTERVAL)."""

    rows: list[dict]
    counted_at: datetime.datetime
    behind: bool


def counted_rows(cycle: ReviewCycle, now: datetime.datetime | None = None) -> Counted:
    """The cycle's counts per org unit, as stored (`CycleCounts`: read with the cycle when
    it was loaded with `select_related("counts")`, else one query) when they are current (no
    sheet changed since: `sheets_version`), else counted again over every sheet, one query
    (two writers at once: the count of the older version is never stored over the newer
    one's). Counted again at most every REVIEWS_PROGRESS_MIN_INTERVAL seconds; in between the
    page shows the stored counts and their time. Counted again, changed or not, once older
    than REVIEWS_PROGRESS_MAX_AGE (an agent moved to another unit changes no sheet)."""
    now = now or timezone.now()
    try:
        stored = cycle.counts
    except CycleCounts.DoesNotExist:
        stored = None
    if stored is not None:
        age = (now - stored.counted_at).total_seconds()
        current = stored.version == cycle.sheets_version
        if age < settings.REVIEWS_PROGRESS_MAX_AGE and (
            current or age < settings.REVIEWS_PROGRESS_MIN_INTERVAL
        ):
            return Counted(stored.rows, stored.counted_at, behind=not current)
    # The version first: a sheet changed while counting leaves the count behind its version.
    version = ReviewCycle.objects.filter(pk=cycle.pk).values_list("sheets_version", flat=True)[0]
    rows = list(
        Review.objects.filter(cycle=cycle)
        .values("agent__org_unit_id")
        .annotate(**_state_counts(), without_manager=Count("pk", filter=Q(manager__isnull=True)))
        .order_by("agent__org_unit_id")
    )
    counted = {"rows": rows, "version": version, "counted_at": now}
    if not CycleCounts.objects.filter(cycle=cycle.pk, version__lte=version).update(**counted):
        # None yet, or a newer version's (which stays); another writer's first row stays too.
        CycleCounts.objects.get_or_create(cycle_id=cycle.pk, defaults=counted)
    cycle.counts = CycleCounts(cycle=cycle, **counted)
    cycle.sheets_version = version
    return Counted(rows, now, behind=False)


def cycle_progress(cycle, *, aggregates_only: bool) -> CycleProgress:
    """Every sheet of the cycle per state: overall, per pôle or direction (the org unit just
    below what all the cycle's services have in common) and per service (the agent's org
    unit). Under self-assessment, a line of fewer than 5 sheets shows « moins de 5 », and so
    does any line that would let a hidden one be found by subtraction (`suppress`); a hidden
    pôle hides its services. The counts stored on the cycle (`counted_rows`) and the org
    tree: one query whatever the number of sheets, and three more once a sheet changed."""
    counted = counted_rows(cycle)
    rows = counted.rows
    overall = ProgressRow(_("Ensemble de la campagne"), dict.fromkeys(COUNT_KEYS, 0))
    without_manager = 0
    for row in rows:
        _add(overall.counts, row)
        without_manager += row["without_manager"]
    chains = _chains([row["agent__org_unit_id"] for row in rows if row["agent__org_unit_id"]])
    depth = _common_depth(chains.values())
    groups: dict = {}
    for row in rows:
        counts = {key: row[key] for key in COUNT_KEYS}
        unit_id = row["agent__org_unit_id"]
        if unit_id is None:
            key, group_name = None, _("Sans service")
        else:
            chain = chains[unit_id]
            key, group_name = chain[min(depth, len(chain) - 1)]
        group = groups.setdefault(
            key, ProgressGroup(ProgressRow(group_name, dict.fromkeys(COUNT_KEYS, 0)))
        )
        _add(group.row.counts, row)
        if unit_id is None:
            continue
        below = [name for _pk, name in chain[min(depth, len(chain) - 1) + 1 :]]
        if below:
            group.services.append(ProgressRow(" › ".join(below), counts))
        else:  # agents attached to the pôle or direction itself
            direct = _("%(name)s (rattachement direct)") % {"name": group_name}
            group.services.append(ProgressRow(direct, counts, direct=True))
    ordered = sorted(groups.items(), key=lambda item: (item[0] is None, item[1].row.name))
    ordered = [group for _key, group in ordered]
    for group in ordered:
        group.services.sort(key=lambda row: (not row.direct, row.name))
        if len(group.services) == 1 and group.services[0].direct:
            group.services = []  # a single unit: its line is the group's
    if aggregates_only:
        overall.hidden = perms.suppress_small_group(overall.size)
        suppress([group.row for group in ordered])
        for group in ordered:
            if group.row.hidden:
                for service in group.services:
                    service.hidden = True
            else:
                suppress(group.services)
    return CycleProgress(
        overall, ordered, without_manager, aggregates_only, counted.counted_at, counted.behind
    )


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{formats.number_format(value, 1)} %"
    return str(value)


@dataclass
class YearShare:
    year: int
    values: dict = field(default_factory=dict)  # population id -> share (%) or « moins de 5 »


@dataclass
class YearOnYear:
    populations: list
    years: list[YearShare]

    def rows(self):
        """(year, [the share of each population as shown: "66,7 %", « moins de 5 », "—"])."""
        return [
            (point.year, [_shown(point.values.get(p.pk)) for p in self.populations])
            for point in self.years
        ]

    def chart(self):
        if not self.years or not self.populations:
            return None
        series = [
            charts.Series(
                population.name,
                [
                    value if isinstance(value, float) else None
                    for value in (point.values.get(population.pk) for point in self.years)
                ],
            )
            for population in self.populations
        ]
        return charts.line_chart(
            chart_id="chart-year-on-year",
            title=_("Part à l’objectif, année par année"),
            description=_(
                "Courbes : pour chaque population, la part des agents à l’objectif au dernier "
                "calcul de chaque année. Les chiffres sont dans le tableau qui suit."
            ),
            x_labels=[str(point.year) for point in self.years],
            series=series,
        )


def year_on_year(programme, *, aggregates_only: bool) -> YearOnYear:
    """Each population's share at target from the latest stats row of each year; under
    self-assessment, « moins de 5 » where the year's figure rests on the shared results of
    fewer than 5 agents or stands fewer than 5 agents apart from another population's
    (`withheld_populations`). Two queries, whatever the number of rows."""
    populations = list(programme.populations.order_by("name"))
    rows = (
        PopulationStat.objects.of_programme(programme)
        .order_by("on")
        .only("population_id", "on", "enrolled", "reached", "shared", "overlaps")
    )
    by_year: dict[int, dict] = {}
    for row in rows:  # by date: the year's last row wins
        by_year.setdefault(row.on.year, {})[row.population_id] = row
    years = []
    for year, latest in by_year.items():
        hidden = withheld_populations(latest, set()) if aggregates_only else set()
        point = YearShare(year)
        for population_id, row in latest.items():
            point.values[population_id] = (
                small_group_text()
                if population_id in hidden
                else _percent(row.reached, row.enrolled)
            )
        years.append(point)
    return YearOnYear(populations, years)
