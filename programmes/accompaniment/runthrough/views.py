"""The run-through of a milestone: one agent at a time, their situation, their gaps with the
resources and mentors that could help (proposed in one click), then the check-in form;
saving goes on to the next agent not checked in yet."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lib.params import int_param
from programmes import perms
from programmes.accompaniment.checkins import selectors as selectors_checkins
from programmes.accompaniment.checkins import services as services_checkins
from programmes.accompaniment.checkins.forms import CheckInForm
from programmes.accompaniment.runthrough import selectors, services
from programmes.models import Milestone

AIDS_ANCHOR = "run-aids"


def _milestone(user, pk):
    """The milestone, when the user sees its population (else 404) and records its
    check-ins (else 403)."""
    milestone = get_object_or_404(
        Milestone.objects.visible_to(user).select_related("population__programme"), pk=pk
    )
    if not perms.can_record_checkins(user, milestone.population):
        raise PermissionDenied
    return milestone


def _current_agent(milestone, agent_id):
    """The agent `agent_id` when currently enrolled in the milestone's population, else
    404 (an agent of another population too)."""
    agents = selectors_checkins.population_agents(milestone.population, timezone.localdate())
    return get_object_or_404(agents.select_related("org_unit"), pk=agent_id)


def _run_agent(request, milestone):
    """The agent named by ?agent= (currently enrolled in the population, else 404), or the
    first agent not checked in yet (None when there is none)."""
    asked = request.GET.get("agent")
    if asked is None:
        return selectors_checkins.run_next_agent(milestone)
    agent_id = int_param(asked)
    if agent_id is None:
        raise Http404
    return _current_agent(milestone, agent_id)


def _run_url(milestone, agent, anchor=""):
    url = reverse("programmes:milestone_run", kwargs={"pk": milestone.pk}) + f"?agent={agent.pk}"
    return f"{url}#{anchor}" if anchor else url


def _all_done(request, milestone):
    messages.success(request, _("Tous les agents ont un point d’étape."))
    return redirect("programmes:milestone_detail", pk=milestone.pk)


def milestone_run(request, pk):
    milestone = _milestone(request.user, pk)
    agent = _run_agent(request, milestone)
    if agent is None:
        return _all_done(request, milestone)
    step = selectors_checkins.run_step(milestone, agent)
    form = CheckInForm(
        request.POST if request.method == "POST" else None,
        milestone=milestone,
        checkin=step.checkin,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services_checkins.checkin_record(
                milestone=milestone, agent=agent, recorded_by=request.user, **form.cleaned_data
            )
        except services_checkins.CheckInInvalid as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            following = selectors_checkins.run_next_agent(milestone, after=agent)
            if following is None:
                return _all_done(request, milestone)
            messages.success(
                request, _("Point d’étape de %(name)s enregistré.") % {"name": agent.full_name}
            )
            return redirect(_run_url(milestone, following))
    context = {
        "title": _("Passer en revue la population"),
        "milestone": milestone,
        "population": milestone.population,
        "step": step,
        "aids": selectors.run_aids(agent, step.enrolment),
        "form": form,
    }
    return render(request, "programmes/accompaniment/checkins/checkin_run.html", context)


def _proposal_target(request, pk, agent_id):
    """The milestone (see _milestone), its population's current agent `agent_id` (else
    404) and the aids shown for them."""
    milestone = _milestone(request.user, pk)
    agent = _current_agent(milestone, agent_id)
    enrolment = selectors.current_enrolment(milestone.population, agent, timezone.localdate())
    return milestone, agent, selectors.run_aids(agent, enrolment)


@require_POST
def run_resource_propose(request, pk, agent_id, resource_id):
    """Put a resource recommended to the agent into their follow-up of resources."""
    milestone, agent, aids = _proposal_target(request, pk, agent_id)
    resource = get_object_or_404(milestone.population.programme.resources, pk=resource_id)
    recommended = aids.resource(resource.pk)
    names = {"title": resource.title, "name": agent.full_name}
    if recommended is None:
        messages.error(
            request,
            _("« %(title)s » n’est pas recommandée à %(name)s : rien n’a changé.") % names,
        )
    elif services.resource_propose(agent=agent, resource=resource):
        messages.success(
            request,
            _("« %(title)s » est proposée à %(name)s : elle figure dans son suivi des ressources.")
            % names,
        )
    else:
        messages.info(request, _("« %(title)s » figurait déjà dans le suivi de %(name)s.") % names)
    return redirect(_run_url(milestone, agent, AIDS_ANCHOR))


@require_POST
def run_mentor_propose(request, pk, agent_id, mentor_id):
    """Pair the agent with a volunteer on one of their gap competences."""
    milestone, agent, aids = _proposal_target(request, pk, agent_id)
    mentor = get_object_or_404(
        milestone.population.programme.mentors.select_related("agent", "competence", "programme"),
        pk=mentor_id,
    )
    names = {
        "mentor": mentor.agent.full_name,
        "name": agent.full_name,
        "code": mentor.competence.code,
    }
    if aids.gap_with_mentor(mentor.pk) is None:
        messages.error(
            request,
            _(
                "%(mentor)s ne peut pas accompagner %(name)s en %(code)s (plus volontaire, "
                "ou pas d’écart sur cette compétence) : rien n’a changé."
            )
            % names,
        )
        return redirect(_run_url(milestone, agent, AIDS_ANCHOR))
    try:
        _mentoring, paired = services.mentor_propose(
            agent=agent, mentor=mentor, proposed_by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages) + " " + _("Rien n’a changé."))
    else:
        if paired:
            messages.success(
                request, _("%(name)s est mis·e en relation avec %(mentor)s en %(code)s.") % names
            )
        else:
            messages.info(
                request, _("%(name)s était déjà accompagné·e par %(mentor)s en %(code)s.") % names
            )
    return redirect(_run_url(milestone, agent, AIDS_ANCHOR))
