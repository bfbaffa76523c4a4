"""The resource catalogue of a programme (list, create, edit, retire and restore, CSV
export and import), and an agent marking a resource from their page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaigns.models import Competence
from lib.exports import CSV_CONTENT_TYPE
from lib.pagination import paginate
from programmes import perms
from programmes.accompaniment.resources import files as resources_csv
from programmes.accompaniment.resources import selectors as selectors_resources
from programmes.accompaniment.resources import services
from programmes.accompaniment.resources.forms import ResourceForm, ResourceImportForm
from programmes.enums import ResourceKind
from programmes.roles import roles_for
from programmes.selectors import visible_programme_or_404

MAX_ERRORS_SHOWN = 50


def programme_for_resources(user, slug):
    """The programme, when the user sees it (else 404) and manages its catalogue (else 403)."""
    programme = visible_programme_or_404(user, slug)
    if not perms.can_manage_resources(user, programme):
        raise PermissionDenied
    return programme


def resource_list(request, slug):
    programme = programme_for_resources(request.user, slug)
    filters = {
        "query": request.GET.get("q", "").strip(),
        "kind": request.GET.get("type", "") if request.GET.get("type") in ResourceKind else "",
        "competence_code": request.GET.get("competence", "").strip(),
    }
    resources = selectors_resources.catalogue(programme, **filters)
    return render(
        request,
        "programmes/accompaniment/resources/resource_list.html",
        {
            "title": _("Ressources"),
            "programme": programme,
            "page_obj": paginate(request, resources),
            "kinds": ResourceKind.choices,
            "competences": Competence.objects.order_by("position"),
            "filtered": any(filters.values()),
            **filters,
        },
    )


def resource_create(request, slug):
    programme = programme_for_resources(request.user, slug)
    form = ResourceForm(request.POST or None, programme=programme, submit_label=_("Ajouter"))
    if request.method == "POST" and form.is_valid():
        resource = services.resource_create(programme=programme, **form.values())
        messages.success(request, _("Ressource « %(title)s » ajoutée.") % {"title": resource})
        return redirect("programmes:resource_list", slug=programme.slug)
    context = {"title": _("Nouvelle ressource"), "programme": programme, "form": form}
    return render(request, "programmes/accompaniment/resources/resource_form.html", context)


def resource_edit(request, slug, pk):
    programme = programme_for_resources(request.user, slug)
    resource = get_object_or_404(programme.resources, pk=pk)
    form = ResourceForm(
        request.POST or None, programme=programme, resource=resource, submit_label=_("Enregistrer")
    )
    if request.method == "POST" and form.is_valid():
        services.resource_update(resource=resource, **form.values())
        messages.success(request, _("Ressource « %(title)s » enregistrée.") % {"title": resource})
        return redirect("programmes:resource_list", slug=programme.slug)
    context = {
        "title": _("Modifier la ressource"),
        "programme": programme,
        "resource": resource,
        "form": form,
    }
    return render(request, "programmes/accompaniment/resources/resource_form.html", context)


def _set_active(request, slug, pk, active):
    programme = programme_for_resources(request.user, slug)
    resource = get_object_or_404(programme.resources, pk=pk)
    services.resource_set_active(resource=resource, active=active)
    if active:
        message = _("« %(title)s » est de nouveau proposée aux agents.")
    else:
        message = _(
            "« %(title)s » est retirée : elle n’est plus recommandée aux agents. Ce qu’ils en "
            "ont dit reste enregistré."
        )
    messages.success(request, message % {"title": resource.title})
    return redirect("programmes:resource_list", slug=programme.slug)


@require_POST
def resource_retire(request, slug, pk):
    return _set_active(request, slug, pk, active=False)


@require_POST
def resource_restore(request, slug, pk):
    return _set_active(request, slug, pk, active=True)


def resource_export(request, slug):
    programme = programme_for_resources(request.user, slug)
    content = resources_csv.export_csv(selectors_resources.catalogue_for_export(programme))
    response = HttpResponse(content, content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="ressources-{programme.slug}.csv"'
    return response


def resource_import(request, slug):
    """Upload a catalogue file; on any error, the page comes back with the reasons and
    nothing is written."""
    programme = programme_for_resources(request.user, slug)
    form = ResourceImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        data = b"".join(form.cleaned_data["file"].chunks())
        report = services.resource_import(programme=programme, data=data)
        if report.ok:
            messages.success(request, report.summary())
            return redirect("programmes:resource_list", slug=programme.slug)
    return render(
        request,
        "programmes/accompaniment/resources/resource_import.html",
        {
            "title": _("Importer le catalogue"),
            "programme": programme,
            "form": form,
            "report": report,
            "errors_shown": report.errors[:MAX_ERRORS_SHOWN] if report else [],
            "columns": resources_csv.COLUMN_LABELS.values(),
            "kinds": ResourceKind.labels,
        },
    )


@require_POST
def resource_mark(request, pk):
    """The agent marks a resource of a programme they are enrolled in: started, done, useful
    or not (elsewhere, or a retired resource: 404)."""
    agent = roles_for(request.user).agent
    resource = get_object_or_404(selectors_resources.markable_resources(agent), pk=pk)
    action = request.POST.get("action", "")
    try:
        services.resource_use_mark(agent=agent, resource=resource, action=action)
    except services.ResourceUseRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _MARKED[action] % {"title": resource.title})
    enrolment = selectors_resources.first_enrolment_with(agent, resource)
    return redirect(f"{reverse('programmes:my_page')}#ressources-{enrolment.pk}")


_MARKED = {
    "started": gettext_lazy("« %(title)s » : notée comme commencée."),
    "done": gettext_lazy(
        "« %(title)s » : notée comme terminée. Dites-nous si elle vous a été utile."
    ),
    "useful": gettext_lazy("« %(title)s » : merci, notée comme utile."),
    "not_useful": gettext_lazy("« %(title)s » : merci, notée comme pas utile."),
}
