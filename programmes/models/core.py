import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import Agent
from campaigns.models import Campaign, Competence, ResultImport
from campaigns.referential import MAX_LEVEL
from lib import french
from programmes.enums import Purpose, TargetKind


class ProgrammeQuerySet(models.QuerySet):
    def checked(self, programme=None):
        """Every programme in id order, or `programme` alone: what a nightly check of
        stored state walks (`manage.py check_progress`)."""
        found = self.order_by("pk")
        return found if programme is None else found.filter(pk=programme.pk)

    def visible_to(self, user):
        """Staff see every programme; owners and ambassadors (of the programme or one of its
        populations) see theirs."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(
            Q(owners=user) | Q(ambassadors=user) | Q(populations__ambassadors=user)
        ).distinct()

    def owned_by(self, user):
        if user.is_staff:
            return self.all()
        return self.filter(owners=user)

    def past_retention(self, today: datetime.date):
        """Programmes ended more than RESULTS_RETENTION_DAYS before `today`: their personal
        data is due for purge."""
        last_end = today - datetime.timedelta(days=settings.RESULTS_RETENTION_DAYS)
        return self.filter(end_date__isnull=False, end_date__lt=last_end)


class Programme(models.Model):
    """One steered Pix effort: its period, its people, and its purpose, which decides who
    sees individual results."""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant court"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    purpose = models.CharField(
        _("finalité"),
        max_length=20,
        choices=Purpose.choices,
        default=Purpose.SELF_ASSESSMENT,
        help_text=_(
            "Auto-positionnement : résultats individuels vus par l'agent et l'ambassadeur "
            "seulement. Projet managérial : la ligne hiérarchique les voit aussi."
        ),
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"), null=True, blank=True)
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("pilotes"),
        related_name="owned_programmes",
        blank=True,
    )
    ambassadors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ambassadeurs du programme"),
        related_name="ambassador_programmes",
        blank=True,
    )
    campaigns = models.ManyToManyField(
        Campaign, verbose_name=_("campagnes Pix suivies"), related_name="programmes", blank=True
    )
    stall_threshold_days = models.PositiveSmallIntegerField(
        _("seuil de décrochage (jours)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Sans progrès depuis ce nombre de jours, un agent est dit « à l'arrêt »."),
    )
    target_share = models.PositiveSmallIntegerField(
        _("part visée à l'échéance (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "La part des agents inscrits à l'objectif que le programme vise pour l'échéance "
            "de ses niveaux cibles : le tableau de bord dit quand elle sera atteinte au "
            "rythme actuel."
        ),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    objects = ProgrammeQuerySet.as_manager()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ["-start_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="programme_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("programmes:programme_detail", kwargs={"slug": self.slug})

    @property
    def is_managerial(self):
        return self.purpose == Purpose.MANAGERIAL

    def is_past_retention(self, today=None) -> bool:
        """Ended more than RESULTS_RETENTION_DAYS ago: its personal data is due for purge."""
        today = today or timezone.localdate()
        last_end = today - datetime.timedelta(days=settings.RESULTS_RETENTION_DAYS)
        return self.end_date is not None and self.end_date < last_end

    def is_over(self, today=None):
        today = today or timezone.localdate()
        return self.end_date is not None and self.end_date < today


class TargetPopulationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Staff see all; a programme's owners and ambassadors see all its populations; a
        population's ambassadors see theirs."""
        if not user.is_authenticated:
            return self.none()
        if user.is_staff:
            return self.all()
        return self.filter(
            Q(programme__owners=user) | Q(programme__ambassadors=user) | Q(ambassadors=user)
        ).distinct()

    def with_ambassador(self, user):
        """Populations where `user` accompanies agents individually."""
        return self.filter(Q(ambassadors=user) | Q(programme__ambassadors=user)).distinct()


class TargetPopulation(models.Model):
    """A group of agents in a programme, with its ambassadors and targets."""

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="populations",
    )
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    ambassadors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ambassadeurs"),
        related_name="ambassador_populations",
        blank=True,
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    objects = TargetPopulationQuerySet.as_manager()

    class Meta:
        verbose_name = _("population cible")
        verbose_name_plural = _("populations cibles")
        ordering = ["programme", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "name"], name="population_unique_name_in_programme"
            ),
        ]

    def __str__(self):
        return f"{self.name} — {self.programme}"

    def get_absolute_url(self):
        return reverse("programmes:population_detail", kwargs={"pk": self.pk})


class Target(models.Model):
    """What is expected of a population: a level on a competence (profiles collection), or a
    mastery rate on a competence or a stage for an assessment campaign; optional deadline."""

    population = models.ForeignKey(
        TargetPopulation,
        verbose_name=_("population"),
        on_delete=models.CASCADE,
        related_name="targets",
    )
    competence = models.ForeignKey(
        Competence,
        verbose_name=_("compétence"),
        on_delete=models.PROTECT,
        related_name="targets",
        null=True,
        blank=True,
    )
    kind = models.CharField(
        _("type d'objectif"), max_length=20, choices=TargetKind.choices, default=TargetKind.LEVEL
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campagne d'évaluation"),
        on_delete=models.PROTECT,
        related_name="targets",
        null=True,
        blank=True,
    )
    level = models.PositiveSmallIntegerField(
        _("niveau"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LEVEL)],
    )
    mastery_rate = models.DecimalField(
        _("taux de maîtrise"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Entre 0 et 1 (0,7 = 70 %)."),
    )
    stage = models.PositiveSmallIntegerField(_("palier"), null=True, blank=True)
    deadline = models.DateField(_("échéance"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("niveau cible")
        verbose_name_plural = _("niveaux cibles")
        ordering = ["population", "competence__position", "kind"]
        constraints = [
            models.CheckConstraint(
                name="target_fields_match_kind",
                condition=(
                    Q(
                        kind=TargetKind.LEVEL,
                        competence__isnull=False,
                        level__isnull=False,
                        level__gte=1,
                        level__lte=MAX_LEVEL,
                        mastery_rate__isnull=True,
                        stage__isnull=True,
                    )
                    | Q(
                        kind=TargetKind.MASTERY_RATE,
                        competence__isnull=False,
                        campaign__isnull=False,
                        mastery_rate__isnull=False,
                        mastery_rate__gte=0,
                        mastery_rate__lte=1,
                        level__isnull=True,
                        stage__isnull=True,
                    )
                    | Q(
                        kind=TargetKind.STAGE,
                        campaign__isnull=False,
                        stage__isnull=False,
                        level__isnull=True,
                        mastery_rate__isnull=True,
                    )
                ),
            ),
            models.UniqueConstraint(
                fields=["population", "competence"],
                condition=Q(kind=TargetKind.LEVEL),
                name="target_one_level_per_competence",
            ),
            models.UniqueConstraint(
                fields=["population", "campaign", "competence"],
                condition=Q(kind=TargetKind.MASTERY_RATE),
                name="target_one_rate_per_campaign_competence",
            ),
            models.UniqueConstraint(
                fields=["population", "campaign"],
                condition=Q(kind=TargetKind.STAGE),
                name="target_one_stage_per_campaign",
            ),
        ]

    def __str__(self):
        return f"{self.population.name} : {self.describe()}"

    @classmethod
    def from_db(cls, db, field_names, values):
        target = super().from_db(db, field_names, values)
        # What the stored results per target are keyed on, as loaded: a change of threshold
        # alone recounts the stored values (programmes/progress.py).
        target.loaded_identity = target.identity
        return target

    @property
    def identity(self) -> tuple:
        """What the agent's value for this target is read from (not the threshold)."""
        return (self.kind, self.competence_id, self.campaign_id)

    def describe(self):
        if self.kind == TargetKind.LEVEL:
            return _("%(competence)s niveau %(level)s") % {
                "competence": self.competence.code,
                "level": self.level,
            }
        if self.kind == TargetKind.MASTERY_RATE:
            return _("%(competence)s maîtrise %(rate)s %%") % {
                "competence": self.competence.code,
                "rate": round(self.mastery_rate * 100),
            }
        return _("palier %(stage)s") % {"stage": self.stage}


def enrolled_on(day) -> Q:
    """The enrolments current on `day`, as a condition: started on or before it, and not
    left (the end date is the day the agent left the population, from which they no longer
    count). For a count's filter; `EnrolmentQuerySet.current` filters by it."""
    return Q(start_date__lte=day) & (Q(end_date__isnull=True) | Q(end_date__gt=day))


class EnrolmentQuerySet(models.QuerySet):
    def current(self, today=None):
        """Enrolled on `today` (`enrolled_on`)."""
        return self.filter(enrolled_on(today or timezone.localdate()))


# What the reminders' due set reads of an enrolment besides its population and progress:
# carried by the progress indexes (Enrolment.Meta.indexes), so that it reads them alone.
REMINDER_COLUMNS = ["start_date", "end_date", "agent", "reminder_hold", "has_earlier"]


class Enrolment(models.Model):
    """An agent in a population from a date; leaving sets an end date and keeps the row."""

    agent = models.ForeignKey(
        Agent,
        verbose_name=_("agent"),
        on_delete=models.CASCADE,
        related_name="enrolments",
        # enrolment_agent_idx starts with it.
        db_index=False,
    )
    population = models.ForeignKey(
        TargetPopulation,
        verbose_name=_("population"),
        on_delete=models.CASCADE,
        related_name="enrolments",
        # enrolment_pop_end_idx and enrolment_progress_idx start with it: a third index
        # would only slow every write of the progress state.
        db_index=False,
    )
    start_date = models.DateField(_("depuis le"), default=timezone.localdate)
    end_date = models.DateField(
        _("sorti·e le"),
        null=True,
        blank=True,
        help_text=_("À partir de cette date, l'agent ne compte plus dans la population."),
    )
    # The stored progress state (programmes/progress.py keeps it current in the transaction of
    # every write that changes it; programmes/status.py reads it and holds the definition).
    last_activity = models.DateTimeField(
        _("dernier progrès le"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Dernier progrès vu dans les campagnes du programme (vide : non commencé)."),
    )
    targets_set = models.PositiveSmallIntegerField(_("objectifs fixés"), default=0, editable=False)
    targets_met = models.PositiveSmallIntegerField(
        _("objectifs atteints"), default=0, editable=False
    )
    reached = models.BooleanField(_("objectif atteint"), default=False, editable=False)
    has_shared = models.BooleanField(_("a envoyé des résultats"), default=False, editable=False)
    target_values = models.JSONField(
        _("derniers résultats par objectif"), default=dict, blank=True, editable=False
    )
    # The agent's reminder state in the programme, the same on each of their enrolments in
    # it; written by the database only (triggers on the reminders, the opt-outs, the rules
    # and the enrolments, migration 0025; programmes/reminders/holds.py holds the definition).
    reminder_hold = models.DateField(
        _("pas de relance avant le"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Aucune relance du programme avant ce jour : la dernière plus l'intervalle, ou "
            "jamais (9999-12-31) après un désabonnement ou le nombre maximal. Vide : aucune."
        ),
    )

    # Whether the agent has an enrolment (any, current or not) in a population of the same
    # programme with a smaller id: the reminders' due set keeps one row per agent, the first
    # of their populations, and only these rows can have one before them to look for
    # (reminders/selection.py). Written by the database only (triggers on the enrolments,
    # migration 0027; programmes/reminders/siblings.py holds the definition).
    # db_default: the rows written by COPY or raw SQL (seeds, benches) get it too.
    has_earlier = models.BooleanField(
        _("inscrit·e aussi dans une population précédente"),
        default=False,
        db_default=False,
        editable=False,
    )

    # The date of the latest milestone of its population at which its agent checked in
    # (none: never), on the populations' tally key so that « stalled, without a check-in for
    # 60 days » is counted from the tally. Written by the database only (triggers on the
    # check-ins, the milestones and the enrolments, migration 0030;
    # programmes/accompaniment/checkins/days.py holds the definition and clears the days too
    # old to count every night).
    checkin_day = models.DateField(
        _("dernier point d'étape vu"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Date du dernier point d'étape de sa population où l'agent a été vu. Vide : aucun."
        ),
    )

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["population", "agent"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "population"],
                condition=Q(end_date__isnull=True),
                name="enrolment_one_open_per_population",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="enrolment_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["population", "end_date"], name="enrolment_pop_end_idx"),
            # Status filters, counts and sorts of a population read the stored state alone.
            # Both carry what the reminders' due set reads besides (dates, agent): counted
            # one kind at a time (not started, stalled), it is read from them alone, an
            # index-only scan instead of a visit to each row (reminders/selection.py,
            # `due_counts`, for the rows it reads).
            models.Index(
                fields=["population", "reached", "last_activity"],
                include=REMINDER_COLUMNS,
                name="enrolment_progress_idx",
            ),
            # The population page sorted by last activity walks it (population_page_ids).
            models.Index(
                fields=["population", "last_activity"],
                include=REMINDER_COLUMNS,
                name="enrolment_activity_idx",
            ),
            # An agent's enrolments, with what says whether the reminders' rules choose
            # them: the due counts probe it for each agent held apart and each row of a
            # later population (is there an earlier one?), from the index alone
            # (reminders/selection.py, `due_counts`).
            models.Index(
                fields=["agent", "population"],
                include=["start_date", "end_date", "reached", "last_activity"],
                name="enrolment_agent_idx",
            ),
        ]

    def __str__(self):
        return f"{self.agent} → {self.population.name}"


# What a tally row holds where the enrolment holds none: no end date, no activity yet.
OPEN_END = datetime.date(9999, 12, 31)
NO_ACTIVITY = datetime.date(1, 1, 1)
# A tally row's hold where the enrolment holds none (Enrolment.reminder_hold).
NO_HOLD = datetime.date(1, 1, 1)
# A tally row's day of last check-in where the enrolment holds none (Enrolment.checkin_day).
NO_CHECKIN = datetime.date(1, 1, 1)


class PopulationTally(models.Model):
    """How many enrolments of a population (`n`, negative for enrolments gone) share what
    their status, the population page's counts and the reminders' counts read: dates of
    enrolment, day of last activity (local), shared, targets met, reached, reminder hold.
    The counts of a population sum its rows (programmes/tally.py): a few thousand at most,
    whatever its head count (holds past are cleared every night, so that they merge).

    Written by the database only: triggers on programmes_enrolment (migration 0020) add one
    row per group of enrolments an INSERT, UPDATE or DELETE changed, in its transaction; rows
    are only ever added (no lock held on a shared counter), and merged by `tally.compact`
    after each import's figures and every night. The population is not a foreign key: its
    enrolments' deletion, which writes these rows, may come before or after its own."""

    population = models.ForeignKey(
        TargetPopulation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # tally_population_idx starts with it
        related_name="+",
    )
    start_date = models.DateField()
    end_date = models.DateField(help_text=f"{OPEN_END}: no end date.")
    activity_day = models.DateField(help_text=f"{NO_ACTIVITY}: not started.")
    has_shared = models.BooleanField()
    reached = models.BooleanField()
    targets_met = models.PositiveSmallIntegerField()
    hold_day = models.DateField(default=NO_HOLD, help_text=f"{NO_HOLD}: no reminder hold.")
    checkin_day = models.DateField(default=NO_CHECKIN, help_text=f"{NO_CHECKIN}: no check-in.")
    n = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["population", "start_date"], name="tally_population_idx")]

    def __str__(self):
        return f"{self.population_id}: {self.n}"


class SharingConsentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class SharingConsent(models.Model):
    """An agent's choice, in a self-assessment programme, to let their manager line see their
    individual results. Dated and revocable: revoking sets `revoked_at`; a new grant is a new
    row, so the history stays."""

    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="sharing_consents"
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="sharing_consents",
    )
    granted_at = models.DateTimeField(_("accordé le"), default=timezone.now)
    revoked_at = models.DateTimeField(_("retiré le"), null=True, blank=True)

    objects = SharingConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consentement de partage")
        verbose_name_plural = _("consentements de partage")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "programme"],
                condition=Q(revoked_at__isnull=True),
                name="consent_one_active_per_programme",
            ),
        ]

    def __str__(self):
        return f"{self.agent} — {self.programme}"


class ResultAccessLog(models.Model):
    """One view of an agent's individual results by someone other than that agent."""

    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consulté par"),
        on_delete=models.PROTECT,
        related_name="result_views",
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent consulté"), on_delete=models.CASCADE, related_name="+"
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="access_logs",
        null=True,
        blank=True,
    )
    viewed_at = models.DateTimeField(_("le"), default=timezone.now, db_index=True)
    path = models.CharField(_("page"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("consultation de résultats individuels")
        verbose_name_plural = _("consultations de résultats individuels")
        ordering = ["-viewed_at"]

    def __str__(self):
        return f"{self.viewer} → {self.agent} ({french.date_time(self.viewed_at)})"


class ProgrammeImport(models.Model):
    """Which programme an uploaded Pix Orga export was meant for: its campaign is attached
    to that programme when the import is confirmed."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="imports"
    )
    result_import = models.OneToOneField(
        ResultImport,
        verbose_name=_("import"),
        on_delete=models.CASCADE,
        related_name="programme_link",
    )

    class Meta:
        verbose_name = _("import du programme")
        verbose_name_plural = _("imports du programme")

    def __str__(self):
        return f"{self.programme} ← {self.result_import}"


class DismissedParticipant(models.Model):
    """A Pix participant the programme's ambassador or owner said is not of the organisation
    (a trainee, an outsider, a test account): kept out of the matching queue, on later
    imports too, until someone takes the decision back."""

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="dismissed_participants",
    )
    participant_key = models.CharField(_("clé du participant"), max_length=300)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("écarté par"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    at = models.DateTimeField(_("écarté le"), default=timezone.now)

    class Meta:
        verbose_name = _("participant écarté")
        verbose_name_plural = _("participants écartés")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "participant_key"], name="dismissed_participant_unique"
            )
        ]

    def __str__(self):
        return f"{self.programme} ✕ {self.participant_key}"


class CampaignOwnership(models.Model):
    """Which programme a Pix campaign belongs to: the one into which its results were first
    imported (by its owner or ambassador). Another programme follows it only once the owners
    of both, or staff, agreed to share it (CampaignShare)."""

    campaign = models.OneToOneField(
        Campaign, verbose_name=_("campagne"), on_delete=models.CASCADE, related_name="ownership"
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme propriétaire"),
        on_delete=models.CASCADE,
        related_name="owned_campaigns",
    )
    first_import = models.ForeignKey(
        ResultImport,
        verbose_name=_("premier import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    since = models.DateTimeField(_("depuis le"), default=timezone.now)

    class Meta:
        verbose_name = _("propriétaire de campagne")
        verbose_name_plural = _("propriétaires de campagnes")

    def __str__(self):
        return f"{self.campaign} → {self.programme}"


class CampaignShare(models.Model):
    """A campaign of another programme that this programme follows, as both owners (or staff)
    agreed: who agreed and when."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campagne"), on_delete=models.CASCADE, related_name="shares"
    )
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="campaign_shares",
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("partagée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Vide : suivie avant la règle de propriété des campagnes."),
    )
    shared_at = models.DateTimeField(_("partagée le"), default=timezone.now)

    class Meta:
        verbose_name = _("partage de campagne")
        verbose_name_plural = _("partages de campagnes")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "programme"], name="campaign_share_once_per_programme"
            ),
        ]

    def __str__(self):
        return f"{self.campaign} ↔ {self.programme}"


class TargetChangeQuerySet(models.QuerySet):
    def of_population(self, population):
        return self.filter(population=population).order_by("changed_at", "pk")


class TargetChange(models.Model):
    """One dated change of a population's target: created, changed or removed, with the
    values before and after. Append-only: written by the target services, never edited, so
    that the targets in force at any date can be told again (`programmes.targets`)."""

    class Action(models.TextChoices):
        CREATED = "created", _("Objectif fixé")
        CHANGED = "changed", _("Objectif modifié")
        REMOVED = "removed", _("Objectif retiré")

    population = models.ForeignKey(
        TargetPopulation,
        verbose_name=_("population"),
        on_delete=models.CASCADE,
        related_name="target_changes",
    )
    competence = models.ForeignKey(
        Competence,
        verbose_name=_("compétence"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campagne d'évaluation"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("type d'objectif"), max_length=20, choices=TargetKind.choices)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    level_before = models.PositiveSmallIntegerField(_("niveau avant"), null=True, blank=True)
    level_after = models.PositiveSmallIntegerField(_("niveau après"), null=True, blank=True)
    mastery_rate_before = models.DecimalField(
        _("taux de maîtrise avant"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    mastery_rate_after = models.DecimalField(
        _("taux de maîtrise après"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    stage_before = models.PositiveSmallIntegerField(_("palier avant"), null=True, blank=True)
    stage_after = models.PositiveSmallIntegerField(_("palier après"), null=True, blank=True)
    deadline_before = models.DateField(_("échéance avant"), null=True, blank=True)
    deadline_after = models.DateField(_("échéance après"), null=True, blank=True)
    changed_at = models.DateTimeField(_("le"), default=timezone.now)
    # Null only for targets that existed before this history was kept.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    objects = TargetChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("changement d'objectif")
        verbose_name_plural = _("changements d'objectifs")
        ordering = ["-changed_at", "-pk"]
        indexes = [
            models.Index(fields=["population", "changed_at"], name="targetchange_pop_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                name="targetchange_created_has_no_before",
                condition=~Q(action="created")
                | Q(
                    level_before__isnull=True,
                    mastery_rate_before__isnull=True,
                    stage_before__isnull=True,
                    deadline_before__isnull=True,
                ),
            ),
            models.CheckConstraint(
                name="targetchange_removed_has_no_after",
                condition=~Q(action="removed")
                | Q(
                    level_after__isnull=True,
                    mastery_rate_after__isnull=True,
                    stage_after__isnull=True,
                    deadline_after__isnull=True,
                ),
            ),
        ]

    def __str__(self):
        day = french.long_date(self.changed_at)
        return f"{self.population.name} : {self.get_action_display()} ({day})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("TargetChange rows are append-only.")
        super().save(*args, **kwargs)

    @property
    def subject(self):
        """What the target bears on: a competence, an assessment campaign, or both."""
        if self.kind == TargetKind.STAGE:
            return str(self.campaign)
        if self.kind == TargetKind.MASTERY_RATE:
            return f"{self.competence} — {self.campaign}"
        return str(self.competence)

    def value_before(self):
        return describe_target_value(
            self.kind, self.level_before, self.mastery_rate_before, self.stage_before
        )

    def value_after(self):
        return describe_target_value(
            self.kind, self.level_after, self.mastery_rate_after, self.stage_after
        )


def describe_target_value(kind, level, mastery_rate, stage):
    """« niveau 3 », « 70 % de maîtrise », « palier 2 », or « — » when there is none."""
    if kind == TargetKind.LEVEL and level is not None:
        return _("niveau %(level)s") % {"level": level}
    if kind == TargetKind.MASTERY_RATE and mastery_rate is not None:
        percent = f"{mastery_rate * 100:.1f}".rstrip("0").rstrip(".").replace(".", ",")
        return _("%(rate)s %% de maîtrise") % {"rate": percent}
    if kind == TargetKind.STAGE and stage is not None:
        return _("palier %(stage)s") % {"stage": stage}
    return "—"


class PopulationStatQuerySet(models.QuerySet):
    def of_programme(self, programme):
        return self.filter(population__programme=programme)

    def latest_per_population(self):
        """For each population, its most recent row only."""
        newest = self.model.objects.filter(population=models.OuterRef("population")).order_by("-on")
        return self.filter(on=models.Subquery(newest.values("on")[:1]))


class PopulationStat(models.Model):
    """A population's figures as of one day, precomputed from the status engine so that the
    dashboard reads a few rows whatever the size of the population. Rewritten (not added)
    when refreshed the same day; the rows by date make the evolution over time.

    `per_target` holds, per target in force that day, keyed "<code>" (level),
    "<code>@<campaign id>" (mastery rate) or "stage@<campaign id>": kind, label, target
    value, how many agents met it, how many have a shared result for it ("contributors") and,
    for levels, how many agents stand at each level 0–8 by their latest shared result (agents
    without one are not counted)."""

    population = models.ForeignKey(
        TargetPopulation,
        verbose_name=_("population"),
        on_delete=models.CASCADE,
        related_name="stats",
    )
    on = models.DateField(_("au"))
    enrolled = models.PositiveIntegerField(_("inscrits"), default=0)
    not_started = models.PositiveIntegerField(_("non commencés"), default=0)
    in_progress = models.PositiveIntegerField(_("en cours"), default=0)
    stalled = models.PositiveIntegerField(_("à l'arrêt"), default=0)
    reached = models.PositiveIntegerField(_("objectif atteint"), default=0)
    started = models.PositiveIntegerField(_("ont commencé"), default=0)
    shared = models.PositiveIntegerField(_("ont envoyé leurs résultats"), default=0)
    one_target_met = models.PositiveIntegerField(_("au moins un objectif atteint"), default=0)
    all_targets_met = models.PositiveIntegerField(_("tous les objectifs atteints"), default=0)
    targets_set = models.PositiveSmallIntegerField(_("objectifs fixés"), default=0)
    per_target = models.JSONField(_("par objectif"), default=dict, blank=True)
    # Per other population of the programme, how many of this one's agents with shared
    # results were enrolled there too that day ({"<population id>": n}, only the nonzero
    # ones): what the privacy rule needs to refuse figures told apart by a few agents.
    # None for rows computed before it was kept (read as "unknown").
    overlaps = models.JSONField(_("agents en commun"), null=True, blank=True)
    computed_at = models.DateTimeField(_("calculé le"), auto_now=True)

    objects = PopulationStatQuerySet.as_manager()

    class Meta:
        verbose_name = _("statistiques d'une population")
        verbose_name_plural = _("statistiques des populations")
        ordering = ["population", "on"]
        constraints = [
            models.UniqueConstraint(fields=["population", "on"], name="population_stat_one_a_day"),
        ]

    def __str__(self):
        return f"{self.population.name} au {french.long_date(self.on)}"


class UnitStat(models.Model):
    """The programme's current enrolments counted by unit of the organisation chart at one
    depth (1: the top units, 2: the units under them, …), as of its latest figures refresh:
    the dashboard's share at target by unit reads one or two of these rows whatever the
    number of agents (programmes/steering/units.py computes them and applies the privacy
    rule when they are read). Rewritten at each refresh: one row per depth the chart has,
    kept for the newest day only (units have no evolution chart).

    `rows`: [unit id (0: agents without a unit), label (the unit and its ancestors, None for
    agents without a unit), parent (the unit's parent when the unit sits at this very depth
    and is not a top unit, else None), enrolled, at target, contributors (agents with shared
    results)], sorted as shown."""

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="unit_stats",
    )
    depth = models.PositiveSmallIntegerField(_("niveau de l'organigramme"))
    on = models.DateField(_("au"))
    depths = models.PositiveSmallIntegerField(_("niveaux proposés"), default=1)
    rows = models.JSONField(_("unités"), default=list, blank=True)
    computed_at = models.DateTimeField(_("calculé le"), auto_now=True)

    class Meta:
        verbose_name = _("statistiques par unité")
        verbose_name_plural = _("statistiques par unité")
        ordering = ["programme", "depth"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "depth"], name="unit_stat_one_per_depth"),
        ]

    def __str__(self):
        return f"{self.programme.name}, niveau {self.depth}, au {french.long_date(self.on)}"


class TeamStat(models.Model):
    """A manager's team (direct and indirect reports) in one programme, as of the programme's
    latest figures refresh: the team page of a large team reads this row rather than count
    its reports' enrolments on every view (programmes/steering/teams.py). One row per
    manager with a report ever enrolled in the programme, rewritten at each refresh.

    `enrolled`, `contributors`: agents (each once) enrolled on `on`, and those of them who
    shared results in the programme; the status counts are of their current enrolments (an
    agent in two populations counts in each), as the live team figures."""

    programme = models.ForeignKey(
        Programme, verbose_name=_("programme"), on_delete=models.CASCADE, related_name="+"
    )
    manager = models.ForeignKey(
        "agents.Agent", verbose_name=_("responsable"), on_delete=models.CASCADE, related_name="+"
    )
    on = models.DateField(_("au"))
    enrolled = models.PositiveIntegerField(_("agents inscrits"), default=0)
    contributors = models.PositiveIntegerField(_("agents ayant partagé"), default=0)
    not_started = models.PositiveIntegerField(_("non commencés"), default=0)
    in_progress = models.PositiveIntegerField(_("en cours"), default=0)
    stalled = models.PositiveIntegerField(_("à l’arrêt"), default=0)
    target_reached = models.PositiveIntegerField(_("objectif atteint"), default=0)
    computed_at = models.DateTimeField(_("calculé le"))

    class Meta:
        verbose_name = _("statistiques d’une équipe")
        verbose_name_plural = _("statistiques des équipes")
        constraints = [
            models.UniqueConstraint(fields=["manager", "programme"], name="team_stat_one_per_team"),
        ]

    def __str__(self):
        return f"{self.programme_id} / {self.manager_id}, au {french.long_date(self.on)}"
