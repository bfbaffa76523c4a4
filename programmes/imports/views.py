"""Pix Orga result imports of a programme: upload, preview and confirmation, history, files.

The queue of participants an import could not match to an agent, and how they get one."""

import csv
import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from campaigns.enums import ImportStatus, MatchStatus
from lib.exports import neutralise
from lib.pagination import paginate
from programmes import perms, selectors
from programmes.imports import selectors as import_selectors
from programmes.imports import services as programme_services
from programmes.imports.forms import AgentChoiceForm, AgentFromParticipantForm, ResultImportForm
from programmes.imports.selectors import TO_CONFIRM_STATE, TO_CONFIRM_TAB
from programmes.imports.services import agent_create_from_participant
from programmes.models import Programme, TargetPopulation
from programmes.selectors import visible_programme_or_404

MAX_ERRORS_SHOWN = 200
# While an import is analysed or run, its page reloads itself through the HTTP Refresh
# header (no script, nothing for a CSP to allow). Not a <meta> refresh: WCAG 2.2.1 / RGAA
# 13.1 want the user able to stop it, which the page offers with a link (?actualiser=non).
REFRESH_SECONDS = 2
RUNNING = {
    ImportStatus.UPLOADED,
    ImportStatus.ANALYSING,
    ImportStatus.QUEUED,
    ImportStatus.IMPORTING,
}
# What campaigns.services.import_cancel accepts: nothing was written yet.
CANCELLABLE = {
    ImportStatus.UPLOADED,
    ImportStatus.ANALYSING,
    ImportStatus.READY,
    ImportStatus.FAILED,
}


def programme_for_import(user, slug):
    """The programme, when the user may see it (else 404) and import for it (else 403)."""
    programme = visible_programme_or_404(user, slug)
    if not perms.can_import_results(user, programme):
        raise PermissionDenied
    return programme


def _import_of(programme, import_id):
    """One of the programme's imports; another programme's import id answers 404."""
    return get_object_or_404(import_selectors.programme_imports(programme), pk=import_id)


def import_upload(request, slug):
    programme = programme_for_import(request.user, slug)
    if request.method == "POST":
        form = ResultImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result_import = programme_services.programme_import_upload(
                    programme=programme,
                    fileobj=upload,
                    original_name=upload.name,
                    user=request.user,
                )
            except programme_services.QueueUnavailable as delayed:
                result_import = delayed.result_import
                messages.warning(
                    request,
                    _(
                        "Le fichier est bien enregistré, mais le service de traitement est "
                        "momentanément indisponible : son analyse démarrera d’elle-même dans "
                        "quelques minutes. Cette page montrera l’aperçu."
                    ),
                )
            return redirect("programmes:import_detail", slug=slug, import_id=result_import.pk)
    else:
        form = ResultImportForm()
    return render(
        request,
        "programmes/imports/import_upload.html",
        {"title": _("Importer un export Pix Orga"), "programme": programme, "form": form},
    )


def import_detail(request, slug, import_id):
    programme = programme_for_import(request.user, slug)
    result_import = programme_services.import_live_progress(_import_of(programme, import_id))
    running = result_import.status in RUNNING
    auto_refresh = running and request.GET.get("actualiser") != "non"
    response = render(
        request,
        "programmes/imports/import_detail.html",
        {
            "title": _("Import « %(name)s »") % {"name": result_import.original_name},
            "programme": programme,
            "result_import": result_import,
            "running": running,
            "auto_refresh": auto_refresh,
            "refresh_seconds": REFRESH_SECONDS,
            "errors_shown": result_import.errors[:MAX_ERRORS_SHOWN],
            "earlier_url": _earlier_import_url(request.user, result_import.duplicate_of),
            "may_download": perms.can_download_import_file(request.user, result_import, programme),
        },
    )
    if auto_refresh:
        response["Refresh"] = str(REFRESH_SECONDS)
    return response


def _earlier_import_url(user, earlier):
    """Where the earlier import of the same file can be seen, if this user may see it."""
    link = getattr(earlier, "programme_link", None) if earlier else None
    if link is None or not perms.can_import_results(user, link.programme):
        return None
    return reverse(
        "programmes:import_detail",
        kwargs={"slug": link.programme.slug, "import_id": earlier.pk},
    )


@require_POST
def import_confirm(request, slug, import_id):
    programme = programme_for_import(request.user, slug)
    result_import = _import_of(programme, import_id)
    try:
        queued = programme_services.programme_import_confirm(
            programme=programme, result_import=result_import
        )
    except programme_services.ImportNotReady:
        messages.warning(request, _("Cet import n’attend pas de confirmation."))
        return redirect("programmes:import_detail", slug=slug, import_id=result_import.pk)
    except programme_services.QueueUnavailable:
        messages.error(
            request,
            _(
                "Le service de traitement est momentanément indisponible : l’import n’a pas "
                "été lancé et rien n’a changé. Réessayez dans quelques minutes."
            ),
        )
        return redirect("programmes:import_detail", slug=slug, import_id=result_import.pk)
    result_import.refresh_from_db()
    if result_import.status == ImportStatus.DONE:
        messages.success(request, _import_summary(result_import))
    elif result_import.status in RUNNING or queued:
        messages.info(request, _("Import lancé : cette page montre son avancement."))
    else:
        messages.error(request, _("L’import n’a pas abouti : aucune donnée n’a été enregistrée."))
    return redirect("programmes:import_detail", slug=slug, import_id=result_import.pk)


def _import_summary(result_import):
    # Labels before numbers: no plural form to get wrong for 0 or 1.
    return _(
        "Import terminé. Participations créées : %(created)s ; mises à jour : %(updated)s ; "
        "résultats ajoutés : %(results)s."
    ) % {
        "created": result_import.participations_created,
        "updated": result_import.participations_updated,
        "results": result_import.results_created,
    }


@require_POST
def import_cancel(request, slug, import_id):
    programme = programme_for_import(request.user, slug)
    result_import = _import_of(programme, import_id)
    if result_import.status not in CANCELLABLE:
        messages.warning(request, _("Cet import ne peut plus être annulé."))
        return redirect("programmes:import_detail", slug=slug, import_id=result_import.pk)
    programme_services.programme_import_cancel(programme=programme, result_import=result_import)
    messages.success(request, _("Import annulé : rien n’a été enregistré."))
    return redirect("programmes:import_history", slug=slug)


def import_file(request, slug, import_id):
    """The raw file as it was uploaded, to download (never displayed inline): for staff and
    its uploader (403 for the others who see the import), within the retention period."""
    programme = programme_for_import(request.user, slug)
    result_import = _import_of(programme, import_id)
    if programme.is_past_retention():
        raise Http404(_("Le fichier de cet import n’est plus disponible."))
    if not perms.can_download_import_file(request.user, result_import, programme):
        raise PermissionDenied
    try:
        handle = result_import.file.open("rb")
    except (FileNotFoundError, ValueError) as missing:
        raise Http404(_("Le fichier de cet import n’est plus disponible.")) from missing
    return FileResponse(
        handle,
        as_attachment=True,
        filename=result_import.original_name,
        content_type="text/csv",
    )


def import_errors_csv(request, slug, import_id):
    """The row errors of an import, to open in a spreadsheet: UTF-8 with a BOM, `;`."""
    programme = programme_for_import(request.user, slug)
    result_import = _import_of(programme, import_id)
    response = HttpResponse(
        errors_csv(result_import.errors), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="erreurs-import-{result_import.pk}.csv"'
    )
    return response


def errors_csv(errors):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Ligne"), _("Colonne"), _("Message")])
    for error in errors:
        cells = [error.get("line") or "", error.get("column") or "", error.get("message") or ""]
        # A cell copied from an uploaded file must not run as a formula in a spreadsheet.
        writer.writerow([neutralise(cell) for cell in cells])
    return "\ufeff" + buffer.getvalue()


def import_history(request, slug):
    programme = programme_for_import(request.user, slug)
    imports = import_selectors.programme_imports(programme).defer(
        "errors", "warnings", "waiting_participants"
    )
    # Why an import wrote nothing: its first error (the others are in the errors CSV).
    first_error = KeyTransform("0", "errors")
    imports = imports.annotate(
        has_errors=~Q(errors=[]),
        first_error=KeyTextTransform("message", first_error),
        first_error_line=KeyTextTransform("line", first_error),
    )
    campaigns = list(import_selectors.import_campaigns(programme))
    campaign = _chosen(campaigns, request.GET.get("campagne"))
    if campaign is not None:
        imports = imports.filter(campaign=campaign)
    # ?etat=a-confirmer: those waiting to be confirmed or run again (the to-do's link).
    to_confirm = request.GET.get("etat") == TO_CONFIRM_STATE
    if to_confirm:
        imports = imports.filter(status__in=import_selectors.TO_CONFIRM)
    page_obj = paginate(request, imports)
    for result_import in page_obj:
        result_import.may_download = perms.can_download_import_file(
            request.user, result_import, programme
        )
    return render(
        request,
        "programmes/imports/import_history.html",
        {
            "title": _("Historique des imports Pix Orga"),
            "programme": programme,
            "campaigns": campaigns,
            "campaign": campaign,
            "to_confirm": to_confirm,
            "to_confirm_state": TO_CONFIRM_STATE,
            "page_obj": page_obj,
            "status": ImportStatus,
        },
    )


def import_start(request):
    """« Importer des résultats Pix » (the menu): the import page of the one programme the
    user may import for, or the list of them when there are several; 404 when none."""
    # The programmes one sees are those one may import for (perms.can_import_results: staff,
    # owners, ambassadors of the programme or of one of its populations).
    programmes = list(Programme.objects.visible_to(request.user).order_by("name"))
    if not programmes:
        raise Http404
    if len(programmes) == 1:
        return redirect("programmes:import_upload", slug=programmes[0].slug)
    return render(
        request,
        "programmes/imports/import_start.html",
        {"title": _("Importer des résultats Pix"), "programmes": programmes},
    )


def _chosen(campaigns, raw):
    """The campaign picked in the filter; an unknown or malformed value filters nothing."""
    return next((c for c in campaigns if str(c.pk) == (raw or "").strip()), None)


DISMISSED_TAB = "ecartes"
MAX_CANDIDATES = 20


def unmatched_list(request, slug):
    """The queue, one row per person (participant key) with their participations under it."""
    programme = programme_for_import(request.user, slug)
    waiting = import_selectors.participations_to_match(programme)
    tab = request.GET.get("onglet")
    to_confirm = tab == TO_CONFIRM_TAB
    dismissed = tab == DISMISSED_TAB
    if to_confirm:
        shown = waiting.filter(match_status=MatchStatus.TO_CONFIRM)
    elif dismissed:
        shown = import_selectors.participations_dismissed(programme)
    else:
        shown = waiting.filter(agent__isnull=True)
    query = request.GET.get("q", "").strip()
    people = import_selectors.participants_of(import_selectors.search_participants(shown, query))
    page_obj = paginate(request, people)
    page_obj.object_list = import_selectors.with_participations(page_obj.object_list, shown)
    return render(
        request,
        "programmes/imports/unmatched_list.html",
        {
            "title": _("Participants à rapprocher"),
            "programme": programme,
            "to_confirm": to_confirm,
            "dismissed": dismissed,
            "tab": TO_CONFIRM_TAB if to_confirm else DISMISSED_TAB if dismissed else "",
            "tab_param": TO_CONFIRM_TAB,
            "dismissed_tab": DISMISSED_TAB,
            "counts": import_selectors.participations_to_match_counts(programme),
            "dismissed_count": import_selectors.dismissed_count(programme),
            "query": query,
            "page_obj": page_obj,
        },
    )


def _participation_of(programme, participation_id):
    waiting = import_selectors.participations_to_match(programme).select_related(
        "campaign", "agent"
    )
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
    participations = (
        import_selectors.participations_to_match(programme)
        .filter(participant_key=participation.participant_key)
        .select_related("campaign", "agent")
        .order_by("campaign__name", "pk")
    )
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
        "programmes/imports/unmatched_detail.html",
        {
            "title": _("Rapprocher %(name)s") % {"name": name},
            "programme": programme,
            "participation": participation,
            "participations": participations,
            "suggestions": import_selectors.suggested_agents(
                selectors.visible_agents(request.user), participation
            ),
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
    count = programme_services.participant_match(
        programme=programme, participation=participation, agent=agent
    )
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
    programme_services.participant_confirm(programme=programme, participation=participation)
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
    agent = agent_create_from_participant(
        participation=participation, programme=programme, **form.cleaned_data
    )
    messages.success(
        request, _("Agent %(name)s créé ; ses résultats lui sont rattachés.") % {"name": agent}
    )
    return redirect("programmes:unmatched_list", slug=slug)


@require_POST
def unmatched_dismiss(request, slug, participation_id):
    """« Pas dans notre organisation » : the person leaves the queue, on later imports too."""
    programme = programme_for_import(request.user, slug)
    participation = _participation_of(programme, participation_id)
    programme_services.participant_dismiss(
        programme=programme, participation=participation, by=request.user
    )
    messages.success(
        request,
        _(
            "%(name)s est écarté·e : pas dans notre organisation. Il ou elle ne sera plus "
            "proposé·e, même après un nouvel import ; l’onglet « Écartés » permet d’annuler."
        )
        % {"name": _participant_name(participation)},
    )
    return redirect("programmes:unmatched_list", slug=slug)


@require_POST
def unmatched_restore(request, slug, participation_id):
    """Undo a dismissal: the person waits in the queue again."""
    programme = programme_for_import(request.user, slug)
    participation = get_object_or_404(
        import_selectors.participations_dismissed(programme), pk=participation_id
    )
    programme_services.participant_restore(programme=programme, participation=participation)
    messages.success(
        request,
        _("%(name)s attend de nouveau d’être rapproché·e.")
        % {"name": _participant_name(participation)},
    )
    return redirect(f"{reverse('programmes:unmatched_list', args=[slug])}?onglet={DISMISSED_TAB}")


def _participant_name(participation):
    return f"{participation.participant_first_name} {participation.participant_last_name}"
