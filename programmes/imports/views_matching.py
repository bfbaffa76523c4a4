"""The queue of participants an import could not match to an agent, and how they get one."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from campaigns import services as campaign_services
from campaigns.enums import MatchStatus

from . import selectors
from .forms import AgentChoiceForm, AgentFromParticipantForm
from .models import TargetPopulation
from .pagination import paginate
from .services_matching import agent_create_from_participant
from .views_imports import programme_for_import

TO_CONFIRM_TAB = "a-confirmer"
MAX_CANDIDATES = 20


def unmatched_list(request, slug):
    programme = programme_for_import(request.user, slug)
    waiting = selectors.participations_to_match(programme)
    to_confirm = request.GET.get("onglet") == TO_CONFIRM_TAB
    if to_confirm:
        shown = waiting.filter(match_status=MatchStatus.TO_CONFIRM)
    else:
        shown = waiting.filter(agent__isnull=True)
    query = request.GET.get("q", "").strip()
    shown = selectors.search_participants(shown, query)
    shown = shown.select_related("campaign", "agent").order_by(
        "participant_last_name", "participant_first_name", "campaign__name", "pk"
    )
    return render(
        request,
        "programmes/unmatched_list.html",
        {
            "title": _("Participants à rapprocher"),
            "programme": programme,
            "to_confirm": to_confirm,
            "tab_param": TO_CONFIRM_TAB,
            "counts": selectors.participations_to_match_counts(programme),
            "query": query,
            "page_obj": paginate(request, shown),
        },
    )


def _participation_of(programme, participation_id):
    waiting = selectors.participations_to_match(programme).select_related("campaign", "agent")
    return get_object_or_404(waiting, pk=participation_id)


def unmatched_detail(request, slug, participation_id):
    programme = programme_for_import(request.user, slug)
    participation = _participation_of(programme, participation_id)
    form = _create_form(request, programme, participation)
    return _render_detail(request, programme, participation, form)


def _create_form(request, programme, participation, data=None):
    """The « Créer l'agent » form, prefilled with what the export says of the participant."""
    return AgentFromParticipantForm(
        data,
        populations=TargetPopulation.objects.visible_to(request.user).filter(programme=programme),
        action=reverse(
            "programmes:unmatched_create_agent",
            kwargs={"slug": programme.slug, "participation_id": participation.pk},
        ),
        initial={
            "last_name": participation.participant_last_name,
            "first_name": participation.participant_first_name,
            "external_id": participation.participant_external_id,
        },
    )


def _render_detail(request, programme, participation, create_form):
    query = request.GET.get("q", participation.participant_last_name).strip()
    candidates = []
    if query:
        candidates = (
            selectors.visible_agents(request.user)
            .search(query)
            .select_related("org_unit")
            .order_by("last_name", "first_name", "pk")[:MAX_CANDIDATES]
        )
    name = f"{participation.participant_first_name} {participation.participant_last_name}"
    return render(
        request,
        "programmes/unmatched_detail.html",
        {
            "title": _("Rapprocher %(name)s") % {"name": name},
            "programme": programme,
            "participation": participation,
            "query": query,
            "candidates": candidates,
            "max_candidates": MAX_CANDIDATES,
            "create_form": create_form,
        },
    )


@require_POST
def unmatched_match(request, slug, participation_id):
    programme = programme_for_import(request.user, slug)
    participation = _participation_of(programme, participation_id)
    form = AgentChoiceForm(request.POST, agents=selectors.visible_agents(request.user))
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["agent"]))
        return redirect("programmes:unmatched_detail", slug=slug, participation_id=participation.pk)
    agent = form.cleaned_data["agent"]
    count = campaign_services.participation_match(participation=participation, agent=agent)
    messages.success(request, _matched_message(agent, count))
    return redirect("programmes:unmatched_list", slug=slug)


def _matched_message(agent, count):
    return ngettext(
        "%(name)s : %(count)s participation rattachée, avec ses résultats.",
        "%(name)s : %(count)s participations rattachées, avec leurs résultats.",
        count,
    ) % {"name": agent.full_name, "count": count}


@require_POST
def unmatched_confirm(request, slug, participation_id):
    programme = programme_for_import(request.user, slug)
    participation = _participation_of(programme, participation_id)
    if participation.match_status != MatchStatus.TO_CONFIRM:
        messages.warning(request, _("Ce rapprochement n’est pas à confirmer."))
        return redirect("programmes:unmatched_list", slug=slug)
    campaign_services.participation_confirm(participation=participation)
    messages.success(
        request,
        _("Rapprochement de %(name)s confirmé.") % {"name": participation.agent.full_name},
    )
    return redirect("programmes:unmatched_list", slug=slug)


@require_POST
def unmatched_create_agent(request, slug, participation_id):
    programme = programme_for_import(request.user, slug)
    participation = _participation_of(programme, participation_id)
    form = _create_form(request, programme, participation, data=request.POST)
    if not form.is_valid():
        return _render_detail(request, programme, participation, form)
    agent = agent_create_from_participant(participation=participation, **form.cleaned_data)
    messages.success(
        request, _("Agent %(name)s créé ; ses résultats lui sont rattachés.") % {"name": agent}
    )
    return redirect("programmes:unmatched_list", slug=slug)
