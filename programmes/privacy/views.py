"""An agent's own data: the data-protection page (what is kept, who sees it, how long, their
rights) and "Mes données", everything held about them as a JSON file."""

import datetime
import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from . import selectors_mydata
from .models import Enrolment
from .roles import roles_for


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
        request, "programmes/mydata_page.html", {"title": _("Mes données"), "agent": agent}
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


def data_protection(request):
    """What is kept about agents, why, who sees it under each purpose, for how long, and
    their rights; with the user's own programmes and when their data will be purged."""
    days = settings.RESULTS_RETENTION_DAYS
    programmes = {}
    enrolments = Enrolment.objects.filter(agent__user=request.user).select_related(
        "population__programme"
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
        "programmes/data_protection.html",
        {
            "title": _("Protection de vos données"),
            "retention_days": days,
            "login_retention_days": settings.LOGIN_LOG_RETENTION_DAYS,
            "has_agent": roles_for(request.user).is_agent,
            "my_programmes": sorted(programmes.values(), key=lambda p: p["programme"].name),
        },
    )
