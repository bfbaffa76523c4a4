"""The programme owner's dashboard and its exports, the population lists as files, and the
log of who viewed whose individual results."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from lib import pdf
from lib.exports import csv_response, xlsx_response
from lib.params import int_param
from programmes import perms
from programmes.models import ResultAccessLog, TargetPopulation
from programmes.selectors import visible_programme_or_404
from programmes.steering.committee import build_committee_report
from programmes.steering.dashboard import build_dashboard
from programmes.steering.queries import population_agents_table

EXPORTERS = {"csv": csv_response, "xlsx": xlsx_response}


def _population_id(request):
    return int_param(request.GET.get("population"))


def _board(request, programme):
    can_manage = perms.can_manage_programme(request.user, programme)
    board = build_dashboard(
        programme,
        request.user,
        population_id=_population_id(request),
        can_manage=can_manage,
        unit_depth=int_param(request.GET.get("depth")),
    )
    return board, can_manage


def dashboard(request, slug):
    """Share at target, funnel, evolution, levels and comparison, per population."""
    programme = visible_programme_or_404(request.user, slug)
    board, can_manage = _board(request, programme)
    return render(
        request,
        "programmes/steering/dashboard.html",
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
    """Every table of the dashboard, as CSV (one file) or XLSX (a sheet per table), the
    funnel of every population, the detail of the one chosen on screen (named in the file's
    name and its « À propos » sheet)."""
    programme = visible_programme_or_404(request.user, slug)
    board, _can_manage = _board(request, programme)
    # The population chosen on screen, whose detailed sheets the file holds.
    chosen = f"-{slugify(board.selected.population.name)}" if board.selected else ""
    filename = f"tableau-de-bord-{programme.slug}{chosen}-{timezone.localdate():%Y-%m-%d}"
    return EXPORTERS[fmt](board.tables(), filename)


COMMITTEE_CSS = "css/committee_report.css"


def _committee_report(request, slug):
    """The steering committee report, for the programme's owners and staff (others who see
    the programme get 403, the rest 404), from the dashboard they see."""
    programme = visible_programme_or_404(request.user, slug)
    if not perms.can_manage_programme(request.user, programme):
        raise PermissionDenied
    board = build_dashboard(programme, request.user, can_manage=True)
    return programme, build_committee_report(programme, board)


def _committee_context(programme, report) -> dict:
    return {
        "title": _("Rapport pour le comité de pilotage — %(programme)s")
        % {"programme": programme.name},
        "programme": programme,
        "report": report,
        "small_group": settings.PRIVACY_MIN_GROUP_SIZE,
    }


def committee_report(request, slug):
    """The steering committee report as a page, laid out to print on two A4 pages."""
    programme, report = _committee_report(request, slug)
    context = {**_committee_context(programme, report), "stylesheet": COMMITTEE_CSS}
    return render(request, "programmes/steering/committee_report.html", context)


def committee_report_pdf(request, slug):
    """The steering committee report as a two-page A4 PDF, named after the programme and
    the day."""
    programme, report = _committee_report(request, slug)
    files = pdf.font_files()
    html = render_to_string(
        "programmes/steering/committee_report_pdf.html",
        {**_committee_context(programme, report), "font_faces": pdf.font_faces(files)},
    )
    response = HttpResponse(pdf.html_to_pdf(html, COMMITTEE_CSS, files), "application/pdf")
    filename = f"comite-de-pilotage-{programme.slug}-{report.today:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
