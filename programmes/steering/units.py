"""The share at target by service or direction: the programme's current enrolments counted
by the unit of the organisation chart their agent belongs to, rolled up to the depth the
owner chooses (1: the top units, 2: the units under them, …). Agents of a unit shallower
than that depth are counted in that unit.

Privacy (DESIGN.md): for whoever sees aggregates only, a unit whose figures rest on the
shared results of fewer than 5 agents reads « moins de 5 »; and since the page also shows
the programme's total and each unit's parent (at the depth above), the units withheld under
one parent, and over the whole programme, must together hold no agent or at least 5, else
the smallest unit shown beside them is withheld too (no figure found by subtraction). Two
queries, whatever the number of agents and units.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import OrgUnit
from programmes import perms
from programmes.models import Enrolment, Programme
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
    smallest row still shown."""
    minimum = settings.PRIVACY_MIN_GROUP_SIZE
    by_key = {row.key: row for row in rows}
    withheld = perms.withheld_figures(
        [perms.Figure(row.key, row.contributors) for row in rows], lambda a, b: (0, True)
    )
    changed = True
    while changed:
        changed = False
        for group in groups:
            hidden = sum(by_key[key].contributors for key in group if key in withheld)
            shown = sorted(
                (by_key[key] for key in group if key not in withheld),
                key=lambda row: (row.contributors, row.key),
            )
            if 0 < hidden < minimum and shown:
                withheld.add(shown[0].key)
                changed = True
    return withheld


def unit_shares(programme: Programme, *, depth: int | None, aggregates_only: bool) -> UnitShares:
    """The programme's current enrolments by unit at `depth` (an invalid depth: 1)."""
    today = timezone.localdate()
    parents, labels = {}, {}
    for pk, parent, name in OrgUnit.objects.values_list("pk", "parent_id", "name"):
        parents[pk], labels[pk] = parent, name
    deepest = max((_depth_of(pk, parents) for pk in parents), default=1)
    depths = list(range(1, min(deepest, MAX_DEPTH) + 1))
    if depth not in depths:
        depth = 1
    enrolments = Enrolment.objects.current(today).filter(population__programme=programme)
    # The stored progress state alone: « reached » and « has shared » are columns of the row.
    counted = (
        enrolments.order_by()
        .values("agent__org_unit_id")
        .annotate(
            enrolled=Count("pk"),
            at_target=Count("pk", filter=Q(reached=True)),
            contributors=Count("agent", distinct=True, filter=Q(has_shared=True)),
        )
    )
    totals: dict[int, list[int]] = {}
    for row in counted:
        unit = row["agent__org_unit_id"]
        key = _chain(unit, parents)[:depth][-1] if unit is not None else NO_UNIT
        entry = totals.setdefault(key, [0, 0, 0])
        entry[0] += row["enrolled"]
        entry[1] += row["at_target"]
        entry[2] += row["contributors"]
    return UnitShares(depth, depths, _rows(totals, parents, labels, depth, aggregates_only))


def _rows(totals, parents, labels, depth, aggregates_only) -> list[UnitRow]:
    rows = []
    for key, (enrolled, reached, contributors) in totals.items():
        if key == NO_UNIT:
            label = _("Sans unité renseignée")
        else:
            label = " › ".join(labels.get(pk, "?") for pk in _chain(key, parents))
        rows.append(UnitRow(key, label, enrolled, reached, contributors))
    rows.sort(key=lambda row: (row.key == NO_UNIT, row.label))
    if not aggregates_only:
        return rows
    # Rows under one parent add up to the parent's row at the depth above; all the rows add
    # up to the programme's total.
    siblings: dict[int, list[int]] = {}
    for row in rows:
        chain = _chain(row.key, parents) if row.key != NO_UNIT else []
        if len(chain) == depth and depth > 1:
            siblings.setdefault(chain[-2], []).append(row.key)
    for parent, keys in siblings.items():
        if parent in totals:  # agents of the parent itself make a row beside its children
            keys.append(parent)
    groups = [[row.key for row in rows], *siblings.values()]
    withheld = withheld_units(rows, groups)
    return [
        UnitRow(row.key, row.label, row.enrolled, row.reached, row.contributors, True)
        if row.key in withheld
        else row
        for row in rows
    ]
