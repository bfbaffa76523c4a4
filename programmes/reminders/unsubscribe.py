"""The unsubscribe link of the reminders: public (the signed token is the authority), and
one-click from a mail client (RFC 8058)."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from agents.models import Agent
from programmes.models import Programme, ReminderOptOut
from programmes.reminders import services as services_reminders
from programmes.reminders.emails import UnsubscribeLinkExpired, read_unsubscribe_token

ONE_CLICK = "One-Click"


def _resolve(token):
    """(agent, programme) named by a valid token, or None."""
    ids = read_unsubscribe_token(token)  # UnsubscribeLinkExpired: see the view
    if ids is None:
        return None
    agent = Agent.objects.filter(pk=ids[0]).first()
    programme = Programme.objects.filter(pk=ids[1]).first()
    if agent is None or programme is None:
        return None
    return agent, programme


def _expired(request):
    return render(
        request,
        "programmes/reminders/unsubscribe_expired.html",
        {"title": _("Lien de désabonnement expiré")},
        status=410,
    )


def _invalid(request):
    return render(
        request,
        "programmes/reminders/unsubscribe_invalid.html",
        {"title": _("Lien de désabonnement invalide")},
        status=400,
    )


@login_not_required
@csrf_exempt  # only the one-click POST of a mail client: the form's POST is checked below
@require_http_methods(["GET", "POST"])
def reminder_unsubscribe(request, token):
    """GET: whose reminders of which programme, and a button to stop them. POST (the button,
    CSRF checked; or a mail client's one-click `List-Unsubscribe=One-Click`): stop them."""
    try:
        found = _resolve(token)
    except UnsubscribeLinkExpired:
        return _expired(request)
    if found is None:
        return _invalid(request)
    agent, programme = found
    if request.method == "POST":
        if request.POST.get("List-Unsubscribe") == ONE_CLICK:
            return _opt_out(request, agent, programme)
        return csrf_protect(_opt_out)(request, agent, programme)
    opted_out = ReminderOptOut.objects.filter(agent=agent, programme=programme).exists()
    return render(
        request,
        "programmes/reminders/unsubscribe.html",
        {
            "title": _("Ne plus recevoir de relances"),
            "agent": agent,
            "programme": programme,
            "opted_out": opted_out,
        },
    )


def _opt_out(request, agent, programme):
    services_reminders.reminders_opt_out(agent_id=agent.pk, programme_id=programme.pk)
    return render(
        request,
        "programmes/reminders/unsubscribe_done.html",
        {"title": _("Désabonnement enregistré"), "agent": agent, "programme": programme},
    )
