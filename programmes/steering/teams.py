"""Each manager's team in each programme, counted at the figures refresh (`TeamStat`).

The team page counts its reports' enrolments live (`selectors.team_figures`) for a team of up to
settings.TEAM_LIVE_FIGURES_UP_TO agents: a few milliseconds, always current. A larger team
(a director's, 20,000 reports) would cost a scan of tens of thousands of enrolments on every
view, so its page reads the row stored by the last refresh instead (after each import and
every night, as the owner's dashboard), and says as of when.

`team_stats_refresh` computes every manager's row of one programme in one statement: each
direct manager's figures (their reports' enrolments grouped by manager, from the stored
progress state), then each manager's sums carried up to every manager above them (a
recursive walk up the manager line), summed by manager. The walk stops where it comes back
to the manager it started from, and after MAX_LINE levels: a loop in the manager line
(which the HR import refuses) cannot run forever."""

from datetime import date

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from programmes import status
from programmes.models import Enrolment, Programme, TeamStat
from programmes.selectors import TEAM_FIGURES, team_figures_query

MAX_LINE = 30


def _by_direct_manager(programme: Programme, on: date) -> QuerySet:
    """The programme's enrolments (current or not on `on`) of agents who have a manager,
    grouped by that manager: the team figures of their direct reports (an agent has one
    manager, so the agents counted once here are counted once up the line)."""
    enrolments = Enrolment.objects.filter(
        population__programme=programme, agent__manager_id__isnull=False
    )
    grouped = (
        status.with_progress(enrolments, programmes=[programme], today=on)
        .order_by()
        .values("agent__manager_id")
    )
    return team_figures_query(grouped, on).values("agent__manager_id", *TEAM_FIGURES)


def team_stats_refresh(*, programme: Programme, on: date) -> int:
    """Compute every manager's team figures in the programme as of `on` and store them in
    place of the previous refresh's (unless those are of a later day). Returns the rows
    written. One grouped statement, then one delete and one insert; the write holds the
    programme's row, so that two refreshes take turns."""
    direct, params = _by_direct_manager(programme, on).query.sql_with_params()
    columns = ", ".join(TEAM_FIGURES)
    sums = ", ".join(f"SUM({name})" for name in TEAM_FIGURES)
    carried = ", ".join(f"l.{name}" for name in TEAM_FIGURES)
    # Our own table and column names; the values are parameters. The agents are counted by
    # direct manager first: the walk up the line then carries one row per manager, not one
    # per agent. `origin`: the manager the row started from, where a loop would bring it back.
    sql = (
        f"WITH RECURSIVE direct(manager_id, {columns}) AS ({direct}), "  # noqa: S608
        f"line(manager_id, origin, depth, {columns}) AS ("
        f" SELECT manager_id, manager_id, 1, {columns} FROM direct"
        " UNION ALL"
        f" SELECT m.manager_id, l.origin, l.depth + 1, {carried} FROM line l"
        " JOIN agents_agent m ON m.id = l.manager_id"
        " WHERE m.manager_id IS NOT NULL AND m.manager_id <> l.origin AND l.depth < %s)"
        f" SELECT manager_id, {sums} FROM line GROUP BY manager_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, MAX_LINE])
        found = cursor.fetchall()
    now = timezone.now()
    rows = [
        TeamStat(
            programme=programme,
            manager_id=manager_id,
            on=on,
            computed_at=now,
            **dict(zip(TEAM_FIGURES, (int(value) for value in values), strict=True)),
        )
        for manager_id, *values in found
    ]
    with transaction.atomic():
        list(Programme.objects.select_for_update().filter(pk=programme.pk).values_list("pk"))
        if TeamStat.objects.filter(programme=programme, on__gt=on).exists():
            return 0  # a refresh as of a past day leaves the newest figures alone
        TeamStat.objects.filter(programme=programme).delete()
        TeamStat.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
