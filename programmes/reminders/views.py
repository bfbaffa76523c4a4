"""A programme's reminders pages: the rules and quiet periods, who would be reminded today,
what was sent, and what failed (sent again on request).

Whoever sees the programme reads them (names only within `reminder_scope`); the writes are
for those who manage its reminders (perms.can_manage_reminders): others get 403."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agents.models import Agent
from lib.pagination import paginate
from programmes import perms
from programmes.enums import OutgoingStatus, ReminderKind
from programmes.reminders import emails, selectors, tasks
from programmes.reminders import rules as services
from programmes.reminders.forms import LogFilterForm, QuietPeriodForm, ReminderSettingsForm
from programmes.selectors import visible_agents, visible_programme_or_404


def _programme(request, slug, *, to_manage=False):
    """The programme when the user sees it (else 404) and, `to_manage`, manages its
    reminders (else 403)."""
    programme = visible_programme_or_404(request.user, slug)
    if to_manage and not perms.can_manage_reminders(request.user, programme):
        raise PermissionDenied
    return programme


def _overview_url(programme):
    return reverse("programmes:reminder_overview", kwargs={"slug": programme.slug})


def _render_overview(request, programme, *, rules_form=None, quiet_form=None):
    rules, periods = selectors.load_rules(programme)
    can_manage = perms.can_manage_reminders(request.user, programme)
    scope = selectors.reminder_scope(request.user, programme)
    if can_manage:
        rules_form = rules_form or ReminderSettingsForm(programme=programme, rules=rules)
        quiet_form = quiet_form or QuietPeriodForm(programme=programme)
    today = timezone.localdate()
    digest_day = selectors.next_digest_day(programme)
    context = {
        "title": _("Relances"),
        "programme": programme,
        "rules": rules,
        "periods": periods,
        "can_manage": can_manage,
        "scope": scope,
        "rules_form": rules_form,
        "quiet_form": quiet_form,
        "preview": selectors.preview(programme, scope, today, periods),
        "failures": selectors.failures(programme, scope),
        "can_retry": can_manage and scope.names,
        "digest_day": digest_day,
        "digest_day_quiet": digest_day and selectors.quiet_period_on(periods, digest_day),
    }
    return render(request, "programmes/reminders/reminder_overview.html", context)


def reminder_overview(request, slug):
    return _render_overview(request, _programme(request, slug))


@require_POST
def reminder_rules(request, slug):
    programme = _programme(request, slug, to_manage=True)
    rules, _periods = selectors.load_rules(programme)
    form = ReminderSettingsForm(request.POST, programme=programme, rules=rules)
    if form.is_valid():
        try:
            services.reminder_settings_save(
                programme=programme, updated_by=request.user, **form.values()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Les règles de relance sont enregistrées."))
            return redirect(_overview_url(programme))
    return _render_overview(request, programme, rules_form=form)


@require_POST
def quiet_period_add(request, slug):
    programme = _programme(request, slug, to_manage=True)
    form = QuietPeriodForm(request.POST, programme=programme)
    if form.is_valid():
        try:
            period = services.quiet_period_add(programme=programme, **form.values())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Période sans relance ajoutée : %(period)s.") % {"period": period}
            )
            return redirect(f"{_overview_url(programme)}#quiet-periods")
    return _render_overview(request, programme, quiet_form=form)


@require_POST
def quiet_period_delete(request, slug, period_id):
    programme = _programme(request, slug, to_manage=True)
    period = get_object_or_404(programme.quiet_periods, pk=period_id)
    services.quiet_period_delete(quiet_period=period)
    messages.success(
        request, _("Période sans relance supprimée : %(period)s.") % {"period": period}
    )
    return redirect(f"{_overview_url(programme)}#quiet-periods")


def _today_preview(request, programme):
    _rules, periods = selectors.load_rules(programme)
    scope = selectors.reminder_scope(request.user, programme)
    return selectors.preview(programme, scope, timezone.localdate(), periods)


def _order(request):
    """The preview's order from ?tri= (by name when absent or unknown)."""
    order = request.GET.get("tri")
    return order if order in selectors.PREVIEW_ORDERS else selectors.BY_NAME


def reminder_preview(request, slug):
    """Who would be reminded today, one by one for those who see names: by agent name, or
    by rule then name (?tri=motif), each with the e-mail they would get."""
    programme = _programme(request, slug)
    preview = _today_preview(request, programme)
    order = _order(request)
    page_obj = None
    if preview.scope.names:
        page_obj = paginate(request, selectors.sorted_due(preview, order))
    context = {
        "title": _("Qui serait relancé aujourd’hui"),
        "programme": programme,
        "scope": preview.scope,
        "preview": preview,
        "order": order,
        "page_obj": page_obj,
        "rows": (
            selectors.due_rows(programme, page_obj.object_list, viewer=request.user)
            if page_obj
            else []
        ),
    }
    return render(request, "programmes/reminders/reminder_preview.html", context)


def reminder_preview_email(request, slug, agent_id):
    """The e-mail an agent due a reminder today would get, rendered by the sending's own
    builder, with the previous and next agents of the preview in its order: 404 when the
    viewer does not see names, the agent is outside their scope, or no reminder is due to
    them today."""
    programme = _programme(request, slug)
    preview = _today_preview(request, programme)
    order = _order(request)
    found = selectors.due_position(preview, order, agent_id) if preview.scope.names else None
    if found is None:
        raise Http404
    due, position, previous, following = found
    agents = Agent.objects.in_bulk(
        [d.agent_id for d in (previous, due, following) if d is not None]
    )
    agent = agents[agent_id]
    population = get_object_or_404(
        programme.populations.select_related("programme"), pk=due.population_id
    )
    message = emails.reminder_message(emails.would_be_sent(due, agent=agent, population=population))
    context = {
        "title": _("E-mail de relance de %(name)s") % {"name": agent.full_name},
        "programme": programme,
        "agent": agent,
        "population": population,
        "due": due,
        "kind_label": ReminderKind(due.kind).label,
        "message": message,
        "body_shown": emails.without_unsubscribe_link(message.body),
        "can_open_agent": visible_agents(request.user).filter(pk=agent.pk).exists(),
        "order": order,
        "position": position + 1,
        "total": preview.total,
        "previous": previous and agents[previous.agent_id],
        "following": following and agents[following.agent_id],
    }
    return render(request, "programmes/reminders/reminder_preview_email.html", context)


def reminder_log(request, slug):
    """What was sent, latest first: one by one for those who see names, else counts per
    day and status."""
    programme = _programme(request, slug)
    scope = selectors.reminder_scope(request.user, programme)
    form = LogFilterForm(request.GET or None)
    status, reminder_kind, digest_kind, tables = form.filters()
    filters = {
        "status": status,
        "reminder_kind": reminder_kind,
        "digest_kind": digest_kind,
        "tables": tables,
    }
    if scope.names:
        page_obj = paginate(request, selectors.log_entries(programme, scope, **filters))
        rows = selectors.log_rows(page_obj.object_list)
    else:
        page_obj = paginate(request, selectors.log_day_counts(programme, scope, **filters))
        rows = selectors.day_count_rows(page_obj.object_list, scope)
    can_manage = perms.can_manage_reminders(request.user, programme)
    context = {
        "title": _("Relances envoyées"),
        "programme": programme,
        "scope": scope,
        "form": form,
        "page_obj": page_obj,
        "rows": rows,
        "failures": selectors.failures(programme, scope),
        "can_retry": can_manage and scope.names,
    }
    return render(request, "programmes/reminders/reminder_log.html", context)


def _back(request, programme):
    """Where a retry came from (a reminders page of this programme), else the overview."""
    back = request.POST.get("next", "")
    if back.startswith(_overview_url(programme)) and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect(_overview_url(programme))


def _retry(request, slug, rows_of, pk):
    """The programme's FAILED row `pk` within the user's scope, to send again: 404 outside
    the programme or the scope, or when it is not FAILED; 403 to those who may not."""
    programme = _programme(request, slug, to_manage=True)
    scope = selectors.reminder_scope(request.user, programme)
    if not scope.names:
        raise PermissionDenied
    rows = rows_of(programme, scope).filter(status=OutgoingStatus.FAILED)
    return programme, get_object_or_404(rows, pk=pk)


@require_POST
def reminder_retry(request, slug, reminder_id):
    programme, reminder = _retry(
        request,
        slug,
        lambda p, scope: selectors.reminders_of(p, scope).select_related("agent"),
        reminder_id,
    )
    tasks.send_reminder.delay(reminder.pk)
    messages.success(
        request,
        _(
            "La relance de %(name)s (%(email)s) est remise en file d’envoi : son état se met "
            "à jour dès qu’elle est partie."
        )
        % {"name": reminder.agent.full_name, "email": reminder.email},
    )
    return _back(request, programme)


@require_POST
def digest_retry(request, slug, digest_id):
    programme, digest = _retry(
        request,
        slug,
        lambda p, scope: selectors.digests_of(p, scope).select_related("recipient"),
        digest_id,
    )
    tasks.send_digest.delay(digest.pk)
    messages.success(
        request,
        _(
            "La synthèse de %(name)s (%(email)s) est remise en file d’envoi : son état se met "
            "à jour dès qu’elle est partie."
        )
        % {"name": digest.recipient, "email": digest.email},
    )
    return _back(request, programme)
