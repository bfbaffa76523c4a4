"""The steering committee report (« rapport pour le comité de pilotage »): two A4 pages (a
PDF, and the same as a printable page) for the programme's owners.

Every figure of the share at target, its changes, trend and projection, and of the barriers
comes from the owner's `Dashboard` (`build_dashboard`, same viewer, same day): the report
picks and lays out, it computes nothing of its own, so it reads as the dashboard does, with
its privacy rule (« moins de 5 »). What the report adds is what was done since the last
committee, taken simply as since the last milestone held (one with check-ins, on or before
today) or, without one, over the last 30 days: milestones held, check-ins recorded,
resources started and finished, reminders sent (three queries); for whoever sees aggregates
only, such a count from 1 to 4 reads « moins de 5 » too.

Page 1: the headline, the trend, the populations (the `MAX_POPULATIONS` largest, then
« et N autres »). Page 2: the three main barriers and their change since the previous
milestones, what was done, the signature.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from lib import charts, french
from programmes import perms
from programmes.enums import OutgoingStatus
from programmes.models import CheckIn, Programme, Reminder, ResourceUse
from programmes.steering.barriers import BarrierCounts, barrier_label
from programmes.steering.cockpit import CockpitLine, month_shares
from programmes.steering.dashboard import Dashboard
from programmes.steering.figures import percent_of, small_group_text
from programmes.steering.projection import change_text

MAX_POPULATIONS = 6  # rows of the populations' table: page 1 holds them with the trend
TOP_BARRIERS = 3
DEFAULT_PERIOD_DAYS = 30
MAX_MILESTONES = 5  # milestones held listed on page 2, then « et N autres »
TITLE_LENGTH = 80  # a milestone's title, shortened where the page is short of room
MAX_TREND_POPULATIONS = 3  # beyond, the trend draws the programme only (the table tells)


@dataclass(frozen=True)
class BarrierLine:
    """A barrier cited at the latest milestones, and at the previous ones."""

    label: str
    cited: int
    checkins: int
    previous_cited: int | None = None
    previous_checkins: int | None = None

    @property
    def share(self) -> float | None:
        return percent_of(self.cited, self.checkins)

    @property
    def previous_share(self) -> float | None:
        if self.previous_checkins is None:
            return None
        return percent_of(self.previous_cited, self.previous_checkins)

    @property
    def change(self) -> str | None:
        return change_text(self.previous_share, self.share)


@dataclass(frozen=True)
class PopulationRow:
    """A population's line of the cockpit, its changes put short for the table (the
    milestone's date without its title, which may be long)."""

    line: CockpitLine

    @property
    def month_change(self):
        return _change(self.line, "month")

    @property
    def milestone_change(self):
        return _change(self.line, "milestone")


@dataclass(frozen=True)
class HeldMilestone:
    title: str
    population: str
    on: date
    checkins: int | str  # « moins de 5 » when its figures are withheld


@dataclass(frozen=True)
class Activity:
    """What was done from `since` to today."""

    since: date
    since_text: str
    milestones: list[HeldMilestone]  # the first `MAX_MILESTONES`
    milestones_held: int
    checkins: int | str
    resources_started: int | str
    resources_done: int | str
    reminders_sent: int | str


@dataclass(frozen=True)
class Trend:
    """The trend chart and its numbers: a row a line drawn, a value a month end."""

    chart: SafeString
    months: list[str]
    rows: list[tuple[str, list[str]]]


@dataclass
class CommitteeReport:
    programme: Programme
    board: Dashboard
    today: date
    signatories: list[str]
    headline: CockpitLine | None
    populations: list[PopulationRow]
    others: int  # populations left out of the table
    trend: Trend | None
    barriers: list[BarrierLine]
    barrier_checkins: int
    previous_checkins: int | None  # None: no population has a previous milestone
    activity: Activity

    @property
    def month_change(self):
        return _change(self.headline, "month")

    @property
    def milestone_change(self):
        return _change(self.headline, "milestone")


def _change(line: CockpitLine | None, kind: str):
    if line is None:
        return None
    return next((change for change in line.changes if change.kind == kind), None)


def _populations(board: Dashboard) -> tuple[list[PopulationRow], int]:
    """The largest populations with figures first, those withheld after them; how many of
    the programme's populations are left out."""
    lines = sorted(
        board.cockpit[1:],
        key=lambda line: (line.hidden, -(line.enrolled or 0), line.label),
    )
    shown = [PopulationRow(line) for line in lines[:MAX_POPULATIONS]]
    return shown, len(board.populations) - len(shown)


def _trend(board: Dashboard) -> Trend | None:
    """The programme's share at target at each month end (the cockpit's sparkline points),
    and each population's when there are few."""
    keys = [figures.population.pk for figures in board.visible]
    overall = month_shares(board.months, keys)
    if sum(1 for _on, share in overall if share is not None) < 2:
        return None
    series = [charts.Series(_("Ensemble du programme"), [share for _on, share in overall])]
    if len(board.populations) <= MAX_TREND_POPULATIONS:
        for figures in board.populations:
            if figures.hidden or not figures.has_data:
                continue
            shares = month_shares(board.months, [figures.population.pk])
            series.append(charts.Series(figures.population.name, [s for _on, s in shares]))
    months = [french.month_numeric(on) for on, _share in overall]
    chart = charts.line_chart(
        chart_id="committee-trend",
        title=_("Part à l’objectif en fin de mois"),
        description=_(
            "Courbes : la part des inscrits à l’objectif à la fin de chaque mois. Les "
            "chiffres sont dans le tableau qui suit."
        ),
        x_labels=months,
        series=series,
    )
    rows = [
        (
            line.label,
            [charts.percent_text(value) if value is not None else "—" for value in line.values],
        )
        for line in series
    ]
    return Trend(chart, months, rows)


def _barriers(board: Dashboard) -> tuple[list[BarrierLine], int, int | None]:
    """The `TOP_BARRIERS` most cited at the populations' latest milestones (the dashboard's
    programme-wide totals), with the same populations' previous milestones where shown."""
    stats = board.barriers
    if stats is None or not stats.counted:
        return [], 0, None
    totals = stats.totals()
    previous: dict[int, BarrierCounts] = {b.pk: BarrierCounts() for b in stats.barriers}
    previous_checkins = None
    for figures in stats.counted:
        if len(figures.milestones) < 2 or figures.milestones[-2].hidden:
            continue
        step = figures.milestones[-2]
        previous_checkins = (previous_checkins or 0) + step.checkins
        for barrier_id, counts in step.counts.items():
            if barrier_id in previous:
                previous[barrier_id].add(counts)
    ranked = sorted(
        (b for b in stats.barriers if totals[b.pk].total),
        key=lambda b: (-totals[b.pk].total, b.position, b.label),
    )
    lines = [
        BarrierLine(
            barrier_label(barrier),
            totals[barrier.pk].total,
            stats.total_checkins,
            None if previous_checkins is None else previous[barrier.pk].total,
            previous_checkins,
        )
        for barrier in ranked[:TOP_BARRIERS]
    ]
    return lines, stats.total_checkins, previous_checkins


def _activity(programme: Programme, board: Dashboard, today: date) -> Activity:
    held = [
        (step, figures.population)
        for figures in (board.barriers.populations if board.barriers else [])
        for step in figures.milestones
        if step.milestone.date <= today
    ]
    if held:
        last, population = max(
            held, key=lambda item: (item[0].milestone.date, item[0].milestone.pk)
        )
        since = last.milestone.date
        since_text = _(
            "Depuis le dernier point d’étape tenu : « %(title)s » (%(population)s) du %(day)s."
        ) % {
            "title": Truncator(last.milestone.title).chars(TITLE_LENGTH),
            "population": Truncator(population.name).chars(60),
            "day": french.long_date(since),
        }
    else:
        since = today - timedelta(days=DEFAULT_PERIOD_DAYS)
        since_text = _(
            "Aucun point d’étape tenu : les %(days)s derniers jours, depuis le %(day)s."
        ) % {"days": DEFAULT_PERIOD_DAYS, "day": french.long_date(since)}
    start = timezone.make_aware(datetime.combine(since, time.min))

    def shown(count: int) -> int | str:
        if board.aggregates_only and count and perms.suppress_small_group(count):
            return small_group_text()
        return count

    checkins = CheckIn.objects.filter(
        milestone__population__programme=programme, recorded_at__gte=start
    ).count()
    uses = ResourceUse.objects.filter(resource__programme=programme).aggregate(
        started=Count("pk", filter=Q(started_at__gte=start)),
        done=Count("pk", filter=Q(done_at__gte=start)),
    )
    reminders = Reminder.objects.filter(
        programme=programme, status=OutgoingStatus.SENT, sent_at__gte=start
    ).count()
    milestones = [
        HeldMilestone(
            Truncator(step.milestone.title).chars(TITLE_LENGTH),
            population.name,
            step.milestone.date,
            small_group_text() if step.hidden else step.checkins,
        )
        for step, population in sorted(held, key=lambda item: item[0].milestone.date)
        if step.milestone.date >= since
    ]
    return Activity(
        since,
        since_text,
        milestones[:MAX_MILESTONES],
        len(milestones),
        shown(checkins),
        shown(uses["started"]),
        shown(uses["done"]),
        shown(reminders),
    )


def build_committee_report(programme: Programme, board: Dashboard) -> CommitteeReport:
    """The report of `programme` from `board`, the dashboard its reader sees today. Four
    queries besides the dashboard's: the owners, the check-ins, the resources followed and
    the reminders sent since the last committee."""
    today = timezone.localdate()
    populations, others = _populations(board)
    barriers, barrier_checkins, previous_checkins = _barriers(board)
    signatories = [
        str(owner) for owner in programme.owners.order_by("last_name", "first_name", "email")
    ]
    return CommitteeReport(
        programme=programme,
        board=board,
        today=today,
        signatories=signatories,
        headline=board.cockpit[0] if board.cockpit else None,
        populations=populations,
        others=others,
        trend=_trend(board),
        barriers=barriers,
        barrier_checkins=barrier_checkins,
        previous_checkins=previous_checkins,
        activity=_activity(programme, board, today),
    )
