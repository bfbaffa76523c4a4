"""The ambassador's home as a to-do list: per programme they accompany agents in, what waits
for them, each with how many and a link to the page where it is done. Every count is read
with the selector of the page it links to, so that both always agree; only the populations
the user accompanies count (an ambassador of one population sees that population's work).

A fixed number of queries per programme, whatever the number of agents, participants,
imports, requests or e-mails."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from programmes import selectors, tally
from programmes.accompaniment.checkins import days as checkin_days
from programmes.accompaniment.checkins import selectors as checkins_selectors
from programmes.accompaniment.mentoring import selectors as mentoring_selectors
from programmes.enums import OutgoingStatus, ProgressStatus
from programmes.imports import selectors as import_selectors
from programmes.imports.selectors import TO_CONFIRM_STATE
from programmes.imports.selectors import TO_CONFIRM_TAB as QUEUE_TO_CONFIRM_TAB
from programmes.models import PopulationTally, TargetPopulation
from programmes.reminders import selectors as reminder_selectors

# Every table of the reminders log (its « Relances et synthèses » filter).
REMINDER_TABLES = {"reminders", "digests"}


@dataclass(frozen=True)
class Task:
    """One thing to do: `count` of them (0: done), said by `label`, done at `url`."""

    key: str
    label: str
    count: int
    url: str


@dataclass
class ProgrammeTodo:
    programme: object
    tasks: list[Task] = field(default_factory=list)

    @property
    def pending(self):
        return [task for task in self.tasks if task.count]

    @property
    def done(self):
        return [task for task in self.tasks if not task.count]


def _url(name, query=None, **kwargs):
    url = reverse(f"programmes:{name}", kwargs=kwargs)
    return f"{url}?{urlencode(query)}" if query else url


def todo_for(user, today=None) -> list[ProgrammeTodo]:
    """What waits for `user` in each programme they accompany agents in, by programme name."""
    today = today or timezone.localdate()
    populations = list(
        TargetPopulation.objects.with_ambassador(user)
        .select_related("programme")
        .order_by("programme__name", "programme__pk", "name", "pk")
    )
    todos = {}
    for population in populations:
        todos.setdefault(population.programme.pk, ProgrammeTodo(population.programme))
    if not todos:
        return []
    by_population = {population.pk: population for population in populations}
    milestones = checkins_selectors.current_milestones_to_run(
        TargetPopulation.objects.filter(pk__in=by_population), today
    )
    stalled = _stalled_without_checkin(populations, today)
    for todo in todos.values():
        todo.tasks += _programme_tasks(user, todo.programme)
    for population in populations:
        todo = todos[population.programme.pk]
        todo.tasks += _population_tasks(population, milestones, stalled)
    return list(todos.values())


def _stalled_without_checkin(populations, today) -> dict[int, int]:
    """By population id: its current agents stalled and without a check-in there for
    QUIET_DAYS days (the population page with ?statut=stalled&sans-point=60), summed from
    the populations' tally rows (stalled, day of last check-in before then): one query, a
    few rows per population whatever its size."""
    since = checkin_days.recent_since(today)
    by_programme = {}
    for population in populations:
        by_programme.setdefault(population.programme, []).append(population.pk)
    stalled = Q()
    for programme, population_ids in by_programme.items():
        stalled |= Q(population_id__in=population_ids) & tally.status_condition(
            ProgressStatus.STALLED, programme, today
        )
    rows = (
        tally.current(PopulationTally.objects.filter(stalled, checkin_day__lt=since), today)
        .order_by()
        .values("population_id")
        .annotate(n=Sum("n"))
    )
    return {row["population_id"]: row["n"] for row in rows}


def _programme_tasks(user, programme) -> list[Task]:
    slug = programme.slug
    queue = import_selectors.participations_to_match_counts(programme)
    imports = import_selectors.imports_to_confirm(programme).count()
    whole = mentoring_selectors.sees_whole_programme(user, programme)
    requests = (
        mentoring_selectors.open_mentorings(user, programme, whole=whole)
        .filter(mentor__isnull=True)
        .count()
    )
    scope = reminder_selectors.reminder_scope(user, programme)
    failed = reminder_selectors.log_entries(
        programme, scope, status=OutgoingStatus.FAILED, tables=REMINDER_TABLES
    ).count()
    n = queue["unmatched"]
    c = queue["to_confirm"]
    return [
        Task(
            "unmatched",
            ngettext(
                "%(count)s participant à rapprocher d’un agent",
                "%(count)s participants à rapprocher d’un agent",
                n,
            )
            % {"count": n}
            if n
            else _("Aucun participant à rapprocher"),
            n,
            _url("unmatched_list", slug=slug),
        ),
        Task(
            "to_confirm",
            ngettext(
                "%(count)s rapprochement par le nom à confirmer",
                "%(count)s rapprochements par le nom à confirmer",
                c,
            )
            % {"count": c}
            if c
            else _("Aucun rapprochement à confirmer"),
            c,
            _url("unmatched_list", {"onglet": QUEUE_TO_CONFIRM_TAB}, slug=slug),
        ),
        Task(
            "imports",
            ngettext(
                "%(count)s import Pix à confirmer ou à relancer",
                "%(count)s imports Pix à confirmer ou à relancer",
                imports,
            )
            % {"count": imports}
            if imports
            else _("Aucun import en attente de confirmation"),
            imports,
            _url("import_history", {"etat": TO_CONFIRM_STATE}, slug=slug),
        ),
        Task(
            "mentoring",
            ngettext(
                "%(count)s demande de compagnonnage en attente",
                "%(count)s demandes de compagnonnage en attente",
                requests,
            )
            % {"count": requests}
            if requests
            else _("Aucune demande de compagnonnage en attente"),
            requests,
            _url("mentoring_list", slug=slug),
        ),
        Task(
            "failed_mails",
            ngettext(
                "%(count)s e-mail de relance en échec",
                "%(count)s e-mails de relance en échec",
                failed,
            )
            % {"count": failed}
            if failed
            else _("Aucun e-mail de relance en échec"),
            failed,
            _url("reminder_log", {"status": OutgoingStatus.FAILED.value}, slug=slug),
        ),
    ]


def _population_tasks(population, milestones, stalled) -> list[Task]:
    tasks = []
    milestone = next((m for m in milestones if m.population_id == population.pk), None)
    if milestone is not None:
        n = milestone.remaining
        values = {"count": n, "milestone": milestone.title, "population": population.name}
        tasks.append(
            Task(
                f"not_seen_{population.pk}",
                ngettext(
                    "%(population)s : %(count)s agent pas encore vu au point d’étape "
                    "« %(milestone)s »",
                    "%(population)s : %(count)s agents pas encore vus au point d’étape "
                    "« %(milestone)s »",
                    n,
                )
                % values
                if n
                else _("%(population)s : tous les agents vus au point d’étape « %(milestone)s »")
                % values,
                n,
                _url("milestone_detail", pk=milestone.pk),
            )
        )
    n = stalled.get(population.pk, 0)
    values = {"count": n, "population": population.name, "days": selectors.QUIET_DAYS}
    tasks.append(
        Task(
            f"stalled_{population.pk}",
            ngettext(
                "%(population)s : %(count)s agent à l’arrêt sans point d’étape depuis "
                "%(days)s jours",
                "%(population)s : %(count)s agents à l’arrêt sans point d’étape depuis "
                "%(days)s jours",
                n,
            )
            % values
            if n
            else _(
                "%(population)s : aucun agent à l’arrêt sans point d’étape depuis %(days)s jours"
            )
            % values,
            n,
            _url(
                "population_detail",
                {"statut": ProgressStatus.STALLED.slug, "sans-point": selectors.QUIET_DAYS},
                pk=population.pk,
            ),
        )
    )
    return tasks
