"""Reads of review cycles for the owner: the cycles of a programme, the progress of one
cycle per service (counts only), and the year-on-year share at target of each population.

Privacy (DESIGN.md): under self-assessment, owners see no figure for a service of fewer than
5 sheets (« moins de 5 »), and totals leave such services out so that nothing hidden can be
found by subtraction; a population's share at target, year by year, follows the dashboard's
rule (fewer than 5 agents who shared results, or fewer than 5 apart from another figure)."""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import formats
from django.utils.translation import gettext as _

from lib import charts
from programmes import perms
from programmes.models import PopulationStat
from programmes.steering.figures import small_group_text, withheld_populations
from reviews.models import Review, ReviewCycle, ReviewState

DONE_STATES = [ReviewState.HELD, ReviewState.CLOSED]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def cycles_of_programme(programme):
    """The programme's cycles, newest first, with their number of sheets and of sheets held
    or closed. One query (per page)."""
    return (
        ReviewCycle.objects.filter(programme=programme)
        .annotate(
            sheets=Count("reviews"),
            done=Count("reviews", filter=Q(reviews__state__in=DONE_STATES)),
        )
        .order_by("-year")
    )


def _state_counts():
    return {state.value: Count("pk", filter=Q(state=state.value)) for state in ReviewState} | {
        "total": Count("pk")
    }


def service_rows(cycle):
    """Per service (the agent's org unit), the number of sheets in each state: a queryset of
    dicts, one per service, in name order (paginated by the view)."""
    return (
        Review.objects.filter(cycle=cycle)
        .values("agent__org_unit_id", "agent__org_unit__name")
        .annotate(**_state_counts())
        .order_by("agent__org_unit__name", "agent__org_unit_id")
    )


@dataclass
class ServiceProgress:
    """One service's sheets per state, as the user may see them."""

    name: str
    counts: dict
    hidden: bool

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


def services_progress(rows, *, aggregates_only: bool) -> list[ServiceProgress]:
    """The rows of `service_rows` (a page of them) with small services hidden under
    self-assessment."""
    return [
        ServiceProgress(
            name=row["agent__org_unit__name"] or _("Sans service"),
            counts=row,
            hidden=aggregates_only and perms.suppress_small_group(row["total"]),
        )
        for row in rows
    ]


@dataclass
class CycleTotals:
    counts: dict
    without_manager: int
    hidden_services: int

    @property
    def states(self) -> list:
        return [self.counts[state.value] for state in ReviewState]

    @property
    def total(self) -> int:
        return self.counts["total"]

    @property
    def done_percent(self) -> float | None:
        done = sum(self.counts[state.value] for state in DONE_STATES)
        return _percent(done, self.total)


def cycle_totals(cycle, *, aggregates_only: bool) -> CycleTotals:
    """The cycle's sheets per state over the services shown (all of them, or under
    self-assessment those of 5 sheets or more), and how many sheets have no manager. Two
    queries."""
    rows = list(
        Review.objects.filter(cycle=cycle)
        .values("agent__org_unit_id")
        .annotate(**_state_counts(), without_manager=Count("pk", filter=Q(manager__isnull=True)))
        .order_by()
    )
    keys = [state.value for state in ReviewState] + ["total"]
    counts = dict.fromkeys(keys, 0)
    without_manager, hidden_services = 0, 0
    for row in rows:
        if aggregates_only and perms.suppress_small_group(row["total"]):
            hidden_services += 1
            continue
        for key in keys:
            counts[key] += row[key]
        without_manager += row["without_manager"]
    return CycleTotals(counts, without_manager, hidden_services)


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
