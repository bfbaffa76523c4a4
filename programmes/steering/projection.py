"""Where the share at target is going: from the shares computed over time, the pace of the
last three months carried forward to the deadline, and the month the target share is reached
at that pace. Pure: dates and numbers in, a frozen `Projection` out, no database.

Method (what the page says in `method_text`): the least-squares slope of the shares computed
in the 90 days up to the latest one, carried forward from the latest share. A slope needs at
least two points at least 30 days apart in that window; below that there is no measurable
trend. A pace under 0.1 point a month counts as flat.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from lib import french

WINDOW_DAYS = 90
MIN_SPAN_DAYS = 30
FLAT_PER_DAY = 0.1 / 30  # under 0.1 point a month, the share does not move
HORIZON_DAYS = 10 * 365  # a target reached more than ten years on is not dated


@dataclass(frozen=True)
class Projection:
    """The share at target now and where it goes at the recent pace (shares in percent)."""

    current: float | None  # the latest share, None without any point
    target_share: float
    deadline: date | None
    today: date
    per_day: float | None = None  # the pace, points a day; None: no measurable trend
    at_deadline: float | None = None  # the share expected at the deadline at that pace
    reach_month: date | None = None  # first day of the month the target share is reached

    @property
    def measurable(self) -> bool:
        return self.per_day is not None

    @property
    def reached(self) -> bool:
        return self.current is not None and self.current >= self.target_share

    @property
    def deadline_passed(self) -> bool:
        return self.deadline is not None and self.deadline < self.today

    @property
    def rising(self) -> bool:
        return self.per_day is not None and self.per_day >= FLAT_PER_DAY

    @property
    def per_month(self) -> float | None:
        return None if self.per_day is None else self.per_day * 30


def _slope(points: list[tuple[date, float]]) -> float:
    """Least-squares slope of the share against the day, points a day."""
    origin = points[0][0]
    xs = [(day - origin).days for day, _share in points]
    ys = [share for _day, share in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def project(
    points: list[tuple[date, float | None]],
    *,
    target_share: float,
    deadline: date | None,
    today: date,
) -> Projection:
    """The projection of the share at target from `points` (day, share in percent; None
    where the share is unknown or withheld, left out), towards `target_share` by
    `deadline` (None: no deadline), as of `today`."""
    known = sorted((day, share) for day, share in points if share is not None and day <= today)
    if not known:
        return Projection(None, target_share, deadline, today)
    last_day, current = known[-1]
    window = [(day, share) for day, share in known if (last_day - day).days <= WINDOW_DAYS]
    base = Projection(current, target_share, deadline, today)
    if len(window) < 2 or (last_day - window[0][0]).days < MIN_SPAN_DAYS:
        return base
    per_day = _slope(window)
    if abs(per_day) < FLAT_PER_DAY:
        per_day = 0.0
    at_deadline = None
    if deadline is not None and deadline >= today:
        at_deadline = min(100.0, max(0.0, current + per_day * (deadline - last_day).days))
    reach_month = None
    if current < target_share and per_day >= FLAT_PER_DAY:
        days = round((target_share - current) / per_day, 6)  # no day lost to float noise
        if days <= HORIZON_DAYS:
            reach_month = (last_day + timedelta(days=int(-(-days // 1)))).replace(day=1)
    return Projection(current, target_share, deadline, today, per_day, at_deadline, reach_month)


# --- In words, for the page -------------------------------------------------------------------


def _percent(value: float) -> str:
    return f"{round(value)}\u202f%"


def _month(day: date) -> str:
    return french.month_year(day)


def projection_text(projection: Projection) -> str:
    """« Au rythme actuel : 62 % au 31/12/2026 ; 80 % atteint en mai 2027. », or why not."""
    target = _percent(projection.target_share)
    if projection.current is None:
        return _("Pas encore de chiffres : pas de tendance mesurable.")
    if projection.reached:
        return _("Part visée de %(target)s atteinte : %(current)s aujourd’hui.") % {
            "target": target,
            "current": _percent(projection.current),
        }
    if not projection.measurable:
        return _("Pas de tendance mesurable : il faut des chiffres sur au moins un mois.")
    if projection.reach_month is not None:
        reach = _("%(target)s atteint en %(month)s") % {
            "target": target,
            "month": _month(projection.reach_month),
        }
    elif projection.rising:
        reach = _("%(target)s pas atteint dans les dix ans") % {"target": target}
    else:
        reach = _("%(target)s jamais atteint (progression nulle ou en baisse)") % {"target": target}
    if projection.deadline is None:
        return _("Au rythme actuel (sans échéance fixée) : %(reach)s.") % {"reach": reach}
    deadline = french.long_date(projection.deadline)
    if projection.deadline_passed:
        return _("Échéance du %(deadline)s passée ; au rythme actuel : %(reach)s.") % {
            "deadline": deadline,
            "reach": reach,
        }
    return _("Au rythme actuel : %(share)s au %(deadline)s ; %(reach)s.") % {
        "share": _percent(projection.at_deadline),
        "deadline": deadline,
        "reach": reach,
    }


def method_text() -> str:
    """How the projection is made, in one sentence."""
    return _(
        "Méthode : la pente (moindres carrés) des parts à l’objectif calculées au cours des "
        "%(days)s derniers jours, prolongée à partir de la dernière part connue."
    ) % {"days": WINDOW_DAYS}


def change_text(before: float | None, after: float | None) -> str | None:
    """The change between two shares as the page shows them, rounded: « +6 pts », « −2 pts »,
    « = »; None when either is unknown."""
    if before is None or after is None:
        return None
    points = round(after) - round(before)
    if points == 0:
        return "="
    sign = "+" if points > 0 else "\u2212"
    return _("%(sign)s%(points)s\u00a0pts") % {"sign": sign, "points": abs(points)}
