"""The top of the owner's dashboard: for the whole programme and each population, the share
at target, its change over the last month and since the last milestone, a small trend
line and where it is going at the pace of the last three months (`projection`).

Read from the stats rows over time (`queries.stats_history`) as the user may see them: a
population whose figures are withheld today shows « moins de 5 » and nothing else; a past
figure withheld on its day gives no change. The programme line adds up, on each day, the
populations shown today, and has no figure on a day one of them was withheld.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from lib import charts, french
from programmes.steering.figures import EvolutionPoint, percent_of
from programmes.steering.projection import Projection, change_text, project, projection_text

SPARKLINE_MONTHS = 12


@dataclass(frozen=True)
class Change:
    """A change of the share at target since a past day: « +6 pts » and what it is since."""

    text: str
    since: str
    kind: str = "month"  # "month": since a month ago; "milestone": since the last one
    on: date | None = None  # the day compared with (the milestone's)


@dataclass(frozen=True)
class CockpitLine:
    key: str  # "all" or the population id
    label: str
    hidden: bool  # withheld under the privacy rule today: « moins de 5 »
    enrolled: int | None = None
    reached: int | None = None
    changes: tuple[Change, ...] = ()
    sparkline: SafeString | None = None
    projection: Projection | None = None

    @property
    def share(self) -> float | None:
        return None if self.projection is None else self.projection.current

    @property
    def projection_text(self) -> str:
        return "" if self.projection is None else projection_text(self.projection)


def _share(point: EvolutionPoint, keys) -> float | None:
    """The share at target of the populations `keys` at `point`, None if one is withheld
    then or none has figures."""
    enrolled = reached = 0
    found = False
    for key in keys:
        values = point.values.get(key)
        if values is None:
            continue
        if values[2]:
            return None
        enrolled, reached, found = enrolled + values[0], reached + values[1], True
    return percent_of(reached, enrolled) if found else None


def _value_on(series: list[tuple[date, float | None]], day: date):
    """The latest (day, share) of `series` on or before `day`."""
    found = None
    for on, share in series:
        if on > day:
            break
        found = (on, share)
    return found


def _month_before(day: date) -> date:
    """The same day of the previous month, clamped to that month's last day."""
    last_of_previous = day.replace(day=1) - timedelta(days=1)
    return last_of_previous.replace(day=min(day.day, last_of_previous.day))


def _changes(series, current, milestone) -> tuple[Change, ...]:
    if not series or current is None:
        return ()
    last_day = series[-1][0]
    changes = []
    # A month's change: against the latest figure a month or more before the last one (in a
    # programme refreshed every night, the same day last month; after the backfill's month
    # ends alone, the month end before that day): never against a figure a few days old.
    before = _value_on(series, _month_before(last_day))
    if before is not None and change_text(before[1], current) is not None:
        changes.append(
            Change(
                change_text(before[1], current),
                _("depuis le %(day)s") % {"day": french.day_month(before[0])},
                "month",
                before[0],
            )
        )
    if milestone is not None:
        before = _value_on(series, milestone.date)
        if before is not None and change_text(before[1], current) is not None:
            changes.append(
                Change(
                    change_text(before[1], current),
                    _("depuis le point d’étape « %(title)s » du %(day)s")
                    % {"title": milestone.title, "day": french.day_month(milestone.date)},
                    "milestone",
                    milestone.date,
                )
            )
    return tuple(changes)


def month_shares(months: list[EvolutionPoint], keys) -> list[tuple[date, float | None]]:
    """The share at target of the populations `keys` at each of the last `SPARKLINE_MONTHS`
    month ends (None where one is withheld or none has figures): the sparkline's points, and
    the committee report's trend."""
    return [(point.on, _share(point, keys)) for point in months[-SPARKLINE_MONTHS:]]


def _sparkline(key: str, label: str, months: list[EvolutionPoint], keys) -> SafeString | None:
    points = month_shares(months, keys)
    if sum(1 for _on, share in points if share is not None) < 2:
        return None
    words = ", ".join(
        f"{french.month_year(on)} : "
        + (charts.percent_text(share) if share is not None else _("non affiché"))
        for on, share in points
    )
    return charts.sparkline(
        chart_id=f"sparkline-{key}",
        title=_("Tendance de la part à l’objectif — %(label)s") % {"label": label},
        description=_("Part à l’objectif en fin de mois : %(values)s.") % {"values": words},
        values=[share for _on, share in points],
    )


def cockpit_line(
    *,
    key: str,
    label: str,
    keys: list[int],
    hidden: bool,
    days: list[EvolutionPoint],
    months: list[EvolutionPoint],
    milestone,
    target_share: float,
    deadline: date | None,
    today: date,
) -> CockpitLine:
    """One line of the cockpit: the populations `keys` taken together."""
    if hidden:
        return CockpitLine(key, label, hidden=True)
    series = [(point.on, _share(point, keys)) for point in days]
    series = [(on, share) for on, share in series if share is not None or on == days[-1].on]
    if not keys or not series:
        return CockpitLine(key, label, hidden=False)
    last = days[-1]
    enrolled = sum(last.values[k][0] for k in keys if k in last.values)
    reached = sum(last.values[k][1] for k in keys if k in last.values)
    projection = project(series, target_share=target_share, deadline=deadline, today=today)
    return CockpitLine(
        key,
        label,
        hidden=False,
        enrolled=enrolled,
        reached=reached,
        changes=_changes([s for s in series if s[1] is not None], projection.current, milestone),
        sparkline=_sparkline(key, label, months, keys),
        projection=projection,
    )
