"""The programme owner's dashboard and its exports, the population lists as files, and the
log of who viewed whose individual results."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from agents.models import Agent

from . import perms
from .dashboard import build_dashboard
from .dashboard_queries import population_agents_table
from .exports import Column, Kind, Table, csv_response, xlsx_response
from .models import Programme, ResultAccessLog, TargetPopulation
from .pagination import paginate

EXPORTERS = {"csv": csv_response, "xlsx": xlsx_response}


def _programme(request, slug):
    return get_object_or_404(Programme.objects.visible_to(request.user), slug=slug)


def _population_id(request):
    value = request.GET.get("population", "")
    return int(value) if value.isdigit() else None


def _board(request, programme):
    can_manage = perms.can_manage_programme(request.user, programme)
    board = build_dashboard(
        programme,
        request.user,
        population_id=_population_id(request),
        can_manage=can_manage,
    )
    return board, can_manage


def dashboard(request, slug):
    """Share at target, funnel, evolution, levels and comparison, per population."""
    programme = _programme(request, slug)
    board, can_manage = _board(request, programme)
    return render(
        request,
        "programmes/dashboard.html",
        {
            "title": _("Tableau de bord — %(programme)s") % {"programme": programme.name},
            "programme": programme,
            "board": board,
            "selected": board.selected,
            "can_manage": can_manage,
            "small_group": settings.PRIVACY_MIN_GROUP_SIZE,
        },
    )


def dashboard_export(request, slug, fmt):
    """Every table of the dashboard, as CSV (one file) or XLSX (a sheet per table)."""
    programme = _programme(request, slug)
    board, _can_manage = _board(request, programme)
    filename = f"tableau-de-bord-{programme.slug}-{timezone.localdate():%Y-%m-%d}"
    return EXPORTERS[fmt](board.tables(), filename)


def population_export(request, pk, fmt):
    """The population's agents with their status, targets met and last activity, for those
    who may see individuals; each agent exported is recorded in the access log."""
    population = get_object_or_404(
        TargetPopulation.objects.visible_to(request.user).select_related("programme"), pk=pk
    )
    if not perms.can_see_population_members(request.user, population):
        raise PermissionDenied
    table, enrolments = population_agents_table(population)
    ResultAccessLog.objects.bulk_create(
        [
            ResultAccessLog(
                viewer=request.user,
                agent_id=enrolment.agent_id,
                programme=population.programme,
                path=request.path,
            )
            for enrolment in enrolments
            if enrolment.agent.user_id != request.user.pk
        ],
        batch_size=2000,
    )
    filename = f"agents-{slugify(population.name)}-{timezone.localdate():%Y-%m-%d}"
    return EXPORTERS[fmt]([table], filename)


def _log_programme(request, slug):
    """The programme whose access log the user may read: its owners and staff; others who
    see the programme get 403, the rest 404."""
    programme = _programme(request, slug)
    if not perms.can_manage_programme(request.user, programme):
        raise PermissionDenied
    return programme


def _log_entries(request, programme):
    entries = ResultAccessLog.objects.filter(programme=programme).select_related("viewer", "agent")
    agent_id = request.GET.get("agent", "")
    agent = None
    if agent_id.isdigit():
        agent = Agent.objects.filter(pk=agent_id).first()
        entries = entries.filter(agent_id=agent_id)
    query = request.GET.get("q", "").strip()
    if query:
        entries = entries.filter(Q(agent__in=Agent.objects.search(query)))
    return entries.order_by("-viewed_at", "-pk"), agent, query


def access_log(request, slug):
    """Who viewed whose individual results in the programme, newest first."""
    programme = _log_programme(request, slug)
    entries, agent, query = _log_entries(request, programme)
    return render(
        request,
        "programmes/dashboard_access_log.html",
        {
            "title": _("Consultations de résultats individuels"),
            "programme": programme,
            "page_obj": paginate(request, entries),
            "agent": agent,
            "query": query,
            "export_query": request.GET.urlencode(),
        },
    )


def access_log_csv(request, slug):
    programme = _log_programme(request, slug)
    entries, _agent, _query = _log_entries(request, programme)
    table = Table(
        "consultations",
        _("Consultations de résultats individuels"),
        [
            Column(_("Le"), Kind.DATETIME),
            Column(_("Consulté par")),
            Column(_("Agent consulté")),
            Column(_("Matricule")),
            Column(_("Page")),
        ],
        (
            [e.viewed_at, e.viewer.email, e.agent.full_name, e.agent.external_id, e.path]
            for e in entries.iterator(chunk_size=2000)
        ),
    )
    filename = f"consultations-{programme.slug}-{timezone.localdate():%Y-%m-%d}"
    return csv_response([table], filename)
