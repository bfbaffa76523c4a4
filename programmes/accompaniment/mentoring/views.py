"""Peer mentoring ("compagnonnage"): the agent volunteers, withdraws, asks for help or cancels
from "Mon parcours"; the ambassador pairs requests with volunteers and ends pairings."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lib.pagination import paginate
from lib.params import int_param
from programmes import perms
from programmes import selectors as programme_selectors
from programmes.accompaniment.mentoring import selectors, services
from programmes.accompaniment.mentoring.forms import (
    CompetenceForm,
    PairForm,
    VolunteerFilterForm,
    first_error,
)
from programmes.models import Mentor, Mentoring
from programmes.roles import roles_for
from programmes.selectors import visible_programme_or_404

# --- The agent, from "Mon parcours" ----------------------------------------------------------


def _my_programme(request, slug):
    """The user's agent and the programme `slug` they are currently enrolled in; else 404."""
    agent = roles_for(request.user).agent
    programme = programme_selectors.enrolled_programme(agent, slug)
    if programme is None:
        raise Http404
    return agent, programme


def _back_to_my_page(programme):
    return redirect(f"{reverse('programmes:my_page')}#{selectors.mentoring_anchor(programme)}")


def _my_mentoring_action(request, slug, act):
    """Resolves the agent, the programme and the posted competence, runs `act(agent,
    programme, competence)` (which returns the success message), and goes back to the page."""
    agent, programme = _my_programme(request, slug)
    form = CompetenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back_to_my_page(programme)
    try:
        message = act(agent, programme, form.cleaned_data["competence"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, message)
    return _back_to_my_page(programme)


@require_POST
def my_mentor_volunteer(request, slug):
    def act(agent, programme, competence):
        services.mentor_volunteer(agent=agent, programme=programme, competence=competence)
        return _(
            "Merci ! Vous êtes volontaire pour aider vos collègues en %(code)s. Les ambassadeurs "
            "Pix du programme voient votre nom ; quand l’un d’eux vous met en relation avec un·e "
            "collègue, vous voyez chacun le nom et l’adresse e-mail de l’autre."
        ) % {"code": competence.code}

    return _my_mentoring_action(request, slug, act)


@require_POST
def my_mentor_withdraw(request, slug):
    def act(agent, programme, competence):
        offer = Mentor.objects.filter(
            agent=agent, programme=programme, competence=competence, withdrawn_at=None
        ).first()
        if offer is None:
            return _("Vous n’êtes pas volontaire en %(code)s.") % {"code": competence.code}
        reopened = services.mentor_withdraw(mentor=offer)
        message = _("Vous n’êtes plus volontaire en %(code)s.") % {"code": competence.code}
        if reopened:
            message += " " + _(
                "Les collègues que vous accompagniez retrouvent une demande en attente auprès "
                "de l’ambassadeur."
            )
        return message

    return _my_mentoring_action(request, slug, act)


@require_POST
def my_mentoring_request(request, slug):
    def act(agent, programme, competence):
        services.mentoring_request(mentee=agent, programme=programme, competence=competence)
        return _(
            "Votre demande d’aide en %(code)s est envoyée à l’ambassadeur Pix : il vous mettra "
            "en relation avec un·e collègue volontaire, dont vous verrez alors le nom et "
            "l’adresse e-mail."
        ) % {"code": competence.code}

    return _my_mentoring_action(request, slug, act)


@require_POST
def my_mentoring_cancel(request, slug):
    def act(agent, programme, competence):
        mentoring = Mentoring.objects.filter(
            mentee=agent, programme=programme, competence=competence, ended_at=None
        ).first()
        if mentoring is None:
            return _("Vous n’avez pas de demande en cours en %(code)s.") % {"code": competence.code}
        services.mentoring_cancel(mentoring=mentoring)
        return _("Votre demande d’aide en %(code)s est annulée.") % {"code": competence.code}

    return _my_mentoring_action(request, slug, act)


# --- The ambassador --------------------------------------------------------------------------


def _programme_to_pair(user, slug):
    """The programme, when the user sees it (else 404) and pairs its mentors (else 403)."""
    programme = visible_programme_or_404(user, slug)
    if not perms.can_pair_mentors(user, programme):
        raise PermissionDenied
    return programme


def mentoring_list(request, slug):
    """Open requests in the user's scope, pending first with their candidate volunteers,
    then the current pairings."""
    programme = _programme_to_pair(request.user, slug)
    whole = selectors.sees_whole_programme(request.user, programme)
    page_obj = paginate(request, selectors.open_mentorings(request.user, programme, whole=whole))
    requests = selectors.decorate_requests(
        request.user, programme, page_obj.object_list, whole=whole
    )
    context = {
        "title": _("Compagnonnage"),
        "programme": programme,
        "whole": whole,
        "page_obj": page_obj,
        "pending": [m for m in requests if m.mentor_id is None],
        "paired": [m for m in requests if m.mentor_id is not None],
    }
    return render(request, "programmes/accompaniment/mentoring/mentoring_list.html", context)


def mentor_list(request, slug):
    """The programme's active volunteers, by competence (one competence if asked)."""
    programme = _programme_to_pair(request.user, slug)
    form = VolunteerFilterForm(request.GET or None)
    competence = form.cleaned_data["competence"] if form.is_valid() else None
    page_obj = paginate(request, selectors.volunteers_list(programme, competence))
    context = {
        "title": _("Compagnons volontaires"),
        "programme": programme,
        "form": form,
        "competence": competence,
        "page_obj": page_obj,
    }
    return render(request, "programmes/accompaniment/mentoring/mentor_list.html", context)


def _back_to_list(programme, page):
    url = reverse("programmes:mentoring_list", kwargs={"slug": programme.slug})
    page = int_param(page)
    return redirect(f"{url}?page={page}" if page is not None else url)


@require_POST
def mentoring_pair(request, slug, mentoring_id):
    programme = _programme_to_pair(request.user, slug)
    mentoring = get_object_or_404(
        selectors.mentorings_in_scope(request.user, programme), pk=mentoring_id
    )
    form = PairForm(request.POST, programme=programme)
    if not form.is_valid():
        messages.error(request, first_error(form))
        return _back_to_list(programme, request.POST.get("page"))
    try:
        mentoring = services.mentoring_pair(
            mentoring=mentoring, mentor=form.cleaned_data["mentor"], paired_by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _(
                "%(mentee)s et %(mentor)s sont mis en relation en %(code)s : chacun voit "
                "désormais le nom et l’adresse e-mail de l’autre sur « Mon parcours »."
            )
            % {
                "mentee": mentoring.mentee.full_name,
                "mentor": mentoring.mentor.agent.full_name,
                "code": mentoring.competence.code,
            },
        )
    return _back_to_list(programme, request.POST.get("page"))


@require_POST
def mentoring_end(request, slug, mentoring_id):
    programme = _programme_to_pair(request.user, slug)
    mentoring = get_object_or_404(
        selectors.mentorings_in_scope(request.user, programme).select_related(
            "mentee", "competence"
        ),
        pk=mentoring_id,
    )
    services.mentoring_end(mentoring=mentoring)
    messages.success(
        request,
        _("Le compagnonnage de %(mentee)s en %(code)s est terminé.")
        % {"mentee": mentoring.mentee.full_name, "code": mentoring.competence.code},
    )
    return _back_to_list(programme, request.POST.get("page"))
