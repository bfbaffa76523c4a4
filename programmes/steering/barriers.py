"""Barrier analytics of a programme (issue 5): how many check-ins cite each barrier ("frein"),
split between agents who had not started and those who stopped after a first level, at each
population's latest milestone, programme-wide, and from one milestone to the next.

Three queries whatever the number of populations, milestones and check-ins (the barriers,
the milestones, and their counts by barrier and status snapshot, which
`services_checkins.milestone_counts_refresh` keeps as check-ins are recorded).

Privacy (DESIGN.md, as on the rest of the dashboard): a viewer who sees aggregates only sees
no figure for a milestone of fewer than 5 check-ins of a population they do not accompany
(« moins de 5 »), and the programme-wide totals leave such populations out.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib import charts
from lib.exports import Column, Kind, Table, display
from programmes import perms
from programmes.enums import ProgressStatus
from programmes.models import Barrier, Milestone, MilestoneCount, Programme, TargetPopulation
from programmes.steering.figures import small_group_text

NOT_STARTED, STALLED, OTHERS = "not_started", "stalled", "others"
CATEGORIES = [
    (NOT_STARTED, gettext_lazy("Non commencé")),
    (STALLED, gettext_lazy("Arrêté après un premier niveau")),
    (OTHERS, gettext_lazy("Autres")),
]
_CATEGORY_OF_STATUS = {
    ProgressStatus.NOT_STARTED: NOT_STARTED,
    ProgressStatus.STALLED: STALLED,
    ProgressStatus.IN_PROGRESS: OTHERS,
    ProgressStatus.TARGET_REACHED: OTHERS,
}
DELTA = "delta"  # a column kind: the change since the previous milestone, signed on the page


def definitions(programme: Programme) -> list[tuple[str, str]]:
    """Each category with its one-sentence definition, worded with the stall threshold."""
    days = programme.stall_threshold_days
    return [
        (
            str(CATEGORIES[0][1]),
            _(
                "À la date du point d’étape, l’agent n’avait participé à aucune campagne Pix "
                "du programme."
            ),
        ),
        (
            str(CATEGORIES[1][1]),
            _(
                "À la date du point d’étape, l’agent avait commencé sur Pix mais n’avait plus "
                "progressé depuis plus de %(days)s jours, sans avoir atteint tous ses objectifs."
            )
            % {"days": days},
        ),
        (
            str(CATEGORIES[2][1]),
            _(
                "À la date du point d’étape, l’agent progressait (en cours) ou avait atteint "
                "tous ses objectifs."
            ),
        ),
    ]


@dataclass
class BarrierCounts:
    """The check-ins citing one barrier, by the agent's status at the milestone."""

    not_started: int = 0
    stalled: int = 0
    others: int = 0

    @property
    def total(self) -> int:
        return self.not_started + self.stalled + self.others

    def add(self, other: "BarrierCounts") -> None:
        self.not_started += other.not_started
        self.stalled += other.stalled
        self.others += other.others


@dataclass
class MilestoneBarriers:
    """A milestone with check-ins: how many, and the counts per barrier id."""

    milestone: Milestone
    checkins: int
    counts: dict[int, BarrierCounts] = field(default_factory=dict)
    hidden: bool = False

    def count(self, barrier_id: int) -> BarrierCounts:
        return self.counts.get(barrier_id) or BarrierCounts()


@dataclass
class PopulationBarriers:
    """A population's milestones that have check-ins, in date order."""

    population: TargetPopulation
    milestones: list[MilestoneBarriers] = field(default_factory=list)

    @property
    def latest(self) -> MilestoneBarriers | None:
        return self.milestones[-1] if self.milestones else None

    @property
    def hidden(self) -> bool:
        return self.latest is not None and self.latest.hidden

    @property
    def has_evolution(self) -> bool:
        return len(self.milestones) > 1


class BarrierTable(Table):
    """A dashboard table whose `DELTA` columns read « +3 » / « −2 » on the page (the files
    keep plain numbers)."""

    def html_rows(self):
        for row in self.rows:
            yield [
                _signed(value) if column.kind == DELTA and isinstance(value, int) else
                display(value, column.kind)
                for value, column in zip(row, self.columns, strict=True)
            ]  # fmt: skip


def _signed(value: int) -> str:
    if value > 0:
        return f"+{value}"
    return f"\u2212{-value}" if value < 0 else "0"


def _small_group() -> str:
    return small_group_text()


def barrier_label(barrier: Barrier) -> str:
    if barrier.is_active:
        return barrier.label
    return _("%(label)s (frein retiré)") % {"label": barrier.label}


@dataclass(frozen=True)
class PopulationSection:
    figures: PopulationBarriers
    latest_table: Table | None
    evolution_table: Table | None


@dataclass
class BarrierStats:
    programme: Programme
    barriers: list[Barrier]  # the table rows: active barriers, and retired ones still cited
    populations: list[PopulationBarriers]

    def definitions(self) -> list[tuple[str, str]]:
        return definitions(self.programme)

    @property
    def has_checkins(self) -> bool:
        return any(p.milestones for p in self.populations)

    @property
    def some_hidden(self) -> bool:
        return any(p.hidden for p in self.populations)

    @property
    def counted(self) -> list[PopulationBarriers]:
        """The populations in the programme-wide totals: a latest milestone, not hidden."""
        return [p for p in self.populations if p.latest is not None and not p.hidden]

    @property
    def total_checkins(self) -> int:
        return sum(p.latest.checkins for p in self.counted)

    def totals(self) -> dict[int, BarrierCounts]:
        """Per barrier id, the sum over the counted populations' latest milestones."""
        totals = {barrier.pk: BarrierCounts() for barrier in self.barriers}
        for figures in self.counted:
            for barrier_id, counts in figures.latest.counts.items():
                totals[barrier_id].add(counts)
        return totals

    # -- Tables ---------------------------------------------------------------------------

    def _columns(self) -> list[Column]:
        return [Column(_("Frein"))] + [
            Column(str(label), Kind.COUNT) for _name, label in CATEGORIES
        ] + [Column(_("Total"), Kind.COUNT)]  # fmt: skip

    @staticmethod
    def _row(label: str, counts: BarrierCounts) -> list:
        return [label, counts.not_started, counts.stalled, counts.others, counts.total]

    def totals_table(self) -> Table:
        totals = self.totals()
        rows = [self._row(barrier_label(b), totals[b.pk]) for b in self.barriers]
        caption = _(
            "Freins cités aux derniers points d’étape — ensemble du programme "
            "(%(checkins)s entretiens)"
        ) % {"checkins": self.total_checkins}
        return BarrierTable("freins-programme", caption, self._columns(), rows)

    def latest_table(self, figures: PopulationBarriers) -> Table:
        latest = figures.latest
        rows = [self._row(barrier_label(b), latest.count(b.pk)) for b in self.barriers]
        caption = _(
            "Freins cités — %(population)s, %(milestone)s, %(date)s (%(checkins)s entretiens)"
        ) % {
            "population": figures.population.name,
            "milestone": latest.milestone.title,
            "date": display(latest.milestone.date),
            "checkins": latest.checkins,
        }
        return BarrierTable(
            f"freins-population-{figures.population.pk}", caption, self._columns(), rows
        )

    def evolution_table(self, figures: PopulationBarriers) -> Table:
        """Barriers as rows; per milestone, the check-ins citing the barrier, then from the
        second milestone on, the change since the previous one."""
        columns = [Column(_("Frein"))]
        for index, step in enumerate(figures.milestones):
            columns.append(
                Column(
                    _("%(milestone)s, %(date)s (%(checkins)s entretiens)")
                    % {
                        "milestone": step.milestone.title,
                        "date": display(step.milestone.date),
                        "checkins": _small_group() if step.hidden else step.checkins,
                    },
                    Kind.COUNT,
                )
            )
            if index:
                columns.append(Column(_("Écart avec le point précédent"), DELTA))
        rows = []
        for barrier in self.barriers:
            row, previous = [barrier_label(barrier)], None
            for index, step in enumerate(figures.milestones):
                value = None if step.hidden else step.count(barrier.pk).total
                row.append(_small_group() if step.hidden else value)
                if index:
                    both = value is not None and previous is not None
                    row.append(value - previous if both else None)
                previous = value
            rows.append(row)
        caption = _("Évolution des freins cités, point d’étape par point d’étape — %(pop)s") % {
            "pop": figures.population.name
        }
        return BarrierTable(f"freins-evolution-{figures.population.pk}", caption, columns, rows)

    def sections(self) -> list["PopulationSection"]:
        """What the page shows per population: its latest milestone's table (unless hidden)
        and, from a second milestone on, the evolution table."""
        return [
            PopulationSection(
                figures,
                self.latest_table(figures) if figures.latest and not figures.hidden else None,
                self.evolution_table(figures) if figures.has_evolution else None,
            )
            for figures in self.populations
        ]

    def export_tables(self) -> list[Table]:
        """Two sheets for the dashboard's files: the latest milestones (programme-wide and
        per population), and every milestone of every population."""
        columns = [
            Column(_("Population")),
            Column(_("Point d’étape")),
            Column(_("Date"), Kind.DATE),
            Column(_("Entretiens"), Kind.COUNT),
            *self._columns(),
        ]
        latest_rows = []
        totals = self.totals()
        for barrier in self.barriers:
            latest_rows.append(
                [_("Ensemble du programme"), _("Derniers points d’étape"), None,
                 self.total_checkins, *self._row(barrier_label(barrier), totals[barrier.pk])]
            )  # fmt: skip
        evolution_rows = []
        for figures in self.populations:
            for step in figures.milestones:
                rows = self._export_rows(figures, step)
                evolution_rows += rows
                if step is figures.latest:
                    latest_rows += rows
        return [
            Table("freins", _("Freins au dernier point d’étape"), columns, latest_rows),
            Table("freins-evolution", _("Évolution des freins"), columns, evolution_rows),
        ]

    def _export_rows(self, figures: PopulationBarriers, step: MilestoneBarriers) -> list[list]:
        head = [figures.population.name, step.milestone.title, step.milestone.date]
        if step.hidden:
            hidden = _small_group()
            return [
                [*head, hidden, barrier_label(b), hidden, hidden, hidden, hidden]
                for b in self.barriers
            ]
        return [
            [*head, step.checkins, *self._row(barrier_label(b), step.count(b.pk))]
            for b in self.barriers
        ]

    # -- Chart ----------------------------------------------------------------------------

    def totals_chart(self):
        totals = self.totals()
        bars = [charts.Bar(barrier_label(b), totals[b.pk].total) for b in self.barriers]
        highest = max((bar.value for bar in bars), default=0)
        maximum = max(4, -(-highest // 4) * 4)  # a multiple of 4: whole numbers on the ticks
        return charts.bar_chart(
            chart_id="chart-barriers",
            title=_("Freins cités aux derniers points d’étape — ensemble du programme"),
            description=_(
                "Barres horizontales : pour chaque frein, le nombre d’entretiens du dernier "
                "point d’étape de chaque population qui le citent. Les chiffres, répartis "
                "entre non commencés, arrêtés après un premier niveau et autres, sont dans le "
                "tableau qui suit."
            ),
            bars=bars,
            maximum=maximum,
            colour=charts.WARNING,
            axis_text=lambda value: str(round(value)),
        )


def build_barrier_stats(
    programme: Programme,
    populations: list[TargetPopulation],
    *,
    aggregates_only: bool,
    accompanied: set[int],
) -> BarrierStats:
    """The barrier figures of `programme`'s `populations` (already read, in display order)
    for a viewer who sees `aggregates_only` except in the `accompanied` populations (ids).
    Three queries."""
    barriers = list(Barrier.objects.filter(programme=programme).order_by("position", "label"))
    milestones = list(
        Milestone.objects.filter(population__programme=programme).order_by(
            "population_id", "date", "pk"
        )
    )
    # Kept by services_checkins.milestone_counts_refresh: a few rows per milestone.
    rows = MilestoneCount.objects.filter(milestone__population__programme=programme).values_list(
        "milestone_id", "barrier_id", "status", "count"
    )
    counts: dict[int, dict[int, BarrierCounts]] = defaultdict(dict)
    totals: dict[int, int] = defaultdict(int)
    known, cited = {barrier.pk for barrier in barriers}, set()
    for milestone_id, barrier_id, status, number in rows:
        if barrier_id is None:
            totals[milestone_id] += number
            continue
        if barrier_id not in known:  # another programme's barrier, which the form never offers
            continue
        entry = counts[milestone_id].setdefault(barrier_id, BarrierCounts())
        name = _CATEGORY_OF_STATUS.get(status, OTHERS)
        setattr(entry, name, getattr(entry, name) + number)
        cited.add(barrier_id)
    for milestone in milestones:
        milestone.checkins_count = totals[milestone.pk]
    milestones = [milestone for milestone in milestones if milestone.checkins_count]
    by_population = defaultdict(list)
    for milestone in milestones:
        hidden = (
            aggregates_only
            and milestone.population_id not in accompanied
            and perms.suppress_small_group(milestone.checkins_count)
        )
        by_population[milestone.population_id].append(
            MilestoneBarriers(milestone, milestone.checkins_count, counts[milestone.pk], hidden)
        )
    return BarrierStats(
        programme=programme,
        barriers=[b for b in barriers if b.is_active or b.pk in cited],
        populations=[PopulationBarriers(p, by_population[p.pk]) for p in populations],
    )
