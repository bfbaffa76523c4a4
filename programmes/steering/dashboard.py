"""The programme owner's dashboard, read from the precomputed `PopulationStat` rows: the same
few queries for 10 agents or 100,000 (the programme, its populations, the populations the
user accompanies, the latest row of each, the rows over time).

Privacy (DESIGN.md): under self-assessment, whoever does not accompany a population sees no
figure of it that rests on the shared results of fewer than 5 agents (« moins de 5 »), nor
one whose contributors differ by fewer than 5 agents from another figure they see (two
populations sharing agents): see `figures.withheld_populations` and `withheld_targets`.
Programme-wide totals add up the figures shown only, so that no hidden figure can be found
by subtraction.

Here: the `Dashboard` (its headline, tables and charts) and `build_dashboard`, which assembles
it; the figures it is made of are in `dashboard_figures`, what it reads besides the latest
stats rows in `dashboard_queries`.
"""

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lib import charts, french
from lib.exports import Column, Kind, Table, display
from programmes import perms
from programmes.enums import TargetKind
from programmes.models import PopulationStat, Programme, Target
from programmes.steering.barriers import BarrierStats, build_barrier_stats
from programmes.steering.cockpit import CockpitLine, cockpit_line
from programmes.steering.figures import (
    FUNNEL,
    STATUSES,
    EvolutionPoint,
    PersonalFigures,
    PopulationFigures,
    percent_of,
    privacy_rule_text,
    small_group_text,
    withheld_populations,
    withheld_targets,
)
from programmes.steering.projection import method_text
from programmes.steering.queries import History, personal_target_counts, stats_history
from programmes.steering.units import UnitShares, unit_shares


@dataclass
class Dashboard:
    programme: Programme
    populations: list[PopulationFigures]
    selected: PopulationFigures | None
    months: list[EvolutionPoint]
    aggregates_only: bool
    barriers: BarrierStats | None = None
    accompanied: set = field(default_factory=set)
    history: History | None = None  # the stats rows over time, as the user may see them
    today: date | None = None
    unit_depth: int | None = None  # as asked (validated by `units`)

    @cached_property
    def cockpit(self) -> list[CockpitLine]:
        """The programme's line and each population's (read when the page or the committee
        report shows them, not by the exports: one query, the targets' deadlines)."""
        if self.history is None:
            return []
        return _cockpit(self.programme, self.populations, self.history, self.barriers, self.today)

    @cached_property
    def units(self) -> UnitShares:
        """The share at target by unit at the depth asked for, as of the latest refresh
        (read when the page shows it: one query)."""
        return unit_shares(
            self.programme, depth=self.unit_depth, aggregates_only=self.aggregates_only
        )

    @property
    def projection_method(self) -> str:
        return method_text()

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
    def some_withheld(self) -> bool:
        """Some figure of the page or its files is withheld under the privacy rule."""
        return (
            self.some_hidden
            or any(p.withheld_targets for p in self.populations if not p.hidden)
            or any(hidden for point in self.months for *_v, hidden in point.values.values())
            or (self.barriers is not None and self.barriers.some_hidden)
            or any(figures.hidden for figures in self.personal)
        )

    @property
    def privacy_rule(self) -> str:
        return privacy_rule_text()

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
        return percent_of(self.total("reached"), self.total("enrolled"))

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
        caption = _("Comparaison des populations")
        return Table("comparaison", caption, columns, rows, sheet=_("Comparaison"))

    def competence_comparison_table(self) -> Table:
        """Share at target per target (rows) and population (columns)."""
        labels, shares = {}, {}
        for figures in self.visible:
            for target in figures.targets:
                labels.setdefault(target.key, target.label)
                shares[(target.key, figures.population.pk)] = target.shown(target.percent)
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
            sheet=_("Compétences par population"),
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
        rows = [
            [t.label, t.target, t.shown(t.met), t.shown(t.set), t.percent] for t in figures.targets
        ]
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
            [t.label, t.target_level, *[t.shown(n) for n in (*t.levels, t.without_result)]]
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
            [french.month_year(point.on)]
            + [self._month_share(point, p.population.pk) for p in self.populations]
            for point in self.months
        ]
        return Table(
            "evolution",
            _("Part à l’objectif, mois par mois (dernier calcul du mois)"),
            columns,
            rows,
            sheet=_("Évolution"),
        )

    def _month_share(self, point: EvolutionPoint, population_id: int):
        values = point.values.get(population_id)
        if values is None:
            return None
        enrolled, reached, hidden = values
        return small_group_text() if hidden else percent_of(reached, enrolled)

    def funnels_table(self) -> Table:
        """The funnel of every population, one under the other, for the files (the page
        shows the selected population's); « moins de 5 » where the privacy rule hides it."""
        columns = [
            Column(_("Population")),
            Column(_("Étape")),
            Column(_("Agents"), Kind.COUNT),
            Column(_("Part des inscrits (%)"), Kind.PERCENT),
        ]
        rows = [
            [figures.population.name, str(label), figures.count(name), figures.percent(name)]
            for figures in self.populations
            for name, label in FUNNEL
        ]
        caption = _("Entonnoir de progression de chaque population")
        return Table("entonnoirs", caption, columns, rows, sheet=_("Entonnoirs"))

    def about_table(self) -> Table:
        """What the file is: the programme, the population chosen on screen (which the
        sheets about one population describe), the day of the figures and of the file."""
        rows = [[_("Programme"), self.programme.name]]
        if self.selected is not None:
            rows.append([_("Population choisie à l’écran"), self.selected.population.name])
        rows += [
            [_("Données au"), self.stats_day],
            [_("Fichier téléchargé le"), timezone.localtime()],
        ]
        return Table(
            "a-propos",
            _("Tableau de bord — %(programme)s") % {"programme": self.programme.name},
            [Column(_("Rubrique")), Column(_("Valeur"))],
            [[label, display(value)] for label, value in rows],
            sheet=_("À propos"),
        )

    def tables(self) -> list[Table]:
        """What the dashboard's files hold: what the page shows, with the funnel of every
        population, and the sheets about the population chosen on screen named after it."""
        tables = [self.about_table(), self.comparison_table(), self.competence_comparison_table()]
        tables.append(self.funnels_table())
        selected = self.selected
        if selected is not None and selected.has_data and not selected.hidden:
            name = {"population": selected.population.name}
            for table, sheet in [
                (self.targets_table(), _("Objectifs — %(population)s") % name),
                (self.levels_table(), _("Niveaux — %(population)s") % name),
            ]:
                table.sheet = sheet
                tables.append(table)
        tables.append(self.evolution_table())
        if self.barriers is not None:
            tables += self.barriers.export_tables()
        if self.personal:
            tables.append(self.personal_summary_table())
            for figures, table in self.personal_tables():
                if table is not None:
                    name = {"population": figures.population.name}
                    table.sheet = _("Obj. personnels — %(population)s") % name
                    tables.append(table)
        if self.aggregates_only and self.some_withheld:
            tables.append(self.privacy_rule_table())
        return tables

    def privacy_rule_table(self) -> Table:
        """Why some figures of the files read « moins de 5 »."""
        return Table(
            "confidentialite",
            _("Règle de confidentialité"),
            [Column(_("Règle"))],
            [[privacy_rule_text()]],
        )

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
        bars = [
            charts.Bar(t.label, t.percent, small_group_text() if t.withheld else "")
            for t in figures.targets
        ]
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
            if t.kind == TargetKind.LEVEL and not t.withheld
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
            x_labels=[french.month_numeric(point.on) for point in self.months],
            series=series,
        )


def build_dashboard(
    programme: Programme,
    user,
    *,
    population_id: int | None = None,
    can_manage: bool = False,
    unit_depth: int | None = None,
) -> Dashboard:
    """The dashboard of `programme` for `user`, about `population_id` (default: the first
    population) for the detailed sections. `can_manage`: the user owns the programme (or is
    staff). Eight queries, whatever the number of agents, stats rows and check-ins (three
    of them for the barriers, see `barrier_stats`); the cockpit, the units and the
    personal targets are read when shown (see `Dashboard`)."""
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
    today = timezone.localdate()
    hidden, targets = set(), set()
    if aggregates_only:
        hidden = withheld_populations(latest, accompanied)
        shown = [pk for pk in latest if pk not in hidden]
        targets = withheld_targets(latest, shown, accompanied)
    figures = []
    for population in populations:
        list_allowed = (
            user.is_staff
            or population.pk in accompanied
            or (programme.is_managerial and can_manage)
        )
        figures.append(
            PopulationFigures(
                population,
                latest.get(population.pk),
                population.pk in hidden,
                list_allowed,
                frozenset(key for pk, key in targets if pk == population.pk),
            )
        )
    selected = next((f for f in figures if f.population.pk == population_id), None)
    if selected is None and figures:
        selected = figures[0]
    history = stats_history(programme, aggregates_only=aggregates_only, accompanied=accompanied)
    barriers = build_barrier_stats(
        programme, populations, aggregates_only=aggregates_only, accompanied=accompanied
    )
    return Dashboard(
        programme=programme,
        populations=figures,
        selected=selected,
        months=history.months,
        aggregates_only=aggregates_only,
        barriers=barriers,
        accompanied=accompanied,
        history=history,
        today=today,
        unit_depth=unit_depth,
    )


def _cockpit(programme, figures, history, barriers, today) -> list[CockpitLine]:
    """The programme line, then a line per population (see `cockpit`). The deadline of a
    population is its targets' latest, else the programme's end; the programme's, the
    latest of them. One query."""
    if not history.days:
        return []
    deadlines = dict(
        Target.objects.filter(population__programme=programme, deadline__isnull=False)
        .values("population_id")
        .annotate(latest=Max("deadline"))
        .order_by()
        .values_list("population_id", "latest")
    )
    milestones = {
        section.population.pk: next(
            (m.milestone for m in reversed(section.milestones) if m.milestone.date <= today),
            None,
        )
        for section in barriers.populations
    }

    def deadline_of(pks):
        days = [deadlines[pk] for pk in pks if pk in deadlines]
        return max(days) if days else programme.end_date

    common = {
        "days": history.days,
        "months": history.months,
        "target_share": programme.target_share,
        "today": today,
    }
    shown = [f.population.pk for f in figures if f.has_data and not f.hidden]
    held = [m for pk, m in milestones.items() if m is not None and pk in shown]
    lines = [
        cockpit_line(
            key="all",
            label=_("Ensemble du programme"),
            keys=shown,
            hidden=False,
            milestone=max(held, key=lambda m: m.date) if held else None,
            deadline=deadline_of([f.population.pk for f in figures]),
            **common,
        )
    ]
    for f in figures:
        pk = f.population.pk
        if not f.has_data:
            continue
        lines.append(
            cockpit_line(
                key=str(pk),
                label=f.population.name,
                keys=[pk],
                hidden=f.hidden,
                milestone=milestones.get(pk),
                deadline=deadline_of([pk]),
                **common,
            )
        )
    return lines
