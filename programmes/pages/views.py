"""The pages that combine several parts. Each role's home, the health check, the programmes
(list and page); an agent's results: their own page (« Mon parcours », with the switch that
shares them with their direct manager) and, for those who may see them, the agents list and an
agent's page, both built from the same rows (results, personal targets, status), with their
check-ins, resources and mentoring."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lib import charts, french
from lib.pagination import paginate
from programmes import perms, selectors, status
from programmes.enums import TargetKind
from programmes.imports import selectors as import_selectors
from programmes.models import Enrolment, Programme, ResultAccessLog, Target, TargetPopulation
from programmes.pages.rows import (
    EnrolmentRow,
    add_agent_page_checkins,
    add_my_accompaniment,
    add_personal_targets,
    add_progress,
    add_results,
)
from programmes.pages.todo import todo_for
from programmes.privacy import consent as services_consent
from programmes.roles import roles_for
from programmes.selectors import visible_programme_or_404


def my_page(request):
    """The agent's own page: per enrolment, their status, their levels against their targets
    (chart and table), their evolution, who sees what, and the sharing switch."""
    roles = roles_for(request.user)
    agent = roles.agent
    rows = [EnrolmentRow(e) for e in selectors.populations_of_agent(agent)] if agent else []
    if rows:
        add_results(agent, rows)
        add_personal_targets(agent, rows)
        add_progress(rows)
        consents = selectors.active_consents_of_agent(agent)
        for row in rows:
            row.consent = consents.get(row.enrolment.population.programme_id)
            row.chart = _my_levels_chart(row.enrolment, row.lines)
        add_my_accompaniment(agent, rows)
        _worded_for_the_agent(rows)
    return render(
        request,
        "programmes/pages/my_page.html",
        {"title": _("Mon parcours"), "agent": agent, "rows": rows},
    )


def _worded_for_the_agent(rows):
    """The agent reads their statuses (now and at their check-ins) in the second person, with
    the softer labels (status.agent_display); the other pages keep the precise terms."""
    today = timezone.localdate()
    for row in rows:
        programme = row.enrolment.population.programme
        row.progress = status.agent_display(
            row.progress.status, programme, last_activity=row.last_activity, today=today
        )
        for checkin in row.checkins:  # their status at each check-in: the label only
            checkin.progress = status.agent_display(checkin.progress.status, programme)


def _my_levels_chart(enrolment, lines):
    """The agent's latest level against their level target, per competence with one."""
    bars = []
    for line in lines:
        targets = [t.level for t in line.targets if t.kind == TargetKind.LEVEL]
        if not targets:
            continue
        result = line.level_result
        target = max(targets)
        note = (
            _("%(level)s (cible %(target)s)") % {"level": result.level, "target": target}
            if result
            else _("pas de résultat (cible %(target)s)") % {"target": target}
        )
        label = f"{line.competence.code} {line.competence.name}"
        bars.append(charts.Bar(label, result.level if result else None, note))
    if not bars:
        return None
    return charts.bar_chart(
        chart_id=f"chart-my-levels-{enrolment.pk}",
        title=_("Vos derniers niveaux et vos niveaux cibles"),
        description=_(
            "Barres horizontales : pour chaque compétence qui a un niveau cible, votre dernier "
            "niveau partagé (de 0 à 8), suivi du niveau cible. Les chiffres sont dans le "
            "tableau qui suit."
        ),
        bars=bars,
        maximum=8,
        axis_text=lambda value: f"{value:g}",
        labels_above=True,  # the agent's page is read on phones too
    )


@require_POST
def my_sharing(request, slug):
    """The agent shares their results with their direct manager (no one above), or stops
    sharing them: only in a self-assessment programme they are enrolled in (elsewhere: 404)."""
    agent = roles_for(request.user).agent
    programme = selectors.enrolled_programme(agent, slug)
    if programme is None or programme.is_managerial:
        raise Http404
    if request.POST.get("share"):
        consent = services_consent.consent_grant(agent=agent, programme=programme)
        messages.success(
            request,
            _(
                "Vos résultats de « %(programme)s » sont partagés avec votre encadrant depuis "
                "le %(date)s. Vous pouvez retirer ce partage à tout moment."
            )
            % {"programme": programme.name, "date": _day(consent.granted_at)},
        )
    else:
        consent = services_consent.consent_revoke(agent=agent, programme=programme)
        day = _day(consent.revoked_at if consent else timezone.now())
        messages.success(
            request,
            _(
                "Vos résultats de « %(programme)s » ne sont plus partagés avec votre encadrant "
                "depuis le %(date)s."
            )
            % {"programme": programme.name, "date": day},
        )
    return redirect("programmes:my_page")


def _day(moment):
    return french.long_date(moment)


def agent_list(request):
    """The agents the user may see, by name, a page at a time (selectors.agent_directory)."""
    query = request.GET.get("q", "")
    directory = selectors.agent_directory(request.user, query, request.GET.get("page"))
    agents = directory.agents.select_related("org_unit", "manager")
    return render(
        request,
        "programmes/pages/agent_list.html",
        {
            "title": _("Agents"),
            "query": query,
            "page_obj": paginate(request, agents, count=directory.count),
            "more": directory.more,
            "can_import": perms.can_import_agents(request.user),
        },
    )


def _enrolments_shown(user, agent):
    """The agent's enrolments a viewer sees on the agent's page: every one for staff, the agent
    and their manager line; for anyone else, those in the populations the viewer may see (not
    another programme's, not another population's)."""
    enrolments = Enrolment.objects.filter(agent=agent)
    if user.is_staff or agent.user_id == user.pk or perms.is_in_manager_line(user, agent):
        return enrolments
    return enrolments.filter(population__in=TargetPopulation.objects.visible_to(user))


def agent_detail(request, pk):
    agent = get_object_or_404(
        selectors.visible_agents(request.user).select_related("org_unit", "manager"), pk=pk
    )
    enrolments = (
        _enrolments_shown(request.user, agent)
        .select_related("population__programme")
        .prefetch_related(
            Prefetch(
                "population__targets",
                queryset=Target.objects.select_related("competence", "campaign"),
            )
        )
        .order_by("-start_date")
    )
    rows, logs = [], []
    for enrolment in enrolments:
        programme = enrolment.population.programme
        visible = perms.can_view_individual_results(request.user, agent, programme)
        if visible and agent.user_id != request.user.pk:
            logs.append(
                ResultAccessLog(
                    viewer=request.user, agent=agent, programme=programme, path=request.path
                )
            )
        rows.append(EnrolmentRow(enrolment, results_visible=visible))
    ResultAccessLog.objects.bulk_create(logs)
    visible_rows = [row for row in rows if row.results_visible]
    add_results(agent, visible_rows)
    add_progress(visible_rows)
    add_agent_page_checkins(request.user, agent, rows)
    return render(
        request,
        "programmes/pages/agent_detail.html",
        {"title": agent.full_name, "agent": agent, "rows": rows},
    )


def home(request):
    """Each role lands on its own home; someone with several roles gets the widest."""
    roles = roles_for(request.user)
    if roles.is_owner and not request.user.is_staff:
        # An owner of one programme lands on its cockpit: where the programme is going.
        owned = list(Programme.objects.owned_by(request.user).values_list("slug", flat=True)[:2])
        if len(owned) == 1:
            return redirect("programmes:dashboard", slug=owned[0])
    if roles.is_owner or request.user.is_staff:
        return redirect("programmes:programme_list")
    if roles.is_ambassador:
        return redirect("programmes:todo")
    if roles.is_manager:
        return redirect("programmes:team")
    if roles.is_agent:
        return redirect("programmes:my_page")
    if perms.can_import_agents(request.user):
        return redirect("agents:import")  # a « gestionnaire RH » and nothing else
    return render(request, "programmes/pages/no_role.html", {"title": _("Bienvenue")})


def todo(request):
    """The ambassador's home: per programme they accompany agents in, what waits for them
    (pages.todo), each with how many and a link to where it is done."""
    return render(
        request,
        "programmes/pages/todo.html",
        {"title": _("À faire"), "todos": todo_for(request.user)},
    )


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
        "programmes/pages/programme_list.html",
        {"title": _("Programmes"), "programmes": programmes},
    )


def programme_detail(request, slug):
    programme = visible_programme_or_404(request.user, slug)
    populations = selectors.populations_with_counts(programme.populations.all()).order_by("name")
    can_import = perms.can_import_results(request.user, programme)
    return render(
        request,
        "programmes/pages/programme_detail.html",
        {
            "title": programme.name,
            "programme": programme,
            "populations": populations,
            "aggregates_only": perms.sees_aggregates_only(request.user, programme),
            "owners": programme.owners.all(),
            "campaigns": programme.campaigns.all(),
            "can_import": can_import,
            "unmatched_count": import_selectors.unmatched_count(programme) if can_import else None,
            "can_pair_mentors": perms.can_pair_mentors(request.user, programme),
        },
    )
