"""The programme owner's dashboard, read from the precomputed `PopulationStat` rows: the same
few queries for 10 agents or 100,000 (the programme, its populations, the populations the
user accompanies, the latest row of each, the rows over time).

Privacy (DESIGN.md): under self-assessment, whoever does not accompany a population sees no
figure for it while it counts fewer than 5 agents (« moins de 5 »), and programme-wide
totals leave such populations out, so that no hidden figure can be found by subtraction.
"""

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.conf import settings
from django.db.models import Avg, Count, OuterRef, Q, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import charts, perms, selectors, status
from .barrier_stats import BarrierStats, build_barrier_stats
from .enums import ProgressStatus, TargetKind
from .exports import Column, Kind, Table
from .models import (
    Enrolment,
    PersonalTarget,
    PopulationStat,
    Programme,
    TargetPopulation,
    describe_target_value,
)


def small_group_text() -> str:
    """What stands for a hidden figure: « moins de 5 »."""
    return _("moins de %(size)s") % {"size": settings.PRIVACY_MIN_GROUP_SIZE}


FUNNEL = [
    ("enrolled", gettext_lazy("Inscrits")),
    ("started", gettext_lazy("Ont commencé")),
    ("shared", gettext_lazy("Ont envoyé leurs résultats")),
    ("one_target_met", gettext_lazy("Au moins un objectif atteint")),
    ("all_targets_met", gettext_lazy("Tous les objectifs atteints")),
]
STATUSES = [
    ("not_started", ProgressStatus.NOT_STARTED, charts.GREY),
    ("in_progress", ProgressStatus.IN_PROGRESS, charts.INFO),
    ("stalled", ProgressStatus.STALLED, charts.WARNING),
    ("reached", ProgressStatus.TARGET_REACHED, charts.SUCCESS),
]


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class TargetFigures:
    """One target of a population on the stats day: how many met it out of how many."""

    key: str
    kind: str
    label: str
    target: str
    target_level: int | None
    met: int
    set: int
    levels: tuple[int, ...] = ()

    @property
    def percent(self) -> float | None:
        return _percent(self.met, self.set)

    @property
    def without_result(self) -> int:
        return self.set - sum(self.levels) if self.levels else 0


def _target_figures(key: str, entry: dict) -> TargetFigures:
    kind, value = entry["kind"], entry.get("target")
    described = describe_target_value(
        kind,
        value if kind == TargetKind.LEVEL else None,
        value if kind == TargetKind.MASTERY_RATE else None,
        value if kind == TargetKind.STAGE else None,
    )
    return TargetFigures(
        key=key,
        kind=kind,
        label=entry.get("label", key),
        target=str(described),
        target_level=value if kind == TargetKind.LEVEL else None,
        met=entry.get("met", 0),
        set=entry.get("set", 0),
        levels=tuple(entry.get("levels", ())),
    )


@dataclass
class PopulationFigures:
    """A population and its latest stats row, as the user may see it."""

    population: TargetPopulation
    stat: PopulationStat | None
    hidden: bool
    list_allowed: bool = False  # may download the agents one by one

    @property
    def has_data(self) -> bool:
        return self.stat is not None

    def count(self, name: str):
        """The head count, or « moins de 5 » when hidden, or None without stats."""
        if self.stat is None:
            return None
        return small_group_text() if self.hidden else getattr(self.stat, name)

    def percent(self, name: str) -> float | None:
        if self.stat is None or self.hidden:
            return None
        return _percent(getattr(self.stat, name), self.stat.enrolled)

    @property
    def reached_percent(self) -> float | None:
        return self.percent("reached")

    @property
    def targets(self) -> list[TargetFigures]:
        if self.stat is None or self.hidden:
            return []
        return [_target_figures(key, entry) for key, entry in self.stat.per_target.items()]


@dataclass
class EvolutionPoint:
    on: date
    values: dict = field(default_factory=dict)  # population id -> (enrolled, reached)


@dataclass
class PersonalFigures:
    """A population's personal targets (agreed at annual reviews) in force today: how many
    of its agents have one and, per competence, the average personal level beside the
    population's target level; hidden under the privacy minimum for aggregates-only users."""

    population: TargetPopulation
    agents: int
    hidden: bool
    competences: list = field(default_factory=list)  # (code, label, target, agents, average)

    @property
    def count(self):
        return small_group_text() if self.hidden else self.agents

    def table(self, aggregates_only: bool) -> Table:
        columns = [
            Column(_("Compétence")),
            Column(_("Niveau cible de la population"), Kind.COUNT),
            Column(_("Agents avec un objectif personnel"), Kind.COUNT),
            Column(_("Niveau personnel moyen")),
        ]
        rows = []
        for _code, label, target, agents, average in self.competences:
            small = aggregates_only and perms.suppress_small_group(agents)
            rows.append(
                [
                    label,
                    target,
                    small_group_text() if small else agents,
                    small_group_text() if small else formats.number_format(average, 1),
                ]
            )
        caption = _("Objectifs personnels par compétence — %(population)s") % {
            "population": self.population.name
        }
        return Table(f"objectifs-personnels-{self.population.pk}", caption, columns, rows)


@dataclass
class Dashboard:
    programme: Programme
    populations: list[PopulationFigures]
    selected: PopulationFigures | None
    months: list[EvolutionPoint]
    aggregates_only: bool
    barriers: BarrierStats | None = None
    accompanied: set = field(default_factory=set)

    # -- Personal targets (read when the page shows them: two queries) ---------------------

    @cached_property
    def personal(self) -> list[PersonalFigures]:
        """Per population, its agents' personal targets in force today."""
        hide_small = {
            p.population.pk: self.aggregates_only and p.population.pk not in self.accompanied
            for p in self.populations
        }
        targets = {
            p.population.pk: {
                key: entry.get("target")
                for key, entry in (p.stat.per_target if p.stat else {}).items()
                if entry.get("kind") == TargetKind.LEVEL
            }
            for p in self.populations
        }
        agents, per_competence = personal_target_counts(self.programme)
        figures = []
        for p in self.populations:
            pk = p.population.pk
            if not agents.get(pk):
                continue
            count = agents[pk]
            hidden = hide_small[pk] and perms.suppress_small_group(count)
            competences = [
                (code, label, targets[pk].get(code), n, average)
                for code, label, n, average in per_competence.get(pk, [])
            ]
            figures.append(PersonalFigures(p.population, count, hidden, competences))
        return figures

    def personal_tables(self) -> list[tuple[PersonalFigures, Table | None]]:
        return [
            (figures, None if figures.hidden else figures.table(self.aggregates_only))
            for figures in self.personal
        ]

    # -- Headline -----------------------------------------------------------------------

    @property
    def visible(self) -> list[PopulationFigures]:
        return [p for p in self.populations if p.has_data and not p.hidden]

    @property
    def some_hidden(self) -> bool:
        return any(p.hidden for p in self.populations)

    @property
    def stats_day(self) -> date | None:
        days = [p.stat.on for p in self.populations if p.stat is not None]
        return max(days) if days else None

    def total(self, name: str) -> int:
        return sum(getattr(p.stat, name) for p in self.visible)

    @property
    def total_enrolled(self) -> int:
        return self.total("enrolled")

    @property
    def total_reached(self) -> int:
        return self.total("reached")

    @property
    def total_percent(self) -> float | None:
        return _percent(self.total("reached"), self.total("enrolled"))

    # -- Tables: what the page shows under each chart and what the exports hold -----------

    def comparison_table(self) -> Table:
        columns = [Column(_("Population")), Column(_("Données au"), Kind.DATE)]
        for _name, label in FUNNEL:
            columns.append(Column(str(label), Kind.COUNT))
        columns.append(Column(_("Part à l’objectif (%)"), Kind.PERCENT))
        for _name, progress, _colour in STATUSES:
            columns.append(Column(str(progress.label), Kind.COUNT))
        rows = []
        for figures in self.populations:
            row = [figures.population.name, figures.stat.on if figures.stat else None]
            row += [figures.count(name) for name, _label in FUNNEL]
            row.append(figures.reached_percent)
            row += [figures.count(name) for name, _status, _colour in STATUSES]
            rows.append(row)
        return Table("comparaison", _("Comparaison des populations"), columns, rows)

    def competence_comparison_table(self) -> Table:
        """Share at target per target (rows) and population (columns)."""
        labels, shares = {}, {}
        for figures in self.visible:
            for target in figures.targets:
                labels.setdefault(target.key, target.label)
                shares[(target.key, figures.population.pk)] = target.percent
        columns = [Column(_("Objectif"))] + [
            Column(f"{figures.population.name} (%)", Kind.PERCENT) for figures in self.visible
        ]
        rows = [
            [label] + [shares.get((key, figures.population.pk)) for figures in self.visible]
            for key, label in sorted(labels.items(), key=lambda item: item[1])
        ]
        return Table(
            "competences-populations",
            _("Part à l’objectif par compétence et par population"),
            columns,
            rows,
        )

    def funnel_table(self) -> Table:
        figures = self.selected
        columns = [
            Column(_("Étape")),
            Column(_("Agents"), Kind.COUNT),
            Column(_("Part des inscrits (%)"), Kind.PERCENT),
        ]
        rows = [[str(label), figures.count(name), figures.percent(name)] for name, label in FUNNEL]
        caption = _("Entonnoir de progression — %(population)s") % {
            "population": figures.population.name
        }
        return Table("entonnoir", caption, columns, rows)

    def targets_table(self) -> Table:
        figures = self.selected
        columns = [
            Column(_("Objectif")),
            Column(_("Niveau attendu")),
            Column(_("Atteint par"), Kind.COUNT),
            Column(_("Agents concernés"), Kind.COUNT),
            Column(_("Part à l’objectif (%)"), Kind.PERCENT),
        ]
        rows = [[t.label, t.target, t.met, t.set, t.percent] for t in figures.targets]
        caption = _("Part à l’objectif par compétence — %(population)s") % {
            "population": figures.population.name
        }
        return Table("objectifs", caption, columns, rows)

    def levels_table(self) -> Table:
        figures = self.selected
        columns = [Column(_("Compétence")), Column(_("Niveau cible"), Kind.COUNT)]
        columns += [Column(_("Niveau %(level)s") % {"level": n}, Kind.COUNT) for n in range(9)]
        columns.append(Column(_("Sans résultat partagé"), Kind.COUNT))
        rows = [
            [t.label, t.target_level, *t.levels, t.without_result]
            for t in figures.targets
            if t.kind == TargetKind.LEVEL
        ]
        caption = _("Répartition des niveaux par compétence — %(population)s") % {
            "population": figures.population.name
        }
        return Table("niveaux", caption, columns, rows)

    def evolution_table(self) -> Table:
        columns = [Column(_("Mois"))] + [
            Column(f"{p.population.name} (%)", Kind.PERCENT) for p in self.populations
        ]
        rows = [
            [formats.date_format(point.on, "F Y")]
            + [self._month_share(point, p.population.pk) for p in self.populations]
            for point in self.months
        ]
        return Table(
            "evolution",
            _("Part à l’objectif, mois par mois (dernier calcul du mois)"),
            columns,
            rows,
        )

    def _month_share(self, point: EvolutionPoint, population_id: int):
        values = point.values.get(population_id)
        if values is None:
            return None
        enrolled, reached, hidden = values
        return small_group_text() if hidden else _percent(reached, enrolled)

    def tables(self) -> list[Table]:
        tables = [self.comparison_table(), self.competence_comparison_table()]
        if self.selected is not None and self.selected.has_data and not self.selected.hidden:
            tables += [self.funnel_table(), self.targets_table(), self.levels_table()]
        tables.append(self.evolution_table())
        if self.barriers is not None:
            tables += self.barriers.export_tables()
        if self.personal:
            tables.append(self.personal_summary_table())
            tables += [table for _figures, table in self.personal_tables() if table is not None]
        return tables

    def personal_summary_table(self) -> Table:
        """Per population, how many agents have a personal target in force (« moins de 5 »
        under the privacy minimum), as the page says above each population's table."""
        columns = [Column(_("Population")), Column(_("Agents avec un objectif personnel"))]
        rows = [[figures.population.name, figures.count] for figures in self.personal]
        return Table("objectifs-personnels", _("Objectifs personnels"), columns, rows)

    # -- Charts: the same numbers, drawn ----------------------------------------------------

    def comparison_chart(self):
        bars = [
            charts.Bar(
                p.population.name,
                p.reached_percent,
                small_group_text() if p.hidden else ("" if p.has_data else _("pas de données")),
            )
            for p in self.populations
        ]
        return charts.bar_chart(
            chart_id="chart-comparison",
            title=_("Part de chaque population à l’objectif"),
            description=_(
                "Barres horizontales : pour chaque population, la part des agents inscrits "
                "qui ont atteint tous leurs objectifs. Les chiffres sont dans le tableau "
                "qui suit."
            ),
            bars=bars,
        )

    def status_chart(self):
        segments = [charts.Segment(str(shown.label), colour) for _n, shown, colour in STATUSES]
        rows = [
            charts.StackedRow(
                p.population.name,
                tuple(getattr(p.stat, name) for name, _s, _c in STATUSES) if p.has_data else (),
                hidden=p.hidden or not p.has_data,
                note=small_group_text() if p.hidden else _("pas de données"),
            )
            for p in self.populations
        ]
        return charts.stacked_bar_chart(
            chart_id="chart-statuses",
            title=_("Où en sont les agents de chaque population"),
            description=_(
                "Barres empilées : pour chaque population, la répartition des agents entre "
                "non commencé, en cours, à l’arrêt et objectif atteint."
            ),
            segments=segments,
            rows=rows,
        )

    def funnel_chart(self):
        figures = self.selected
        steps = [charts.Bar(str(label), getattr(figures.stat, name)) for name, label in FUNNEL]
        return charts.funnel_chart(
            chart_id="chart-funnel",
            title=_("Entonnoir de progression — %(population)s")
            % {"population": figures.population.name},
            description=_(
                "Pour chaque étape, de l’inscription à l’atteinte de tous les objectifs, la "
                "part des agents inscrits qui l’ont franchie."
            ),
            steps=steps,
            total=figures.stat.enrolled,
        )

    def targets_chart(self):
        figures = self.selected
        bars = [charts.Bar(t.label, t.percent) for t in figures.targets]
        return charts.bar_chart(
            chart_id="chart-targets",
            title=_("Part à l’objectif par compétence — %(population)s")
            % {"population": figures.population.name},
            description=_(
                "Barres horizontales : pour chaque objectif de la population, la part des "
                "agents qui l’ont atteint."
            ),
            bars=bars,
            colour=charts.SUCCESS,
        )

    def levels_chart(self):
        figures = self.selected
        panels = [
            charts.LevelPanel(t.label, t.levels, t.target_level)
            for t in figures.targets
            if t.kind == TargetKind.LEVEL
        ]
        return charts.level_chart(
            chart_id="chart-levels",
            title=_("Répartition des niveaux par compétence — %(population)s")
            % {"population": figures.population.name},
            description=_(
                "Pour chaque compétence visée, le nombre d’agents à chaque niveau Pix de 0 à "
                "8 selon leur dernier résultat partagé ; une ligne pointillée marque le "
                "niveau cible."
            ),
            panels=panels,
        )

    def evolution_chart(self):
        series = [
            charts.Series(
                p.population.name,
                [
                    value if isinstance(value, float) else None
                    for value in (
                        self._month_share(point, p.population.pk) for point in self.months
                    )
                ],
            )
            for p in self.populations
        ]
        return charts.line_chart(
            chart_id="chart-evolution",
            title=_("Part à l’objectif, mois par mois"),
            description=_(
                "Courbes : pour chaque population, la part des agents à l’objectif à la fin "
                "de chaque mois."
            ),
            x_labels=[formats.date_format(point.on, "m/Y") for point in self.months],
            series=series,
        )


def _hidden(stat, population_id, *, aggregates_only, accompanied) -> bool:
    return (
        aggregates_only
        and population_id not in accompanied
        and perms.suppress_small_group(stat.enrolled if stat else 0)
    )


def build_dashboard(
    programme: Programme, user, *, population_id: int | None = None, can_manage: bool = False
) -> Dashboard:
    """The dashboard of `programme` for `user`, about `population_id` (default: the first
    population) for the detailed sections. `can_manage`: the user owns the programme (or is
    staff). Seven queries, whatever the number of agents, stats rows and check-ins (three
    of them for the barriers, see `barrier_stats`)."""
    populations = list(programme.populations.order_by("name"))
    aggregates_only = not programme.is_managerial and not user.is_staff
    accompanied = set()
    if not user.is_staff:
        accompanied = set(
            programme.populations.filter(
                Q(ambassadors=user) | Q(programme__ambassadors=user)
            ).values_list("pk", flat=True)
        )
    latest = {
        stat.population_id: stat
        for stat in PopulationStat.objects.of_programme(programme).latest_per_population()
    }
    figures = []
    for population in populations:
        stat = latest.get(population.pk)
        hidden = _hidden(
            stat, population.pk, aggregates_only=aggregates_only, accompanied=accompanied
        )
        list_allowed = (
            user.is_staff
            or population.pk in accompanied
            or (programme.is_managerial and can_manage)
        )
        figures.append(PopulationFigures(population, stat, hidden, list_allowed))
    selected = next((f for f in figures if f.population.pk == population_id), None)
    if selected is None and figures:
        selected = figures[0]
    rows = (
        PopulationStat.objects.of_programme(programme)
        .order_by("on")
        .values_list("population_id", "on", "enrolled", "reached")
    )
    months: dict[tuple[int, int], EvolutionPoint] = {}
    for population_pk, on, enrolled, reached in rows:
        point = months.setdefault((on.year, on.month), EvolutionPoint(on))
        point.on = max(point.on, on)  # rows come by date: the month's last one wins
        hidden = aggregates_only and population_pk not in accompanied
        point.values[population_pk] = (
            enrolled,
            reached,
            hidden and perms.suppress_small_group(enrolled),
        )
    return Dashboard(
        programme=programme,
        populations=figures,
        selected=selected,
        months=list(months.values()),
        aggregates_only=aggregates_only,
        barriers=build_barrier_stats(
            programme, populations, aggregates_only=aggregates_only, accompanied=accompanied
        ),
        accompanied=accompanied,
    )


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
