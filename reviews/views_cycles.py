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
from reviews.models import Review, ReviewCycle, ReviewState, SyncState

# While a cycle's sheets are being created, its page reloads itself through the HTTP Refresh
# header, as the import page does (no script; WCAG 2.2.1: the user can stop it with
# ?actualiser=non). Once the job is done, failed or not queued, the page no longer reloads.
REFRESH_SECONDS = 3


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
        ).select_related("programme", "counts"),
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
            _tell_sync(request, cycle, opened=True)
            return redirect("reviews:cycle_detail", pk=cycle.pk)
    page_obj = paginate(request, selectors_cycles.cycles_of_programme(programme))
    page_obj.object_list = selectors_cycles.with_sheet_counts(page_obj.object_list)
    return render(
        request,
        "reviews/cycle_list.html",
        {
            "title": _("Campagnes d’entretiens — %(programme)s") % {"programme": programme.name},
            "programme": programme,
            "page_obj": page_obj,
            "form": form,
        },
    )


def cycle_detail(request, pk):
    """The cycle's progress, every sheet counted: overall first, then per pôle or direction
    and per service (counts only), and the year-on-year share at target. While its sheets are
    being created, the progress of that job instead (the page reloads itself until done)."""
    cycle = _owned_cycle(request, pk)
    programme = cycle.programme
    aggregates_only = _aggregates_only(request.user, programme)
    ready = cycle.sync_state == SyncState.DONE
    progress = (
        selectors_cycles.cycle_progress(cycle, aggregates_only=aggregates_only) if ready else None
    )
    page_obj = paginate(request, selectors_cycles.progress_lines(progress)) if ready else None
    # A page that starts among a pôle's services repeats the pôle's line first (« suite »).
    lines = list(page_obj) if ready else []
    continued = lines[0].group if lines and lines[0].group is not None else None
    auto_refresh = cycle.sync_active and request.GET.get("actualiser") != "non"
    response = render(
        request,
        "reviews/cycle_detail.html",
        {
            "title": _("Campagne d’entretiens — %(cycle)s") % {"cycle": cycle.label},
            "cycle": cycle,
            "programme": programme,
            "states": ReviewState,
            "sync_states": SyncState,
            "progress": progress,
            "page_obj": page_obj,
            "continued": continued,
            "evolution": selectors_cycles.year_on_year(programme, aggregates_only=aggregates_only),
            "aggregates_only": aggregates_only,
            "sync_stale": services_cycles.cycle_sync_stale(cycle),
            "auto_refresh": auto_refresh,
            "refresh_seconds": REFRESH_SECONDS,
        },
    )
    if auto_refresh:
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


@require_POST
def cycle_sync(request, pk):
    """Create the missing sheets in the background: those of the agents enrolled since the
    cycle opened, or all those a failed or never queued job left to create ("Relancer")."""
    cycle = _owned_cycle(request, pk)
    if cycle.sync_active and not services_cycles.cycle_sync_stale(cycle):
        messages.info(request, _("La création des fiches est déjà en cours : suivez-la ici."))
    else:
        services_cycles.cycle_sync_queue(cycle=cycle)
        cycle.refresh_from_db()
        _tell_sync(request, cycle, opened=False)
    return redirect("reviews:cycle_detail", pk=cycle.pk)


def _tell_sync(request, cycle, *, opened: bool) -> None:
    """Say where the creation of the sheets stands once it was asked for: done here (no
    broker), under way in the background, or not started (broker unavailable)."""
    if cycle.sync_state == SyncState.DONE:
        if opened:
            messages.success(
                request,
                _("Campagne %(year)s ouverte : %(count)s fiches d’entretien à préparer.")
                % {"year": cycle.year, "count": cycle.sheets_added},
            )
        elif cycle.sheets_added:
            messages.success(
                request,
                _("%(count)s fiche(s) ajoutée(s) pour les agents inscrits depuis l’ouverture.")
                % {"count": cycle.sheets_added},
            )
        else:
            messages.info(request, _("Aucun nouvel agent : toutes les fiches sont déjà créées."))
    elif cycle.sync_active:
        if opened:
            text = _(
                "Campagne %(year)s ouverte : ses fiches d’entretien sont en cours de création. "
                "Cette page suit l’avancement."
            ) % {"year": cycle.year}
        else:
            text = _("Création des fiches manquantes lancée : cette page suit l’avancement.")
        messages.success(request, text)
    elif cycle.sync_state == SyncState.NOT_QUEUED:
        messages.warning(
            request,
            _(
                "Le service de traitement est momentanément indisponible : les fiches "
                "d’entretien n’ont pas été créées. Relancez leur création dans quelques minutes."
            ),
        )
    else:
        messages.error(
            request,
            _("La création des fiches s’est interrompue sur une erreur : relancez-la."),
        )
