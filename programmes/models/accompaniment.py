"""Accompaniment of agents: milestones and check-ins with their barriers, the catalogue of
development resources and what agents make of them, and peer mentoring."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from agents.models import Agent
from campaigns.models import Competence
from campaigns.referential import MAX_LEVEL
from lib import french
from programmes.enums import ProgressStatus, ResourceKind, ResourceState

__all__ = [
    "Barrier",
    "Milestone",
    "CheckIn",
    "MilestoneCount",
    "CheckInTally",
    "Resource",
    "ResourceUse",
    "Mentor",
    "Mentoring",
]


class Barrier(models.Model):
    """A reason agents give for not starting or not progressing ("frein"). Each programme has
    its own list, edited by its owners; a retired barrier stays on the check-ins that cite it."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="barriers",
    )
    label = models.CharField(_("libellé"), max_length=120)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    is_active = models.BooleanField(
        _("proposé"),
        default=True,
        help_text=_("Un frein retiré n'est plus proposé mais reste sur les points d'étape."),
    )

    class Meta:
        verbose_name = _("frein")
        verbose_name_plural = _("freins")
        ordering = ["programme", "position", "label"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "label"], name="barrier_unique_label_in_programme"
            ),
        ]

    def __str__(self):
        return self.label


class MilestoneQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Milestones of the populations the user sees (see TargetPopulation.visible_to)."""
        from programmes.models.core import TargetPopulation

        return self.filter(population__in=TargetPopulation.objects.visible_to(user))


class Milestone(models.Model):
    """A dated check-in round ("point d'étape") for a population."""

    population = models.ForeignKey(
        "programmes.TargetPopulation",
        verbose_name=_("population"),
        on_delete=models.CASCADE,
        related_name="milestones",
    )
    date = models.DateField(_("date"))
    title = models.CharField(_("intitulé"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        verbose_name = _("point d'étape")
        verbose_name_plural = _("points d'étape")
        ordering = ["population", "date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["population", "date", "title"], name="milestone_unique_in_population"
            ),
        ]

    def __str__(self):
        return f"{self.title} ({french.long_date(self.date)})"


class CheckIn(models.Model):
    """One agent at a milestone: their status at that date (from the data), the barriers
    they named, a comment, an agreed next step, and who recorded it."""

    milestone = models.ForeignKey(
        Milestone,
        verbose_name=_("point d'étape"),
        on_delete=models.CASCADE,
        related_name="checkins",
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="checkins"
    )
    status = models.PositiveSmallIntegerField(
        _("situation à la date du point"), choices=ProgressStatus.choices
    )
    targets_met = models.PositiveSmallIntegerField(_("objectifs atteints"), default=0)
    targets_set = models.PositiveSmallIntegerField(_("objectifs fixés"), default=0)
    barriers = models.ManyToManyField(
        Barrier, verbose_name=_("freins"), related_name="checkins", blank=True
    )
    comment = models.TextField(_("commentaire"), blank=True)
    next_step = models.CharField(_("prochaine étape convenue"), max_length=300, blank=True)
    next_step_due = models.DateField(_("pour le"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saisi par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("saisi le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("entretien de point d'étape")
        verbose_name_plural = _("entretiens de point d'étape")
        ordering = ["milestone", "agent"]
        constraints = [
            models.UniqueConstraint(fields=["milestone", "agent"], name="checkin_one_per_agent"),
        ]

    def __str__(self):
        return f"{self.agent} — {self.milestone}"


class MilestoneCount(models.Model):
    """How many check-ins of a milestone there are per status snapshot (`barrier` empty) and
    per barrier and status. Moved by each recording by its own check-in
    (`checkins.services.milestone_counts_move`), rewritten whole by `milestone_counts_refresh`
    after other writes (admin, demo), so that the dashboard reads a few hundred rows instead of
    counting a ministry's check-ins on every request."""

    milestone = models.ForeignKey(
        Milestone, verbose_name=_("point d'étape"), on_delete=models.CASCADE, related_name="counts"
    )
    barrier = models.ForeignKey(
        Barrier,
        verbose_name=_("frein"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.PositiveSmallIntegerField(_("situation"), choices=ProgressStatus.choices)
    count = models.PositiveIntegerField(_("entretiens"))

    class Meta:
        verbose_name = _("décompte d'un point d'étape")
        verbose_name_plural = _("décomptes des points d'étape")
        ordering = ["milestone", "barrier", "status"]

    def __str__(self):
        return f"{self.milestone} — {self.barrier or '*'} — {self.status}: {self.count}"


class CheckInTally(models.Model):
    """How many (check-in, enrolment) pairs of a milestone there are per enrolment dates: a
    check-in at the milestone and an enrolment of its agent in the milestone's population,
    its end 9999-12-31 when open. How many current agents are checked in at a milestone
    sums its rows current on the day (a few per milestone, whatever its check-ins), less
    the agents enrolled twice at once (checkins/tally.py), instead of testing each check-in
    for a current enrolment (295 ms for 494,476 check-ins at a million agents).

    Written by the database only: triggers on the check-ins, the enrolments and the
    milestones (migration 0029) add and subtract pairs in the transaction of each write;
    `checkins.tally.check` holds the rows to the check-ins every night."""

    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, db_index=False, related_name="+"
    )
    start_date = models.DateField()
    end_date = models.DateField(help_text="9999-12-31: no end date.")
    n = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "start_date", "end_date"], name="checkin_tally_key"
            )
        ]

    def __str__(self):
        return f"{self.milestone_id} {self.start_date}–{self.end_date}: {self.n}"


class Resource(models.Model):
    """A development resource of a programme's catalogue, for some competences and a level
    range (the levels it helps to reach)."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="resources",
    )
    title = models.CharField(_("titre"), max_length=200)
    kind = models.CharField(_("type"), max_length=20, choices=ResourceKind.choices)
    competences = models.ManyToManyField(
        Competence, verbose_name=_("compétences"), related_name="resources", blank=True
    )
    level_min = models.PositiveSmallIntegerField(
        _("niveau de"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_LEVEL)]
    )
    level_max = models.PositiveSmallIntegerField(
        _("niveau à"),
        default=MAX_LEVEL,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LEVEL)],
    )
    url = models.URLField(_("lien"), max_length=500, blank=True)
    duration_minutes = models.PositiveIntegerField(_("durée (minutes)"), null=True, blank=True)
    provider = models.CharField(_("proposé par"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("proposée"), default=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    # What agents made of it, kept by the database itself: triggers on the resource uses
    # (migration 0022) update these in each write's transaction, so that the agent's page
    # ranks resources and the catalogue counts without reading every use of the programme
    # (381 ms a page for a million uses). `manage.py check_progress` holds them to the uses.
    started_count = models.IntegerField(_("commencée par"), default=0, editable=False)
    done_count = models.IntegerField(_("terminée par"), default=0, editable=False)
    useful_count = models.IntegerField(_("jugée utile par"), default=0, editable=False)
    not_useful_count = models.IntegerField(_("jugée pas utile par"), default=0, editable=False)

    class Meta:
        verbose_name = _("ressource")
        verbose_name_plural = _("ressources")
        ordering = ["programme", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "title"], name="resource_unique_title_in_programme"
            ),
            models.CheckConstraint(
                condition=Q(level_min__gte=1)
                & Q(level_max__lte=MAX_LEVEL)
                & Q(level_min__lte=F("level_max")),
                name="resource_level_range_valid",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        """The use counters are the database's: saving a resource read before an agent
        marked it must not write its old counts back."""
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in USE_COUNTERS
            ]
        super().save(*args, **kwargs)


# Resource's fields that triggers keep (migration 0022), never written by the app.
USE_COUNTERS = ("started_count", "done_count", "useful_count", "not_useful_count")


class ResourceUse(models.Model):
    """What an agent did with a resource: started or done, and whether it helped."""

    resource = models.ForeignKey(
        Resource, verbose_name=_("ressource"), on_delete=models.CASCADE, related_name="uses"
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="resource_uses"
    )
    state = models.CharField(_("état"), max_length=10, choices=ResourceState.choices)
    useful = models.BooleanField(_("utile"), null=True, blank=True)
    started_at = models.DateTimeField(_("commencée le"), auto_now_add=True)
    done_at = models.DateTimeField(_("terminée le"), null=True, blank=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("suivi d'une ressource")
        verbose_name_plural = _("suivis des ressources")
        ordering = ["resource", "agent"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "agent"], name="resource_use_one_per_agent"
            ),
        ]

    def __str__(self):
        return f"{self.agent} — {self.resource} ({self.get_state_display()})"


class Mentor(models.Model):
    """An agent who volunteers to help colleagues of a programme on a competence where they
    have reached the target ("compagnon"). Withdrawing keeps the row."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="mentors",
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="mentor_offers"
    )
    competence = models.ForeignKey(
        Competence, verbose_name=_("compétence"), on_delete=models.PROTECT, related_name="+"
    )
    since = models.DateTimeField(_("volontaire depuis le"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("retiré le"), null=True, blank=True)

    class Meta:
        verbose_name = _("compagnon")
        verbose_name_plural = _("compagnons")
        ordering = ["programme", "competence__position", "agent"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "agent", "competence"],
                condition=Q(withdrawn_at__isnull=True),
                name="mentor_one_open_offer",
            ),
        ]

    def __str__(self):
        return f"{self.agent} — {self.competence.code}"


class Mentoring(models.Model):
    """A mentee's request for help on a competence and, once the ambassador pairs them, the
    mentor who helps. Each sees the other's contact only while paired."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="mentorings",
    )
    mentee = models.ForeignKey(
        Agent, verbose_name=_("accompagné·e"), on_delete=models.CASCADE, related_name="mentorings"
    )
    competence = models.ForeignKey(
        Competence, verbose_name=_("compétence"), on_delete=models.PROTECT, related_name="+"
    )
    mentor = models.ForeignKey(
        Mentor,
        verbose_name=_("compagnon"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mentorings",
    )
    requested_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    paired_at = models.DateTimeField(_("mis en relation le"), null=True, blank=True)
    paired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mis en relation par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    ended_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("compagnonnage")
        verbose_name_plural = _("compagnonnages")
        ordering = ["programme", "-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "mentee", "competence"],
                condition=Q(ended_at__isnull=True),
                name="mentoring_one_open_per_competence",
            ),
            models.CheckConstraint(
                condition=Q(mentor__isnull=True, paired_at__isnull=True)
                | Q(mentor__isnull=False, paired_at__isnull=False),
                name="mentoring_paired_has_mentor",
            ),
        ]

    def __str__(self):
        return f"{self.mentee} — {self.competence.code}"

    @property
    def is_paired(self):
        return self.mentor_id is not None and self.ended_at is None
