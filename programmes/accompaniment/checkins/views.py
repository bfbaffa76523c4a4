"""Check-ins: the barrier list of a programme and the milestones of a population (the
run-through, which also shows resources and mentors, lives in accompaniment.runthrough)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lib.pagination import paginate
from programmes import perms
from programmes.accompaniment.checkins import selectors, services
from programmes.accompaniment.checkins.forms import BarrierForm, MilestoneForm
from programmes.models import Milestone, TargetPopulation
from programmes.selectors import visible_programme_or_404

# --- Barriers ------------------------------------------------------------------------------


def _barrier_programme(user, slug):
    """The programme, when the user sees it (else 404) and may edit its barriers (else 403)."""
    programme = visible_programme_or_404(user, slug)
    if not perms.can_edit_barriers(user, programme):
        raise PermissionDenied
    return programme


def _barrier(user, slug, barrier_id):
    """A barrier of a programme the user sees (else 404, another programme's barrier too),
    when the user may edit the list (else 403)."""
    programme = visible_programme_or_404(user, slug)
    barrier = get_object_or_404(programme.barriers, pk=barrier_id)
    if not perms.can_edit_barriers(user, programme):
        raise PermissionDenied
    barrier.programme = programme
    return barrier


def barrier_list(request, slug):
    """The programme's barriers in order; the form at the bottom adds one."""
    programme = _barrier_programme(request.user, slug)
    form = BarrierForm(
        request.POST if request.method == "POST" else None,
        programme=programme,
        submit_label=_("Ajouter le frein"),
    )
    if request.method == "POST" and form.is_valid():
        barrier = services.barrier_create(programme=programme, label=form.cleaned_data["label"])
        messages.success(request, _("Frein « %(label)s » ajouté.") % {"label": barrier.label})
        return redirect("programmes:barrier_list", slug=programme.slug)
    context = {
        "title": _("Freins proposés aux points d’étape"),
        "programme": programme,
        "page_obj": paginate(request, selectors.barriers_of(programme)),
        "form": form,
    }
    return render(request, "programmes/accompaniment/checkins/barrier_list.html", context)


def barrier_edit(request, slug, barrier_id):
    barrier = _barrier(request.user, slug, barrier_id)
    form = BarrierForm(
        request.POST if request.method == "POST" else None,
        programme=barrier.programme,
        barrier=barrier,
        submit_label=_("Renommer"),
    )
    if request.method == "POST" and form.is_valid():
        services.barrier_rename(barrier=barrier, label=form.cleaned_data["label"])
        messages.success(request, _("Frein renommé « %(label)s ».") % {"label": barrier.label})
        return redirect("programmes:barrier_list", slug=slug)
    context = {
        "title": _("Renommer un frein"),
        "programme": barrier.programme,
        "barrier": barrier,
        "form": form,
    }
    return render(request, "programmes/accompaniment/checkins/barrier_form.html", context)


@require_POST
def barrier_move(request, slug, barrier_id):
    barrier = _barrier(request.user, slug, barrier_id)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("Déplacement inconnu : rien n’a changé."))
    else:
        services.barrier_move(barrier=barrier, direction=direction)
    return redirect(reverse("programmes:barrier_list", kwargs={"slug": slug}) + "#barriers")


@require_POST
def barrier_retire(request, slug, barrier_id):
    barrier = services.barrier_set_active(
        barrier=_barrier(request.user, slug, barrier_id), is_active=False
    )
    messages.success(
        request,
        _("« %(label)s » n’est plus proposé ; il reste sur les points d’étape passés.")
        % {"label": barrier.label},
    )
    return redirect("programmes:barrier_list", slug=slug)


@require_POST
def barrier_restore(request, slug, barrier_id):
    barrier = services.barrier_set_active(
        barrier=_barrier(request.user, slug, barrier_id), is_active=True
    )
    messages.success(request, _("« %(label)s » est de nouveau proposé.") % {"label": barrier.label})
    return redirect("programmes:barrier_list", slug=slug)


# --- Milestones ----------------------------------------------------------------------------


def _population(user, pk):
    """The population, when the user sees it (else 404) and may manage it (else 403)."""
    population = get_object_or_404(
        TargetPopulation.objects.visible_to(user).select_related("programme"), pk=pk
    )
    if not perms.can_manage_population(user, population):
        raise PermissionDenied
    return population


def _milestone(user, pk):
    milestone = get_object_or_404(
        Milestone.objects.visible_to(user).select_related("population__programme"), pk=pk
    )
    if not perms.can_manage_population(user, milestone.population):
        raise PermissionDenied
    return milestone


def milestone_list(request, pk):
    population = _population(request.user, pk)
    context = {
        "title": _("Points d’étape"),
        "population": population,
        "programme": population.programme,
        "head_count": selectors.head_count(population, timezone.localdate()),
        "page_obj": paginate(request, selectors.milestones_with_counts(population)),
    }
    return render(request, "programmes/accompaniment/checkins/milestone_list.html", context)


def milestone_create(request, pk):
    population = _population(request.user, pk)
    form = MilestoneForm(
        request.POST if request.method == "POST" else None,
        population=population,
        submit_label=_("Créer le point d’étape"),
    )
    if request.method == "POST" and form.is_valid():
        milestone = services.milestone_create(
            population=population, created_by=request.user, **form.cleaned_data
        )
        messages.success(
            request, _("Point d’étape « %(title)s » créé.") % {"title": milestone.title}
        )
        return redirect("programmes:milestone_detail", pk=milestone.pk)
    context = {"title": _("Nouveau point d’étape"), "population": population, "form": form}
    return render(request, "programmes/accompaniment/checkins/milestone_form.html", context)


def milestone_edit(request, pk):
    milestone = _milestone(request.user, pk)
    form = MilestoneForm(
        request.POST if request.method == "POST" else None,
        population=milestone.population,
        milestone=milestone,
        submit_label=_("Enregistrer"),
    )
    if request.method == "POST" and form.is_valid():
        services.milestone_update(milestone=milestone, **form.cleaned_data)
        messages.success(request, _("Point d’étape enregistré."))
        return redirect("programmes:milestone_detail", pk=milestone.pk)
    context = {
        "title": _("Modifier le point d’étape"),
        "population": milestone.population,
        "milestone": milestone,
        "form": form,
    }
    return render(request, "programmes/accompaniment/checkins/milestone_form.html", context)


@require_POST
def milestone_delete(request, pk):
    milestone = _milestone(request.user, pk)
    try:
        services.milestone_delete(milestone=milestone)
    except services.MilestoneHasCheckIns:
        messages.error(
            request,
            _("Ce point d’étape a déjà des entretiens saisis : il ne peut pas être supprimé."),
        )
        return redirect("programmes:milestone_detail", pk=milestone.pk)
    messages.success(
        request, _("Point d’étape « %(title)s » supprimé.") % {"title": milestone.title}
    )
    return redirect("programmes:milestone_list", pk=milestone.population_id)


def milestone_detail(request, pk):
    """How many agents are checked in; to those who record check-ins, who is left (or, with
    ?vue=faits, the check-ins done)."""
    milestone = _milestone(request.user, pk)
    population = milestone.population
    can_record = perms.can_record_checkins(request.user, population)
    progress = selectors.milestone_progress(milestone)
    context = {
        "title": milestone.title,
        "milestone": milestone,
        "population": population,
        "programme": population.programme,
        "progress": progress,
        "can_record": can_record,
    }
    if can_record:
        # The lists' lengths are the progress's counts: the paginator counts nothing again.
        done = request.GET.get("vue") == "faits"
        if done:
            page_obj = paginate(request, selectors.checkins_done(milestone), count=progress.done)
            selectors.with_status_displays(page_obj, population.programme)
        else:
            left = selectors.agents_left_page(
                milestone, progress.remaining, request.GET.get("page")
            )
            page_obj = paginate(request, left, count=progress.remaining)
        context.update({"showing_done": done, "page_obj": page_obj})
    return render(request, "programmes/accompaniment/checkins/milestone_detail.html", context)
