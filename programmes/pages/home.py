"""The landing pages: each role's home, the health check, and the programmes (list and page).
Populations, teams and agents have their own modules (views_populations, views_team,
views_agents)."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from . import perms, selectors
from .models import Programme
from .roles import roles_for


def home(request):
    """Each role lands on its own home; someone with several roles gets the widest."""
    roles = roles_for(request.user)
    if roles.is_owner or request.user.is_staff:
        return redirect("programmes:programme_list")
    if roles.is_ambassador:
        return redirect("programmes:population_list")
    if roles.is_manager:
        return redirect("programmes:team")
    if roles.is_agent:
        return redirect("programmes:my_page")
    return render(request, "programmes/no_role.html", {"title": _("Bienvenue")})


@login_not_required
def healthz(request):
    """For the load balancer and compose: the app answers and its database too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def programme_list(request):
    programmes = selectors.programmes_for_home(request.user)
    return render(
        request,
        "programmes/programme_list.html",
        {"title": _("Programmes"), "programmes": programmes},
    )


def programme_detail(request, slug):
    programme = get_object_or_404(Programme.objects.visible_to(request.user), slug=slug)
    populations = selectors.populations_with_counts(programme.populations.all()).order_by("name")
    can_import = perms.can_import_results(request.user, programme)
    return render(
        request,
        "programmes/programme_detail.html",
        {
            "title": programme.name,
            "programme": programme,
            "populations": populations,
            "aggregates_only": perms.sees_aggregates_only(request.user, programme),
            "owners": programme.owners.all(),
            "campaigns": programme.campaigns.all(),
            "can_import": can_import,
            "unmatched_count": selectors.unmatched_count(programme) if can_import else None,
            "can_pair_mentors": perms.can_pair_mentors(request.user, programme),
        },
    )
