"""Target populations: the list, a population's page (its status counts and, for those who
may see individuals, its agents page by page), and managing one: create and edit it, set its
targets (with their dated history), enrol agents by filters or by a list, and let agents
leave it.

The manager's team: their direct and indirect reports, and per programme how many of them
are enrolled and in which status (aggregates, under the small-group rule)."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from agents.models import Agent
from lib.pagination import paginate
from programmes import perms, selectors, services, status
from programmes.enums import ProgressStatus
from programmes.forms import EnrolmentFilterForm, EnrolmentListForm, PopulationForm, TargetsForm
from programmes.models import Enrolment, Programme, TargetPopulation
from programmes.roles import roles_for
from programmes.selectors import visible_programme_or_404
from programmes.targets import targets_applying_on


def population_list(request):
    populations = selectors.populations_with_counts(
        TargetPopulation.objects.visible_to(request.user)
    ).order_by("programme__name", "name")
    return render(
        request,
        "programmes/population_list.html",
        {"title": _("Populations cibles"), "populations": populations},
    )


def population_detail(request, pk):
    population = get_object_or_404(
        TargetPopulation.objects.visible_to(request.user).select_related("programme"), pk=pk
    )
    programme = population.programme
    # Those who accompany the population also pair its agents with mentors.
    accompanies = request.user.is_staff or perms.can_accompany_population(request.user, population)
    sees_individuals = accompanies or perms.can_see_population_members(request.user, population)
    displays = status.displays(programme)
    today = timezone.localdate()
    # The whole population's counts, whatever the list shows (search, filter): one grouped
    # query on the stored state.
    found = selectors.population_counts(population, today=today)
    counts, sharers = found.statuses, found.sharers
    listing = (
        _population_listing(request, population, displays, found, today) if sees_individuals else {}
    )
    context = {
        "title": population.name,
        "population": population,
        "programme": programme,
        "targets": population.targets.select_related("competence", "campaign"),
        "head_count": counts.total,
        "counts": counts,
        "status_rows": [(displays[s], n) for s, n in counts.counts.items()],
        "statuses": displays.values(),
        # Whoever sees aggregates only: no figure resting on the shared results of fewer
        # than 5 agents (DESIGN.md, « under 5 » counts contributors).
        "suppressed": not sees_individuals
        and perms.suppress_small_group(min(counts.total, sharers or 0)),
        "head_count_suppressed": not sees_individuals and perms.suppress_small_group(counts.total),
        "sees_individuals": sees_individuals,
        "accompanies": accompanies,
    }
    context.update(listing)
    return render(request, "programmes/population_detail.html", context)


def _population_listing(request, population, displays, counts, today):
    """The page of agents for ?q= (search), ?statut= (one status), ?tri= (sort), ?page=:
    filtered, sorted and paged by the database, the status shown for the page's rows only.
    Without a search nor the check-in filter, the list holds the population's `counts`
    (of the status chosen, if any), so the paginator does not count it again, and a page
    reads only the segments of the sorted list it overlaps (`population_page_ids`); with
    the check-in filter and no search, the tally counts it (`quiet_count`)."""
    query = request.GET.get("q", "")
    chosen = ProgressStatus.from_slug(request.GET.get("statut", ""))
    sort = request.GET.get("tri", "nom")
    sort = sort if sort.removeprefix("-") in selectors.POPULATION_SORTS else "nom"
    # ?sans-point=60: the agents without a check-in for that long (the one period offered).
    quiet = request.GET.get("sans-point") == str(selectors.QUIET_DAYS)
    quiet_days = selectors.QUIET_DAYS if quiet else None
    if query or quiet:
        agents = selectors.population_agents(
            population,
            query=query,
            progress_status=chosen,
            sort=sort,
            today=today,
            quiet_days=quiet_days,
        )
        # Without a search, the check-in filter's count is the tally's.
        known = None
        if not query:
            known = selectors.quiet_count(
                population, progress_status=chosen, today=today, quiet_days=quiet_days
            )
        page_obj = paginate(request, agents.values_list("pk", flat=True), count=known)
    else:  # the counts tell the size of the list and of each of its segments
        ids = selectors.population_page_ids(
            population, sort=sort, progress_status=chosen, counts=counts, today=today
        )
        known = counts.statuses.counts[chosen] if chosen else counts.statuses.total
        page_obj = paginate(request, ids, count=known)
    page_obj.object_list = selectors.population_rows(
        population, list(page_obj.object_list), today=today
    )
    for enrolment in page_obj:
        enrolment.progress = displays[enrolment.progress_status]
    return {
        "query": query,
        "chosen_status": chosen,
        "quiet_days": quiet_days,
        "quiet_choice": selectors.QUIET_DAYS,
        "sort": sort,
        "sort_links": _sort_links(request, sort),
        "page_obj": page_obj,
    }


def _sort_links(request, sort):
    """For each sortable column: the query string that sorts by it (ascending first, then
    the other way), back to the first page; and its current direction, if sorted by it."""
    links = {}
    for key in selectors.POPULATION_SORTS:
        params = request.GET.copy()
        params.pop("page", None)
        params["tri"] = f"-{key}" if sort == key else key
        direction = {key: "ascending", f"-{key}": "descending"}.get(sort)
        links[key] = {"query": params.urlencode(), "direction": direction}
    return links


def population_to_manage(user, pk):
    """The population, when the user may see it (else 404) and change it (else 403)."""
    population = get_object_or_404(
        TargetPopulation.objects.visible_to(user).select_related("programme"), pk=pk
    )
    if not perms.can_manage_population(user, population):
        raise PermissionDenied
    return population


def population_create(request, slug):
    programme = visible_programme_or_404(request.user, slug)
    if not perms.can_create_population(request.user, programme):
        raise PermissionDenied
    form = PopulationForm(
        request.POST or None, programme=programme, submit_label=_("Créer la population")
    )
    if request.method == "POST" and form.is_valid():
        population = services.population_create(
            programme=programme,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            ambassadors=form.cleaned_data["ambassador_emails"],
        )
        messages.success(
            request,
            _("Population « %(name)s » créée : fixez ses objectifs et inscrivez ses agents.")
            % {"name": population.name},
        )
        return redirect("programmes:population_detail", pk=population.pk)
    context = {"title": _("Nouvelle population"), "programme": programme, "form": form}
    return render(request, "programmes/population_form.html", context)


def population_edit(request, pk):
    population = population_to_manage(request.user, pk)
    form = PopulationForm(
        request.POST or None,
        programme=population.programme,
        population=population,
        submit_label=_("Enregistrer"),
    )
    if request.method == "POST" and form.is_valid():
        services.population_update(
            population=population,
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            ambassadors=form.cleaned_data["ambassador_emails"],
        )
        messages.success(request, _("Population enregistrée."))
        return redirect("programmes:population_detail", pk=population.pk)
    context = {
        "title": _("Modifier la population"),
        "programme": population.programme,
        "population": population,
        "form": form,
    }
    return render(request, "programmes/population_form.html", context)


def population_targets(request, pk):
    population = population_to_manage(request.user, pk)
    form = TargetsForm(request.POST or None, population=population)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.targets_save(
                population=population, user=request.user, targets=form.specs()
            )
        except services.TargetsInvalid as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _targets_message(saved))
            return redirect("programmes:population_detail", pk=population.pk)
    context = {"title": _("Objectifs de la population"), "population": population, "form": form}
    return render(request, "programmes/targets_form.html", context)


def _targets_message(saved):
    if not saved.total:
        return _("Aucun changement : les objectifs sont déjà ceux-là.")
    parts = [
        ngettext("%(count)s fixé", "%(count)s fixés", saved.created) % {"count": saved.created},
        ngettext("%(count)s modifié", "%(count)s modifiés", saved.changed)
        % {"count": saved.changed},
        ngettext("%(count)s retiré", "%(count)s retirés", saved.removed) % {"count": saved.removed},
    ]
    return _("Objectifs enregistrés : %(parts)s.") % {"parts": ", ".join(parts)}


def target_history(request, pk):
    """Every dated change of the population's targets, and the targets in force on a date."""
    population = get_object_or_404(
        TargetPopulation.objects.visible_to(request.user).select_related("programme"), pk=pk
    )
    asked = request.GET.get("date", "").strip()
    parsed = _date_param(asked)
    on = parsed or timezone.localdate()
    changes = population.target_changes.select_related("competence", "campaign", "changed_by")
    return render(
        request,
        "programmes/target_history.html",
        {
            "title": _("Historique des objectifs"),
            "population": population,
            "on": on,
            "date_error": bool(asked) and parsed is None,
            "applying": targets_applying_on(population, on),
            "page_obj": paginate(request, changes.order_by("-changed_at", "-pk")),
        },
    )


# Dates a target history can be read on: far enough from the calendar's ends (9999-12-31)
# for the end of the day and its time zone to exist.
_HISTORY_DATES = (datetime.date(1900, 1, 1), datetime.date(2999, 12, 31))


def _date_param(value):
    try:
        parsed = datetime.date.fromisoformat(value)
    except ValueError:
        return None
    first, last = _HISTORY_DATES
    return parsed if first <= parsed <= last else None


def population_members(request, pk):
    """Who is in the population now (or, with ?anciens=1, who left), to remove people."""
    population = population_to_manage(request.user, pk)
    former = request.GET.get("anciens") == "1"
    enrolments = population.enrolments.filter(end_date__isnull=not former)
    query = request.GET.get("q", "").strip()
    if query:
        enrolments = enrolments.filter(agent__in=Agent.objects.search(query))
    order = ("-end_date", "agent__last_name") if former else ("agent__last_name",)
    enrolments = enrolments.select_related("agent__org_unit").order_by(
        *order, "agent__first_name", "pk"
    )
    context = {
        "title": _("Agents de la population"),
        "population": population,
        "former": former,
        "query": query,
        "page_obj": paginate(request, enrolments),
        "current_count": population.enrolments.filter(end_date__isnull=True).count(),
    }
    return render(request, "programmes/enrolment_list.html", context)


@require_POST
def enrolment_end(request, pk, enrolment_id):
    population = population_to_manage(request.user, pk)
    enrolment = get_object_or_404(population.enrolments.select_related("agent"), pk=enrolment_id)
    if services.enrolment_end(enrolment=enrolment):
        messages.success(
            request,
            _("%(name)s ne fait plus partie de la population ; son historique est conservé.")
            % {"name": enrolment.agent.full_name},
        )
    else:
        messages.info(request, _("Cet agent avait déjà quitté la population."))
    return redirect("programmes:population_members", pk=population.pk)


def enrolment_filter(request, pk):
    """Filters first show who would be enrolled; a second POST (« confirm ») enrols them."""
    population = population_to_manage(request.user, pk)
    form = EnrolmentFilterForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        agents = services.agents_for_filters(**form.filters())
        if "confirm" in request.POST:
            outcome = services.enrolment_add(
                population=population, agent_ids=agents.values_list("pk", flat=True)
            )
            messages.success(request, _enrolled_message(outcome))
            return redirect("programmes:population_members", pk=population.pk)
        preview = services.enrolment_preview(population=population, agents=agents)
    context = {
        "title": _("Inscrire des agents par critères"),
        "population": population,
        "form": form,
        "preview": preview,
    }
    return render(request, "programmes/enrolment_filter.html", context)


def enrolment_paste(request, pk):
    population = population_to_manage(request.user, pk)
    form = EnrolmentListForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        outcome = services.enrolment_add(
            population=population, agent_ids=[agent.pk for agent in form.resolution.agents]
        )
        messages.success(request, _enrolled_message(outcome))
        if form.problems:
            messages.warning(request, _ignored_message(len(form.problems)))
        return redirect("programmes:population_members", pk=population.pk)
    context = {"title": _("Inscrire des agents par une liste"), "population": population}
    return render(request, "programmes/enrolment_paste.html", {**context, "form": form})


def _enrolled_message(outcome):
    enrolled = ngettext(
        "%(count)s agent inscrit", "%(count)s agents inscrits", outcome.enrolled
    ) % {"count": outcome.enrolled}
    already = ngettext("%(count)s l’était déjà", "%(count)s l’étaient déjà", outcome.already) % {
        "count": outcome.already
    }
    return f"{enrolled}, {already}."


def _ignored_message(count):
    return ngettext(
        "%(count)s identifiant inconnu ignoré.", "%(count)s identifiants inconnus ignorés.", count
    ) % {"count": count}


def team(request):
    """The manager's direct and indirect reports, and per programme how many are enrolled."""
    roles = roles_for(request.user)
    context = {"title": _("Mon équipe"), "manager": roles.agent}
    if roles.agent is not None:
        query = request.GET.get("q", "")
        context["query"] = query
        # The team walked once, as narrow rows sorted by name: its size, its search and the
        # page's ids come from them; only the page's agents are read whole.
        team = Agent.objects.team_by_name(roles.agent, query)
        context["team_size"] = len(team)
        page = paginate(request, [pk for pk, found in team if found])
        agents = Agent.objects.select_related("org_unit", "manager").in_bulk(page.object_list)
        page.object_list = [agents[pk] for pk in page.object_list if pk in agents]
        context["page_obj"] = page
        # A large team reads its figures from the last refresh (steering/teams.py).
        stored = len(team) > settings.TEAM_LIVE_FIGURES_UP_TO
        rows, computed = _team_programme_rows(roles.agent, [pk for pk, _ in team], stored)
        context["programme_rows"], context["figures_computed_at"] = rows, computed
        context["figures_stored"] = stored
        context["team_rule"] = any(row["aggregates_only"] for row in context["programme_rows"])
        context["status_labels"] = ProgressStatus.labels
    return render(request, "programmes/team.html", context)


def _team_programme_rows(manager, ids, stored: bool):
    """Per programme in which one of the team's agents is or was enrolled: those enrolled
    today, those of them who shared results in it (who contribute to the status counts:
    under self-assessment, fewer than 5 and the counts are withheld), and the counts per
    status; and as of when, when `stored`. Counted now from the stored progress state (two
    queries; the team's `ids`, already walked, spare a second walk); or, `stored` (a team
    past settings.TEAM_LIVE_FIGURES_UP_TO agents), read from the last figures refresh
    (steering/teams.py computes them: two queries whatever the team's size)."""
    today = timezone.localdate()
    # Every programme (a handful), for their names and stall thresholds: the team's
    # programmes are those the grouped query finds, so the team is walked once.
    programmes = list(Programme.objects.order_by("name", "pk"))
    computed = None
    if stored:
        figures, computed = selectors.stored_team_figures(manager.pk)
    else:
        team = Enrolment.objects.filter(Agent.objects.report_condition("agent_id", manager, ids))
        figures = selectors.team_figures(team, programmes, today)
    rows = []
    for programme in programmes:
        found = figures.get(programme.pk)
        if found is None:  # no agent of the team ever enrolled in it
            continue
        enrolled, contributors = found.get("enrolled", 0), found.get("contributors", 0)
        aggregates_only = not programme.is_managerial
        rows.append(
            {
                "programme": programme,
                "enrolled": enrolled,
                "suppressed": aggregates_only
                and perms.suppress_small_group(min(enrolled, contributors)),
                "enrolled_suppressed": aggregates_only and perms.suppress_small_group(enrolled),
                "aggregates_only": aggregates_only,
                "statuses": [found.get(progress.slug, 0) for progress in ProgressStatus],
            }
        )
    return rows, computed
