"""An agent's own data: the data-protection page (what is kept, who sees it, how long, their
rights) and "Mes données", everything held about them as a JSON file, a workbook and a page
to print; for the programme's owners, the log of who viewed whose individual results."""

import datetime
import json

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent
from lib.exports import Column, Kind, Table, csv_response, xlsx_response
from lib.pagination import paginate
from lib.params import int_param
from programmes import perms
from programmes.models import Enrolment, ResultAccessLog
from programmes.privacy import selectors as selectors_mydata
from programmes.privacy.readable import printable_sections, readable_tables
from programmes.roles import roles_for
from programmes.selectors import visible_programme_or_404


def _own_agent(request):
    """The requesting user's agent; an account without one has no data here: 404."""
    agent = selectors_mydata.agent_of_user(request.user)
    if agent is None:
        raise Http404
    return agent


def my_data(request):
    """The agent's right of access: what the file holds, and the button to download it."""
    agent = _own_agent(request)
    return render(
        request, "programmes/privacy/mydata_page.html", {"title": _("Mes données"), "agent": agent}
    )


def my_data_file(request):
    """Everything held about the agent, as a UTF-8 JSON file (their own data only)."""
    agent = _own_agent(request)
    data = selectors_mydata.agent_data(agent)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"mes-donnees-pilote-pix-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def my_data_workbook(request):
    """The same data as the JSON file, for a spreadsheet: a sheet per kind of data, French
    headers (their own data only)."""
    agent = _own_agent(request)
    tables = readable_tables(selectors_mydata.agent_data(agent))
    response = xlsx_response(tables, f"mes-donnees-pilote-pix-{timezone.localdate():%Y-%m-%d}")
    response["Cache-Control"] = "no-store"
    return response


def my_data_print(request):
    """The same data as the JSON file, as a page to read or print (their own data only)."""
    agent = _own_agent(request)
    data = selectors_mydata.agent_data(agent)
    response = render(
        request,
        "programmes/privacy/mydata_print.html",
        {
            "title": _("Mes données — version à lire ou imprimer"),
            "agent": agent,
            "generated_at": data["a_propos"]["genere_le"],
            "sections": printable_sections(readable_tables(data)),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@login_not_required
def data_protection(request):
    """What is kept about agents, why, who sees it under each purpose, for how long, and
    their rights: public (the footer's « Données personnelles »); logged in, with the user's
    own programmes and when their data will be purged."""
    days = settings.RESULTS_RETENTION_DAYS
    programmes = {}
    enrolments = (
        Enrolment.objects.filter(agent__user=request.user).select_related("population__programme")
        if request.user.is_authenticated
        else Enrolment.objects.none()
    )
    for enrolment in enrolments:
        programme = enrolment.population.programme
        # Purged on the first day after end date + retention (services_purge).
        purge_on = (
            programme.end_date + datetime.timedelta(days=days + 1) if programme.end_date else None
        )
        programmes[programme.pk] = {"programme": programme, "purge_on": purge_on}
    return render(
        request,
        "programmes/privacy/data_protection.html",
        {
            "title": _("Protection de vos données"),
            "retention_days": days,
            "login_retention_days": settings.LOGIN_LOG_RETENTION_DAYS,
            "has_agent": roles_for(request.user).is_agent,
            "my_programmes": sorted(programmes.values(), key=lambda p: p["programme"].name),
        },
    )


def _log_programme(request, slug):
    """The programme whose access log the user may read: its owners and staff; others who
    see the programme get 403, the rest 404."""
    programme = visible_programme_or_404(request.user, slug)
    if not perms.can_manage_programme(request.user, programme):
        raise PermissionDenied
    return programme


def _log_entries(request, programme):
    entries = ResultAccessLog.objects.filter(programme=programme).select_related("viewer", "agent")
    agent_id = int_param(request.GET.get("agent"))
    agent = None
    if agent_id is not None:
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
        "programmes/privacy/dashboard_access_log.html",
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
