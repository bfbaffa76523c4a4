"""The owner's pages of review cycles: the cycles of a programme and the form opening one,
the progress of a cycle, and the list of the cycles each user has to see."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lib.pagination import paginate
from programmes.enums import Purpose
from programmes.models import Programme
from programmes.roles import roles_for
from programmes.selectors import visible_programme_or_404
from reviews import perms, selectors_cycles, services_cycles
from reviews.forms_cycles import CycleOpenForm
from reviews.models import Review, ReviewCycle, ReviewState


def _owned_programme(request, slug):
    """The programme, for its owners and staff; 404 for who does not see it, 403 otherwise."""
    programme = visible_programme_or_404(request.user, slug)
    if not perms.can_open_cycle(request.user, programme):
        raise PermissionDenied
    return programme


def _owned_cycle(request, pk):
    cycle = get_object_or_404(
        ReviewCycle.objects.filter(
            programme__in=Programme.objects.visible_to(request.user)
        ).select_related("programme"),
        pk=pk,
    )
    if not perms.can_open_cycle(request.user, cycle.programme):
        raise PermissionDenied
    return cycle


def _aggregates_only(user, programme):
    return programme.purpose != Purpose.MANAGERIAL and not user.is_staff


def cycle_index(request):
    """The cycles the user follows, leads or has a sheet in, and the programmes where they
    may open one."""
    cycles = perms.cycles_visible_to(request.user).select_related("programme")
    agent = roles_for(request.user).agent
    if agent is not None:
        # Same query: does the user lead sheets of the cycle, have one in it?
        sheets = Review.objects.filter(cycle=OuterRef("pk"))
        cycles = cycles.annotate(
            leads=Exists(sheets.filter(manager=agent)), mine=Exists(sheets.filter(agent=agent))
        )
    owned = list(Programme.objects.owned_by(request.user).order_by("name"))
    owned_ids = {programme.pk for programme in owned}
    page_obj = paginate(request, cycles.order_by("-year", "programme__name", "pk"))
    for cycle in page_obj:
        cycle.followed = cycle.programme_id in owned_ids
    return render(
        request,
        "reviews/cycle_index.html",
        {
            "title": _("Entretiens professionnels"),
            "page_obj": page_obj,
            "owned": owned,
            "agent": agent,
        },
    )


def cycle_list(request, slug):
    """The programme's cycles; owners open a new one here."""
    programme = _owned_programme(request, slug)
    form = CycleOpenForm(request.POST or None, programme=programme)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = services_cycles.cycle_open(
                programme=programme, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Campagne %(year)s ouverte : %(count)s fiches d’entretien à préparer.")
                % {"year": cycle.year, "count": cycle.reviews.count()},
            )
            return redirect("reviews:cycle_detail", pk=cycle.pk)
    return render(
        request,
        "reviews/cycle_list.html",
        {
            "title": _("Campagnes d’entretiens — %(programme)s") % {"programme": programme.name},
            "programme": programme,
            "page_obj": paginate(request, selectors_cycles.cycles_of_programme(programme)),
            "form": form,
        },
    )


def cycle_detail(request, pk):
    """The cycle's progress, every sheet counted: overall first, then per pôle or direction
    and per service (counts only), and the year-on-year share at target."""
    cycle = _owned_cycle(request, pk)
    programme = cycle.programme
    aggregates_only = _aggregates_only(request.user, programme)
    progress = selectors_cycles.cycle_progress(cycle, aggregates_only=aggregates_only)
    return render(
        request,
        "reviews/cycle_detail.html",
        {
            "title": _("Campagne d’entretiens — %(cycle)s") % {"cycle": cycle.label},
            "cycle": cycle,
            "programme": programme,
            "states": ReviewState,
            "progress": progress,
            "page_obj": paginate(request, progress.groups),
            "evolution": selectors_cycles.year_on_year(programme, aggregates_only=aggregates_only),
            "aggregates_only": aggregates_only,
        },
    )


@require_POST
def cycle_sync(request, pk):
    """Add the sheets of the agents enrolled since the cycle opened."""
    cycle = _owned_cycle(request, pk)
    added = services_cycles.cycle_sync(cycle=cycle)
    if added:
        messages.success(
            request,
            _("%(count)s fiche(s) ajoutée(s) pour les agents inscrits depuis l’ouverture.")
            % {"count": added},
        )
    else:
        messages.info(request, _("Aucun nouvel agent : toutes les fiches sont déjà créées."))
    return redirect("reviews:cycle_detail", pk=cycle.pk)
