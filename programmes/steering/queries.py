"""What the owner's dashboard and its exports read besides the latest stats rows: the
evolution month by month, the personal targets in force, and a population's agents one by one.
Each a fixed number of queries, whatever the number of agents.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Avg, Count, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from lib.exports import Column, Kind, Table
from programmes import selectors, status
from programmes.models import Enrolment, PersonalTarget, PopulationStat, Programme, TargetPopulation
from programmes.steering.figures import EvolutionPoint, withheld_populations


@dataclass
class _MonthRow:
    enrolled: int
    reached: int
    shared: int
    overlaps: dict | None


@dataclass
class History:
    """The stats rows over time as the user may see them: `months`, each month's last
    figures (the evolution chart and table); `days`, every day rows were computed, each
    population's latest figures on that day (the cockpit's changes and projection)."""

    months: list[EvolutionPoint]
    days: list[EvolutionPoint]


def stats_history(programme: Programme, *, aggregates_only: bool, accompanied: set) -> History:
    """Per month and per stats day, each population's (enrolled, reached, hidden); hidden,
    for a user who sees aggregates only, under the privacy rule applied to the rows of that
    month or day (`withheld_populations`), except in the populations they accompany. One
    query."""
    rows = (
        PopulationStat.objects.of_programme(programme)
        .order_by("on")
        .values_list("population_id", "on", "enrolled", "reached", "shared", "overlaps")
    )
    months: dict[tuple[int, int], tuple[EvolutionPoint, dict]] = {}
    days: list[tuple[EvolutionPoint, dict]] = []
    current: dict[int, _MonthRow] = {}
    for population_pk, on, enrolled, reached, shared, overlaps in rows:
        point, month = months.setdefault((on.year, on.month), (EvolutionPoint(on), {}))
        point.on = max(point.on, on)  # rows come by date: the month's last one wins
        month[population_pk] = current[population_pk] = _MonthRow(
            enrolled, reached, shared, overlaps
        )
        if not days or days[-1][0].on != on:
            days.append((EvolutionPoint(on), {}))
        days[-1][1].update(current)  # a population without a row that day keeps its last

    def seen(pairs):
        points = []
        for point, figures in pairs:
            hidden = withheld_populations(figures, accompanied) if aggregates_only else set()
            point.values = {
                pk: (row.enrolled, row.reached, pk in hidden) for pk, row in figures.items()
            }
            points.append(point)
        return points

    return History(months=seen(months.values()), days=seen(days))


def evolution_points(
    programme: Programme, *, aggregates_only: bool, accompanied: set
) -> list[EvolutionPoint]:
    """Per month, each population's (enrolled, reached, hidden) from the month's last stats
    row (see `stats_history`). One query."""
    return stats_history(programme, aggregates_only=aggregates_only, accompanied=accompanied).months


def personal_target_counts(programme: Programme, today: date | None = None):
    """Per population of the programme, how many of its current agents have a personal
    target in force today, and per competence (in referential order) how many and their
    average level: ({population id: agents}, {population id: [(code, label, agents,
    average)]}). Two queries, whatever the number of agents."""
    today = today or timezone.localdate()
    newest = PersonalTarget.objects.filter(
        agent=OuterRef("agent"),
        programme=OuterRef("programme"),
        competence=OuterRef("competence"),
        valid_from__lte=today,
    ).order_by("-valid_from")
    in_force = PersonalTarget.objects.filter(
        programme=programme,
        valid_from=Subquery(newest.values("valid_from")[:1]),
    )
    current = Enrolment.objects.current(today).filter(population__programme=programme)
    rows = (
        current.filter(agent__personal_targets__in=in_force)
        .values("population_id")
        .annotate(n=Count("agent", distinct=True))
        .order_by()
    )
    agents = {row["population_id"]: row["n"] for row in rows}
    rows = (
        in_force.filter(agent__enrolments__in=current)
        .values(
            "agent__enrolments__population_id",
            "competence__code",
            "competence__name",
            "competence__position",
        )
        .annotate(n=Count("agent", distinct=True), average=Avg("level"))
        .order_by("agent__enrolments__population_id", "competence__position")
    )
    per_competence: dict[int, list] = {}
    for row in rows:
        per_competence.setdefault(row["agent__enrolments__population_id"], []).append(
            (
                row["competence__code"],
                f"{row['competence__code']} {row['competence__name']}",
                row["n"],
                row["average"],
            )
        )
    return agents, per_competence


def population_agents_table(population: TargetPopulation) -> tuple[Table, list]:
    """The population's agents one by one (name, unit, status, targets met, last activity),
    and the enrolments it lists, for those who may see individuals. Two queries."""
    labels = {key: str(shown.label) for key, shown in status.displays(population.programme).items()}
    enrolments = list(selectors.population_agents(population))
    rows = [
        [
            enrolment.agent.last_name,
            enrolment.agent.first_name,
            enrolment.agent.external_id,
            enrolment.agent.org_unit.name if enrolment.agent.org_unit else "",
            labels[enrolment.progress_status],
            enrolment.targets_met,
            enrolment.targets_set,
            enrolment.last_activity,
        ]
        for enrolment in enrolments
    ]
    columns = [
        Column(_("Nom")),
        Column(_("Prénom")),
        Column(_("Matricule")),
        Column(_("Unité")),
        Column(_("Statut")),
        Column(_("Objectifs atteints"), Kind.COUNT),
        Column(_("Objectifs fixés"), Kind.COUNT),
        Column(_("Dernière activité"), Kind.DATETIME),
    ]
    caption = _("Agents de la population %(population)s") % {"population": population.name}
    return Table("agents", caption, columns, rows), enrolments
