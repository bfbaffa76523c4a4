"""The figures the owner's dashboard shows, as the user may see them: a population's latest
stats row (`PopulationFigures`) and its targets (`TargetFigures`), a month of the evolution
(`EvolutionPoint`), a population's personal targets (`PersonalFigures`, with its table), and
« moins de 5 », which stands for any figure hidden under the privacy minimum (DESIGN.md).
"""

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib import charts
from lib.exports import Column, Kind, Table
from programmes import perms
from programmes.enums import ProgressStatus, TargetKind
from programmes.models import PopulationStat, TargetPopulation, describe_target_value


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


def percent_of(part: int, whole: int) -> float | None:
    """`part` as a percentage of `whole`, to one decimal; None when `whole` is zero."""
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
        return percent_of(self.met, self.set)

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
        return percent_of(getattr(self.stat, name), self.stat.enrolled)

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
