"""A manager's team: their direct and indirect reports, and per programme how many of them
are enrolled and in which status (aggregates, under the small-group rule)."""

from collections import defaultdict

from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent

from . import perms, status
from .enums import ProgressStatus
from .models import Enrolment, Programme
from .pagination import paginate
from .roles import roles_for


def team(request):
    """The manager's direct and indirect reports, and per programme how many are enrolled."""
    roles = roles_for(request.user)
    context = {"title": _("Mon équipe"), "manager": roles.agent}
    if roles.agent is not None:
        reports = (
            Agent.objects.reports_of(roles.agent)
            .select_related("org_unit", "manager")
            .order_by("last_name", "first_name")
        )
        query = request.GET.get("q", "")
        context["query"] = query
        page = paginate(request, reports.search(query))
        context["page_obj"] = page
        # Without a search the paginator has counted the whole team already.
        context["team_size"] = reports.count() if query else page.paginator.count
        context["programme_rows"] = _team_programme_rows(request.user, reports)
        context["status_labels"] = ProgressStatus.labels
    return render(request, "programmes/team.html", context)


def _team_programme_rows(user, reports):
    today = timezone.localdate()
    rows = []
    programmes = (
        Programme.objects.filter(populations__enrolments__agent__in=reports)
        .annotate(
            enrolled=Count(
                "populations__enrolments__agent",
                filter=Q(populations__enrolments__agent__in=reports)
                & Q(populations__enrolments__start_date__lte=today)
                & (
                    Q(populations__enrolments__end_date__isnull=True)
                    | Q(populations__enrolments__end_date__gt=today)
                ),
                distinct=True,
            )
        )
        .order_by("name")
    )
    programmes = list(programmes)
    counts = _team_status_counts(reports, programmes, today)
    for programme in programmes:
        aggregates_only = not programme.is_managerial
        rows.append(
            {
                "programme": programme,
                "enrolled": programme.enrolled,
                "suppressed": aggregates_only and perms.suppress_small_group(programme.enrolled),
                "aggregates_only": aggregates_only,
                "statuses": [counts[programme.pk][progress] for progress in ProgressStatus],
            }
        )
    return rows


def _team_status_counts(reports, programmes, today):
    """Per programme, how many of the team's current enrolments are in each status: an
    aggregate, shown under the same small-group rule as every other figure. One query."""
    counts = defaultdict(lambda: dict.fromkeys(ProgressStatus, 0))
    if not programmes:
        return counts
    enrolments = Enrolment.objects.current(today).filter(
        agent__in=reports, population__programme__in=programmes
    )
    grouped = (
        status.with_progress(enrolments, programmes=programmes, today=today)
        .order_by()
        .values("population__programme_id", "progress_status")
        .annotate(n=Count("pk"))
    )
    for row in grouped:
        progress = ProgressStatus(row["progress_status"])
        counts[row["population__programme_id"]][progress] = row["n"]
    return counts
