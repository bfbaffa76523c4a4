from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from agents import services
from agents.forms import AgentImportForm
from agents.perms import can_import_agents

MAX_ERRORS_SHOWN = 50


def agent_import(request):
    """Upload the HR list; on any error, the page comes back with the reasons and nothing
    is written."""
    if not can_import_agents(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = AgentImportForm(request.POST, request.FILES)
    else:
        form = AgentImportForm()
    report = None
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        report = services.agent_import(
            data=b"".join(upload.chunks()),
            deactivate_missing=form.cleaned_data["deactivate_missing"],
        )
        if report.ok:
            messages.success(request, report.summary())
            # Back here rather than to the agent list, which shows a « gestionnaire RH »
            # without a programme role none of the agents just loaded.
            return redirect("agents:import")
    return render(
        request,
        "agents/agent_import.html",
        {
            "title": _("Importer la liste des agents"),
            "form": form,
            "report": report,
            "errors_shown": report.errors[:MAX_ERRORS_SHOWN] if report else [],
        },
    )
