"""The share at target by service or direction: the programme's current enrolments counted
by the unit of the organisation chart their agent belongs to, rolled up to the depth the
owner chooses (1: the top units, 2: the units under them, …). Agents of a unit shallower
than that depth are counted in that unit.

The counting grows with headcount (a scan of the programme's enrolments), so it runs with
the figures (`unit_stats_refresh`, after each import and every night, see
steering/stats.py) and stores a `UnitStat` row per depth; the dashboard reads one row
(`unit_shares`), whatever the number of agents.

Privacy (DESIGN.md): for whoever sees aggregates only, a unit whose figures rest on the
shared results of fewer than 5 agents reads « moins de 5 »; and since the page also shows
the programme's total and each unit's parent (at the depth above), the units withheld under
one parent, and over the whole programme, must together hold no agent or at least 5, else
the smallest unit shown beside them is withheld too (no figure found by subtraction). The
rule is applied when the rows are read, for the viewer.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from agents.models import OrgUnit
from programmes.models import Enrolment, Programme, UnitStat
from programmes.steering.figures import percent_of

MAX_DEPTH = 6
NO_UNIT = 0  # the row of agents without a unit


@dataclass(frozen=True)
class UnitRow:
    key: int  # the unit's id, NO_UNIT for agents without a unit
    label: str
    enrolled: int
    reached: int
    contributors: int  # agents with shared results in the programme
    withheld: bool = False

    @property
    def percent(self) -> float | None:
        return None if self.withheld else percent_of(self.reached, self.enrolled)


@dataclass(frozen=True)
class UnitShares:
    depth: int
    depths: list[int]  # the depths the owner may choose
    rows: list[UnitRow]
    on: date | None = None  # the day of the figures; None: not computed yet

    @property
    def some_withheld(self) -> bool:
        return any(row.withheld for row in self.rows)


def _depth_of(unit_id: int, parents: dict) -> int:
    depth, node = 1, parents.get(unit_id)
    while node is not None and depth <= 50:  # a loop in the chart stops here
        depth, node = depth + 1, parents.get(node)
    return depth


def _chain(unit_id: int, parents: dict) -> list[int]:
    """The unit and its ancestors, from the top down."""
    chain, node = [], unit_id
    while node is not None and len(chain) <= 50:
        chain.append(node)
        node = parents.get(node)
    return chain[::-1]


def withheld_units(rows: list[UnitRow], groups: list[list[int]]) -> set[int]:
    """The keys of `rows` withheld from someone who sees aggregates only: under 5
    contributors; then, in each of `groups` (keys of rows that add up to a figure the viewer
    sees elsewhere), while the withheld rows hold 1 to 4 contributors together, the
    smallest row still shown (fewest contributors, then lowest key), the groups gone
    through in order until none changes.

    Units hold no agent in common, so no two figures shown can be told apart by a few agents
    (`perms.withheld_figures` with no overlap comes to the minimum alone). Each group's rows
    are sorted once and its withheld contributors kept as a running sum: linear in the rows
    per pass, where the chart's deepest level may have ten thousand units."""
    minimum = settings.PRIVACY_MIN_GROUP_SIZE
    by_key = {row.key: row for row in rows}
    withheld = {row.key for row in rows if row.contributors < minimum}
    ordered = [
        sorted((by_key[key] for key in group), key=lambda row: (row.contributors, row.key))
        for group in groups
    ]
    hidden = [sum(by_key[key].contributors for key in group if key in withheld) for group in groups]
    groups_of: dict[int, list[int]] = {}
    for index, group in enumerate(groups):
        for key in group:
            groups_of.setdefault(key, []).append(index)
    first = [0] * len(groups)  # in each group, no row before this one is still shown
    changed = True
    while changed:
        changed = False
        for index, group_rows in enumerate(ordered):
            if not 0 < hidden[index] < minimum:
                continue
            while first[index] < len(group_rows) and group_rows[first[index]].key in withheld:
                first[index] += 1
            if first[index] == len(group_rows):
                continue
            smallest = group_rows[first[index]]
            withheld.add(smallest.key)
            for other in groups_of[smallest.key]:
                hidden[other] += smallest.contributors
            changed = True
    return withheld


def unit_shares(programme: Programme, *, depth: int | None, aggregates_only: bool) -> UnitShares:
    """The programme's current enrolments by unit at `depth` (an invalid depth: 1), as of
    its latest figures refresh, under the privacy rule for whoever sees aggregates only.
    One query: the stored row of that depth, else of the first."""
    wanted = depth if isinstance(depth, int) and 1 <= depth <= MAX_DEPTH else 1
    stat = (
        UnitStat.objects.filter(programme=programme, depth__in={1, wanted})
        .order_by("-depth")
        .only("depth", "on", "depths", "rows")
        .first()
    )
    if stat is None:  # not refreshed since the programme was created
        return UnitShares(1, [1], [])
    rows, parent_of = [], {}
    for key, label, parent, enrolled, reached, contributors in stat.rows:
        label = _("Sans unité renseignée") if key == NO_UNIT else label
        rows.append(UnitRow(key, label, enrolled, reached, contributors))
        if parent is not None:
            parent_of[key] = parent
    if aggregates_only:
        rows = _withhold(rows, parent_of)
    return UnitShares(stat.depth, list(range(1, stat.depths + 1)), rows, stat.on)


def _withhold(rows: list[UnitRow], parent_of: dict[int, int]) -> list[UnitRow]:
    """`rows` as someone who sees aggregates only sees them. Rows under one parent add up to
    the parent's row at the depth above (`parent_of`: the units at this very depth below
    the top), with the parent's own agents when it has some (a row beside its children);
    all the rows add up to the programme's total."""
    keys = {row.key for row in rows}
    siblings: dict[int, list[int]] = {}
    for row in rows:
        if row.key in parent_of:
            siblings.setdefault(parent_of[row.key], []).append(row.key)
    for parent, group in siblings.items():
        if parent in keys:
            group.append(parent)
    groups = [[row.key for row in rows], *siblings.values()]
    withheld = withheld_units(rows, groups)
    return [
        UnitRow(row.key, row.label, row.enrolled, row.reached, row.contributors, True)
        if row.key in withheld
        else row
        for row in rows
    ]


# --- The refresh ---------------------------------------------------------------------------


def unit_stats_refresh(*, programme: Programme, on: date) -> list[UnitStat]:
    """Count the programme's enrolments current on `on` by unit, at each depth of the chart
    (up to MAX_DEPTH), and store them in place of the previous refresh's; unless those are
    of a later day (a refresh as of a past day leaves the newest figures alone). The org
    chart and one grouped query over the stored progress state (« reached » and « has
    shared » are columns of the enrolment), then the rows are rolled up in Python; the
    write holds the programme's row, so that two refreshes (an import's, the night's) take
    turns."""
    parents, labels = {}, {}
    for pk, parent, name in OrgUnit.objects.values_list("pk", "parent_id", "name"):
        parents[pk], labels[pk] = parent, name
    deepest = min(max((_depth_of(pk, parents) for pk in parents), default=1), MAX_DEPTH)
    counted = list(
        Enrolment.objects.current(on)
        .filter(population__programme=programme)
        .order_by()
        .values("agent__org_unit_id")
        .annotate(
            enrolled=Count("pk"),
            at_target=Count("pk", filter=Q(reached=True)),
            contributors=Count("agent", distinct=True, filter=Q(has_shared=True)),
        )
        .values_list("agent__org_unit_id", "enrolled", "at_target", "contributors")
    )
    chains = {unit: _chain(unit, parents) for unit, *_counts in counted if unit is not None}
    stats = []
    for depth in range(1, deepest + 1):
        totals: dict[int, list[int]] = {}
        for unit, enrolled, at_target, contributors in counted:
            key = chains[unit][:depth][-1] if unit is not None else NO_UNIT
            entry = totals.setdefault(key, [0, 0, 0])
            entry[0] += enrolled
            entry[1] += at_target
            entry[2] += contributors  # an agent belongs to one unit: no one counted twice
        rows = []
        for key, counts in totals.items():
            label, parent = None, None
            if key != NO_UNIT:
                chain = _chain(key, parents)
                label = " › ".join(labels.get(pk, "?") for pk in chain)
                if len(chain) == depth and depth > 1:
                    parent = chain[-2]
            rows.append([key, label, parent, *counts])
        rows.sort(key=lambda row: (row[0] == NO_UNIT, row[1] or ""))
        stats.append(UnitStat(programme=programme, depth=depth, on=on, depths=deepest, rows=rows))
    with transaction.atomic():
        list(Programme.objects.select_for_update().filter(pk=programme.pk).values_list("pk"))
        if UnitStat.objects.filter(programme=programme, on__gt=on).exists():
            return []
        UnitStat.objects.filter(programme=programme).delete()
        return UnitStat.objects.bulk_create(stats)
