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


def privacy_rule_text() -> str:
    """The rule behind « moins de 5 », in one sentence, for the page and the exports."""
    return _(
        "Auto-positionnement : un chiffre n’est affiché que s’il repose sur les résultats "
        "partagés d’au moins %(size)s agents et ne diffère pas de moins de %(size)s agents "
        "d’un autre chiffre que vous voyez ; sinon il est remplacé par « moins de %(size)s »."
    ) % {"size": settings.PRIVACY_MIN_GROUP_SIZE}


# --- Who contributes to a figure, and which figures are withheld (DESIGN.md, Privacy) -------
#
# A population's figures (enrolled, funnel, statuses, share at target) rest on the agents
# with shared results in the programme (the stats row's `shared`): an agent who never shared
# tells nothing of their results, so five of them around one participant make no group.
# A target's figures (met, share, levels) rest on the agents with a shared result for that
# target (`contributors` in its entry). The headline totals add up figures that are shown,
# so they tell nothing more than those figures.


def target_contributors(entry: dict) -> int:
    """The agents with a shared result for the target; a row computed before they were kept
    tells them for a level (those counted in its levels), else none: withheld till the next
    refresh."""
    if "contributors" in entry:
        return entry["contributors"]
    return sum(entry.get("levels", ()))


def _common_sharers(rows: dict, a: int, b: int) -> tuple[int, bool]:
    """How many agents with shared results populations `a` and `b` have in common, from
    either row's `overlaps`, and whether it is known; unknown (rows from before they were
    kept), as many as could be."""
    known = [
        (rows[one].overlaps or {}).get(str(other), 0)
        for one, other in ((a, b), (b, a))
        if rows[one].overlaps is not None
    ]
    if known:
        return max(known), True
    return min(rows[a].shared, rows[b].shared), False


def withheld_populations(rows: dict, pinned: set) -> set[int]:
    """Of `rows` (population id -> a stats row or anything with `shared` and `overlaps`),
    the populations whose figures are withheld from someone who sees aggregates only, all
    of them but the `pinned` ones (those the viewer accompanies)."""
    figures = [perms.Figure(pk, row.shared, pk in pinned) for pk, row in rows.items()]
    return perms.withheld_figures(figures, lambda a, b: _common_sharers(rows, a, b))


def withheld_targets(rows: dict, shown: list[int], pinned: set) -> set[tuple[int, str]]:
    """(population id, target key) of the targets withheld among the `shown` populations:
    fewer than 5 contributors, or fewer than 5 apart from the same target of another shown
    population. What two populations have in common on one target is not kept: at most what
    they have in common overall, and at most each one's contributors."""
    by_key: dict[str, list[perms.Figure]] = {}
    contributors = {}
    for pk in shown:
        for key, entry in rows[pk].per_target.items():
            contributors[(pk, key)] = target_contributors(entry)
            by_key.setdefault(key, []).append(
                perms.Figure((pk, key), contributors[(pk, key)], pk in pinned)
            )

    def common(a, b):
        shared, _exact = _common_sharers(rows, a[0], b[0])
        return min(shared, contributors[a], contributors[b]), False

    withheld = set()
    for figures in by_key.values():
        withheld |= perms.withheld_figures(figures, common)
    return withheld


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
    withheld: bool = False

    @property
    def percent(self) -> float | None:
        return None if self.withheld else percent_of(self.met, self.set)

    def shown(self, value):
        """`value`, or « moins de 5 » when the target's figures are withheld."""
        return small_group_text() if self.withheld else value

    @property
    def without_result(self) -> int:
        return self.set - sum(self.levels) if self.levels else 0


def _target_figures(key: str, entry: dict, withheld: bool = False) -> TargetFigures:
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
        withheld=withheld,
    )


@dataclass
class PopulationFigures:
    """A population and its latest stats row, as the user may see it."""

    population: TargetPopulation
    stat: PopulationStat | None
    hidden: bool
    list_allowed: bool = False  # may download the agents one by one
    withheld_targets: frozenset = frozenset()  # keys of the targets whose figures are withheld

    @property
    def has_data(self) -> bool:
        return self.stat is not None

    def count(self, name: str):
        """The head count, or « moins de 5 » when hidden, or None without stats. Hidden
        figures keep their number of agents enrolled, which tells no result, unless it is
        itself under 5."""
        if self.stat is None:
            return None
        if not self.hidden:
            return getattr(self.stat, name)
        if name == "enrolled" and not perms.suppress_small_group(self.stat.enrolled):
            return self.stat.enrolled
        return small_group_text()

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
        return [
            _target_figures(key, entry, key in self.withheld_targets)
            for key, entry in self.stat.per_target.items()
        ]


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
