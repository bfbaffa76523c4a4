"""Pages of the preparation sheet: the manager's list for a cycle, the agent's own reviews,
the sheet itself with its forms and transitions, and one kept version."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.models import Competence
from lib.pagination import paginate
from reviews import outputs, perms, selectors, services
from reviews.forms import AddendumForm, AgentCommentForm, HoldForm, ReviewForm, ShareForm
from reviews.models import STATE_HELP, ReviewState
from reviews.sheet import build_sheet, content_for_reader, suggested_objectives


def cycle_team(request, pk):
    """The reviews a manager leads in a cycle, with their state; filter by state."""
    cycle = selectors.cycle_for_team(request.user, pk)
    state = request.GET.get("etat", "")
    if state not in ReviewState.values:
        state = ""
    page_obj = paginate(request, selectors.team_reviews(request.user, cycle, state=state))
    return render(
        request,
        "reviews/review_cycle_team.html",
        {
            "title": _("Entretiens de mon équipe — %(cycle)s") % {"cycle": cycle},
            "cycle": cycle,
            "page_obj": page_obj,
            "state": state,
            "states": ReviewState.choices,
        },
    )


def my_reviews(request):
    """The agent's own reviews; a sheet still in preparation is only announced."""
    page_obj = paginate(request, selectors.my_reviews(request.user))
    return render(
        request, "reviews/review_mine.html", {"title": _("Mes entretiens"), "page_obj": page_obj}
    )


def review_detail(request, pk):
    """The sheet; its manager line writes it (POST) until it is shared."""
    review = selectors.review_for_reader(request.user, pk)
    can_prepare = perms.can_prepare_review(request.user, review)
    form = None
    if can_prepare and not review.is_locked:
        competences = Competence.objects.select_related("domain").order_by("position")
        form = ReviewForm(
            request.POST or None,
            instance=review,
            competences=competences,
            # A blank sheet proposes the population's targets (shown, saved with the sheet).
            suggest=None if request.method == "POST" else lambda: suggested_objectives(review),
        )
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.review_save(
                    review=review,
                    by=request.user,
                    objectives=form.objectives(),
                    **{name: form.cleaned_data[name] for name in form.Meta.fields},
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect(review)
            messages.success(request, _("La fiche est enregistrée."))
            return redirect(review)
    return _render_detail(request, review, form, can_prepare)


def _render_detail(request, review, form, can_prepare):
    waiting = selectors.agent_waits(request.user, review)
    is_agent = perms.is_reviewed_agent(request.user, review)
    is_author = can_prepare or is_agent
    context = {
        "title": _("Entretien professionnel %(year)s — %(agent)s")
        % {"year": review.cycle.year, "agent": review.agent.full_name},
        "review": review,
        "waiting": waiting,
        "can_prepare": can_prepare,
        "form": form,
        "steps": _steps(review),
    }
    if not waiting:
        context["sheet"] = sheet = build_sheet(review, reader=request.user)
        if form is not None and sheet.results_shown:
            form.show_levels(sheet.competences)
        outputs.log_results_view(request, review, sheet)
        url = lambda name: reverse(f"reviews:{name}", kwargs={"pk": review.pk})  # noqa: E731
        if is_agent and review.state == ReviewState.PREPARED:
            context["comment_form"] = AgentCommentForm(
                initial={"text": review.agent_comment}, action=url("review_agent_comment")
            )
        if is_author and review.is_locked:
            context["addendum_form"] = AddendumForm(action=url("review_addendum"))
        if can_prepare and review.state == ReviewState.PREPARED:
            context["share_form"] = ShareForm(action=url("review_share"))
        if can_prepare and review.state == ReviewState.SHARED:
            context["hold_form"] = HoldForm(action=url("review_hold"))
    return render(request, "reviews/review_detail.html", context)


def _steps(review):
    """The sheet's steps in order, each with what it allows in one sentence, the current
    one marked (reviews.models.STATE_HELP)."""
    states = list(ReviewState)
    current = states.index(ReviewState(review.state))
    return {
        "number": current + 1,
        "count": len(states),
        "current": states[current].label,
        "next": states[current + 1].label if current + 1 < len(states) else "",
        "items": [
            {"label": state.label, "help": STATE_HELP[state], "current": index == current}
            for index, state in enumerate(states)
        ],
    }


def _transition(request, pk, service, success, **extra):
    review = selectors.review_for_reader(request.user, pk)
    try:
        service(review=review, by=request.user, **extra)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect(review)


@require_POST
def review_mark_prepared(request, pk):
    return _transition(
        request,
        pk,
        services.review_mark_prepared,
        _("La fiche est préparée : l'agent peut la lire et la commenter."),
    )


@require_POST
def review_share(request, pk):
    """Sharing locks the sheet for good: without the confirmation box ticked, nothing
    changes."""
    review = selectors.review_for_reader(request.user, pk)
    if not perms.can_prepare_review(request.user, review):
        raise PermissionDenied
    if not ShareForm(request.POST).is_valid():
        messages.error(
            request,
            _("Cochez la case pour confirmer le partage : la fiche n’a pas été partagée."),
        )
        return redirect(review)
    return _transition(
        request,
        pk,
        services.review_share,
        _("La fiche est partagée avec l'agent et verrouillée ; une version est conservée."),
    )


@require_POST
def review_close(request, pk):
    return _transition(request, pk, services.review_close, _("L'entretien est clôturé."))


def _form_transition(request, pk, form_class, invalid, service, done, field):
    """A step that takes one form field: a bad value is said and changes nothing; a good
    one goes to the service under the field's name."""
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, invalid)
        return redirect(selectors.review_for_reader(request.user, pk))
    return _transition(request, pk, service, done, **{field: form.cleaned_data[field]})


@require_POST
def review_agent_comment(request, pk):
    return _form_transition(
        request,
        pk,
        AgentCommentForm,
        _("Votre commentaire est trop long (5 000 caractères au plus)."),
        services.review_agent_comment,
        _("Votre commentaire est enregistré."),
        "text",
    )


@require_POST
def review_addendum(request, pk):
    return _form_transition(
        request,
        pk,
        AddendumForm,
        _("Écrivez le texte de l'addendum (5 000 caractères au plus)."),
        services.review_addendum_add,
        _("L'addendum est ajouté ; une nouvelle version est conservée."),
        "text",
    )


@require_POST
def review_hold(request, pk):
    return _form_transition(
        request,
        pk,
        HoldForm,
        _("Indiquez une date d'entretien valide."),
        services.review_hold,
        _("L'entretien est tenu : les objectifs deviennent les objectifs personnels de l'agent."),
        "meeting_on",
    )


def review_version(request, pk, number):
    """One kept version of a sheet, as it was frozen."""
    review = selectors.review_for_reader(request.user, pk)
    version = get_object_or_404(review.versions.select_related("created_by"), number=number)
    return render(
        request,
        "reviews/review_version.html",
        {
            "title": _("Version %(number)s de la fiche") % {"number": version.number},
            "review": review,
            "version": version,
            "content": content_for_reader(review, version.content, request.user),
        },
    )
