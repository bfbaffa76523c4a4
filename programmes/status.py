"""The progress status of an agent in a target population, as DESIGN.md defines it (« Progress
status of an agent in a population »): every rule in this module, nowhere else.

For one enrolment (an agent in a population of a programme), only the participations matched
to the agent (a name match still to confirm included, as the agent's page shows it) in the
campaigns the programme follows count; unmatched participants and other campaigns are
ignored (a target on a campaign the programme does not follow cannot be met). In order:

- **not started**: no such participation at all;
- **target reached**: the population has at least one target and every one of them is met by
  the latest shared results (`target_met_condition`); a population without target is never reached;
- **stalled**: the last progress seen on any such participation (`last_progress_at`: a level,
  pix, progression % or stage that moved, or a new share) is more than the programme's
  `stall_threshold_days` days before today, a participation started and never shared
  included; exactly the threshold is not stalled yet;
- **in progress**: otherwise.

Alongside the status: « targets met / targets set » and the last activity (that last progress).

The inputs of the status are stored on each enrolment and kept current by every write that
changes them (programmes/progress.py); `with_progress` reads them and adds the one part that
moves with the day, so a whole population, or all the populations of one agent, are filtered,
sorted, counted and paginated by the database from the rows alone. `live_progress` computes the
same from the participations and results: the definition the stored state is held to. An
agent in two populations has one status in each, since each enrolment is judged against its
own population's targets.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from campaigns.enums import CampaignKind, ParticipationStatus
from campaigns.models import CompetenceResult, Participation
from programmes.enums import ProgressStatus, TargetKind
from programmes.models import Programme, Target, TargetPopulation

DEFINITIONS = {
    ProgressStatus.NOT_STARTED: _(
        "Inscrit dans la population, sans aucune participation à une campagne Pix du programme."
    ),
    ProgressStatus.IN_PROGRESS: _(
        "A participé à une campagne du programme, n'a pas encore atteint tous les objectifs, "
        "et un progrès a été vu il y a %(days)s jours au plus."
    ),
    ProgressStatus.STALLED: _(
        "A participé à une campagne du programme, n'a pas atteint tous les objectifs, et aucun "
        "progrès (niveau, pix, progression, palier ou nouvel envoi) depuis plus de %(days)s "
        "jours, y compris une participation commencée mais jamais envoyée."
    ),
    ProgressStatus.TARGET_REACHED: _(
        "Tous les objectifs de la population sont atteints par les derniers résultats partagés."
    ),
}

# DSFR badge modifiers: grey (the plain badge), blue, orange, green.
BADGES = {
    ProgressStatus.NOT_STARTED: "",
    ProgressStatus.IN_PROGRESS: "fr-badge--info",
    ProgressStatus.STALLED: "fr-badge--warning",
    ProgressStatus.TARGET_REACHED: "fr-badge--success",
}


@dataclass(frozen=True)
class StatusDisplay:
    """What the UI shows for a status in a programme: label, definition, badge."""

    status: ProgressStatus
    definition: str
    badge: str

    @property
    def label(self):
        return self.status.label


def displays(programme: Programme) -> dict[ProgressStatus, StatusDisplay]:
    """Each status with its definition, worded with `programme`'s stall threshold."""
    days = programme.stall_threshold_days
    return {
        status: StatusDisplay(status, DEFINITIONS[status] % {"days": days}, BADGES[status])
        for status in ProgressStatus
    }


# Where the agent reads their own status (« Mon parcours »): a softer label than the one the
# ambassadors and owners read (the enum's), and a sentence in the second person. The precise
# terms stay on every other page.
AGENT_LABELS = {
    ProgressStatus.NOT_STARTED: _("Pas encore commencé"),
    ProgressStatus.IN_PROGRESS: _("En bonne voie"),
    ProgressStatus.STALLED: _("En pause"),
    ProgressStatus.TARGET_REACHED: _("Objectif atteint"),
}


@dataclass(frozen=True)
class AgentStatusDisplay:
    """A status as the agent reads it about themself: the same badge, a softer label, and a
    sentence addressed to them (`definition`, as StatusDisplay names it)."""

    status: ProgressStatus
    label: str
    definition: str
    badge: str


def days_without_progress(last_activity: datetime | None, today: date) -> int | None:
    """Whole days from the day of `last_activity` (local time) to `today`; None without any."""
    if last_activity is None:
        return None
    return (today - timezone.localdate(last_activity)).days


def agent_display(
    status: ProgressStatus,
    programme: Programme,
    *,
    last_activity: datetime | None = None,
    today: date | None = None,
) -> AgentStatusDisplay:
    """`status` worded for the agent it is about, in the second person: for a stalled agent,
    the real number of days since their last progress when `last_activity` is given (else
    the programme's threshold)."""
    status = ProgressStatus(status)
    if status == ProgressStatus.NOT_STARTED:
        sentence = gettext(
            "Vous n’avez pas encore commencé : votre première campagne Pix vous attend."
        )
    elif status == ProgressStatus.IN_PROGRESS:
        sentence = gettext(
            "Vous êtes en bonne voie : continuez, chaque progrès compte pour vos objectifs."
        )
    elif status == ProgressStatus.TARGET_REACHED:
        sentence = gettext("Objectif atteint, bravo ! Tous vos objectifs sont atteints.")
    else:
        days = days_without_progress(last_activity, today or timezone.localdate())
        if days is None:
            days = programme.stall_threshold_days
            sentence = ngettext(
                "Vous n’avez pas progressé depuis plus de %(days)s jour : reprenez quand vous "
                "le pouvez, votre ambassadeur Pix peut vous y aider.",
                "Vous n’avez pas progressé depuis plus de %(days)s jours : reprenez quand vous "
                "le pouvez, votre ambassadeur Pix peut vous y aider.",
                days,
            ) % {"days": days}
        else:
            sentence = ngettext(
                "Vous n’avez pas progressé depuis %(days)s jour : reprenez quand vous le "
                "pouvez, votre ambassadeur Pix peut vous y aider.",
                "Vous n’avez pas progressé depuis %(days)s jours : reprenez quand vous le "
                "pouvez, votre ambassadeur Pix peut vous y aider.",
                days,
            ) % {"days": days}
    return AgentStatusDisplay(status, str(AGENT_LABELS[status]), sentence, BADGES[status])


def stall_cutoff_day(programme: Programme, today: date) -> date:
    """The first local day whose progress still counts as recent: `stall_threshold_days`
    days before `today`."""
    return today - timedelta(days=programme.stall_threshold_days)


def stall_cutoff(programme: Programme, today: date) -> datetime:
    """The first instant that still counts as recent progress: local midnight of
    `stall_cutoff_day`. Progress on that day is exactly at the threshold, which is not
    stalled yet; anything earlier is."""
    return timezone.make_aware(datetime.combine(stall_cutoff_day(programme, today), time.min))


def latest_shared(field: str, **filters) -> Subquery:
    """The enrolled agent's latest shared `field` (level or mastery rate) on the target's
    competence, in the programme's campaigns whose participations match `filters` (an
    OuterRef in them names a field of the Target). The latest share wins, even when it is
    lower than an earlier one. Used inside a Target subquery of an Enrolment.

    The results are reached from the agent's own participations (the participation agent
    index, then the result history index that starts with the participation), never from
    the competence: a campaign's participants nobody matched, however many, cost nothing."""
    participations = Participation.objects.filter(
        agent=OuterRef(OuterRef(OuterRef("agent"))),
        status=ParticipationStatus.SHARED,
        campaign__programmes=OuterRef(OuterRef("population__programme")),
        **filters,
    )
    results = CompetenceResult.objects.filter(
        participation__in=participations.values("pk"),
        competence=OuterRef("competence"),
        **{f"{field}__isnull": False},
    )
    return Subquery(results.order_by("-observed_at", "-pk").values(field)[:1])


def target_met_condition() -> Q:
    """A target met by the enrolled agent's shared results, in the programme's campaigns:
    - level: the latest level on its competence across profiles collections ≥ the level;
    - mastery rate: the latest mastery rate on its competence in its campaign ≥ the rate;
    - stage: a shared participation in its campaign reached the stage or a higher one."""
    best_stage = Participation.objects.filter(
        agent=OuterRef(OuterRef("agent")),
        campaign=OuterRef("campaign"),
        campaign__programmes=OuterRef("population__programme"),
        status=ParticipationStatus.SHARED,
        stage__gte=OuterRef("stage"),
    )
    return (
        Q(
            kind=TargetKind.LEVEL,
            level__lte=latest_shared("level", campaign__kind=CampaignKind.PROFILES_COLLECTION),
        )
        | Q(
            kind=TargetKind.MASTERY_RATE,
            mastery_rate__lte=latest_shared(
                "mastery_rate", campaign=OuterRef(OuterRef("campaign"))
            ),
        )
        | Q(Exists(best_stage), kind=TargetKind.STAGE)
    )


def _count_targets(targets: QuerySet) -> Coalesce:
    counted = targets.order_by().values("population").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _status_case(programmes, today: date, *, last_activity: str, reached: Q) -> Case:
    """The status from its inputs: `last_activity` (a field or annotation name), `reached` (a
    condition on the row). The stall threshold is read from `programmes` (see with_progress)."""
    programmes = list(programmes)
    whens = [
        When(**{f"{last_activity}__isnull": True}, then=Value(ProgressStatus.NOT_STARTED)),
        When(reached, then=Value(ProgressStatus.TARGET_REACHED)),
    ]
    if len(programmes) == 1:  # every row is of this programme: no join to read which
        cutoff = stall_cutoff(programmes[0], today)
        whens.append(When(**{f"{last_activity}__lt": cutoff}, then=Value(ProgressStatus.STALLED)))
    else:
        whens += [
            When(
                population__programme=programme.pk,
                **{f"{last_activity}__lt": stall_cutoff(programme, today)},
                then=Value(ProgressStatus.STALLED),
            )
            for programme in programmes
        ]
    return Case(*whens, default=Value(ProgressStatus.IN_PROGRESS), output_field=IntegerField())


def with_progress(enrolments: QuerySet, *, programmes, today: date | None = None) -> QuerySet:
    """`enrolments` annotated with `progress_status` (a ProgressStatus value), from the
    progress state stored on each enrolment (`targets_set`, `targets_met`, `last_activity`:
    the latest `last_progress_at` of the agent's participations in the programme's campaigns,
    None without any; kept current by programmes/progress.py, held to `live_progress`). Only
    the time-based part is computed: a comparison of `last_activity` with today.

    `programmes` must hold the programme of every enrolment: their stall thresholds are read
    from them (an enrolment in another programme would never be stalled). Filtering, sorting
    and counting by `progress_status` read the row alone (enrolment_progress_idx)."""
    today = today or timezone.localdate()
    return enrolments.annotate(
        progress_status=_status_case(
            programmes, today, last_activity="last_activity", reached=Q(reached=True)
        )
    )


def stored_status(enrolment, programme: Programme, today: date | None = None) -> ProgressStatus:
    """`with_progress`'s status of one enrolment already read (its stored state), worked out
    in Python: a page that holds the row need not read it again. The same rules as
    `_status_case`, in the same order; tests/programmes/test_status.py holds the two equal
    at every boundary."""
    today = today or timezone.localdate()
    if enrolment.last_activity is None:
        return ProgressStatus.NOT_STARTED
    if enrolment.reached:
        return ProgressStatus.TARGET_REACHED
    if enrolment.last_activity < stall_cutoff(programme, today):
        return ProgressStatus.STALLED
    return ProgressStatus.IN_PROGRESS


def status_filter(status, programme: Programme, today: date | None = None) -> Q:
    """The enrolments of `programme` in `status`, as a condition on the stored state alone
    (an index range, where annotating and filtering `progress_status` would evaluate the
    CASE on every row)."""
    today = today or timezone.localdate()
    status = ProgressStatus(status)
    if status == ProgressStatus.NOT_STARTED:
        return Q(last_activity__isnull=True)
    if status == ProgressStatus.TARGET_REACHED:
        return Q(reached=True, last_activity__isnull=False)
    cutoff = stall_cutoff(programme, today)
    if status == ProgressStatus.STALLED:
        return Q(reached=False, last_activity__lt=cutoff)
    return Q(reached=False, last_activity__gte=cutoff)


def live_progress(enrolments: QuerySet, *, programmes, today: date | None = None) -> QuerySet:
    """The reference definition: `enrolments` annotated with `live_targets_set`,
    `live_targets_met`, `live_last_activity`, `live_has_shared` and `live_status`, computed
    from the participations and results themselves (DESIGN.md's rules, this module's
    docstring). The stored state must always agree with it (`manage.py check_progress`)."""
    today = today or timezone.localdate()
    own_targets = Target.objects.filter(population=OuterRef("population"))
    participations = Participation.objects.filter(
        agent=OuterRef("agent"), campaign__programmes=OuterRef("population__programme")
    )
    return (
        enrolments.annotate(
            live_targets_set=_count_targets(own_targets),
            live_targets_met=_count_targets(own_targets.filter(target_met_condition())),
            live_last_activity=Subquery(
                participations.order_by("-last_progress_at").values("last_progress_at")[:1]
            ),
            live_has_shared=Exists(participations.filter(status=ParticipationStatus.SHARED)),
        )
        .annotate(
            live_reached=Case(
                When(
                    live_targets_set__gt=0,
                    live_targets_met__gte=F("live_targets_set"),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .annotate(
            live_status=_status_case(
                programmes, today, last_activity="live_last_activity", reached=Q(live_reached=True)
            )
        )
    )


def population_progress(population: TargetPopulation, *, today: date | None = None) -> QuerySet:
    """The population's current enrolments with their progress (see `with_progress`)."""
    today = today or timezone.localdate()
    return with_progress(
        population.enrolments.current(today), programmes=[population.programme], today=today
    )


@dataclass(frozen=True)
class StatusCounts:
    """How many enrolments are in each status."""

    counts: dict[ProgressStatus, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def reached(self) -> int:
        return self.counts[ProgressStatus.TARGET_REACHED]

    @property
    def reached_share(self) -> float | None:
        """Share of the population at target (status « target reached »); None when empty."""
        if not self.total:
            return None
        return self.reached / self.total


def _status_counts(found) -> StatusCounts:
    """From {status value: count}, every status present (0 when absent)."""
    return StatusCounts({status: found.get(status.value, 0) for status in ProgressStatus})


def status_counts(enrolments_with_progress: QuerySet) -> StatusCounts:
    """Count the statuses of enrolments annotated by `with_progress`, in one query."""
    rows = enrolments_with_progress.order_by().values("progress_status").annotate(n=Count("pk"))
    return _status_counts({row["progress_status"]: row["n"] for row in rows})
