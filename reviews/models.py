"""Annual professional reviews ("entretiens professionnels", décret 2010-888 art. 3): a cycle
per programme and year, one preparation sheet per agent, its versions and dated addenda, and
next year's objectives, which become the agent's personal targets."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agents.models import Agent
from campaigns.models import Competence
from campaigns.referential import MAX_LEVEL
from lib import french
from programmes.models import Programme


class ReviewState(models.TextChoices):
    """A sheet's life, in order. From SHARED on it is locked: changes are dated addenda."""

    TO_PREPARE = "to_prepare", _("À préparer")
    PREPARED = "prepared", _("Préparée")
    SHARED = "shared", _("Partagée avec l'agent")
    HELD = "held", _("Entretien tenu")
    CLOSED = "closed", _("Clôturée")


# What each step allows, in one sentence, shown on the sheet (reviews.services enforces it).
STATE_HELP = {
    ReviewState.TO_PREPARE: _(
        "L’encadrant rédige la fiche et ses objectifs ; l’agent ne la lit pas encore."
    ),
    ReviewState.PREPARED: _(
        "L’agent lit la fiche et peut la commenter ; l’encadrant peut encore la modifier."
    ),
    ReviewState.SHARED: _(
        "La fiche est figée pour l’entretien : une version est conservée et chaque changement "
        "devient un addendum daté, de l’encadrant ou de l’agent ; c’est sans retour."
    ),
    ReviewState.HELD: _(
        "L’entretien a eu lieu : les objectifs de l’année suivante deviennent les objectifs "
        "personnels de l’agent."
    ),
    ReviewState.CLOSED: _("L’entretien est clôturé ; une dernière version est conservée."),
}

LOCKED_STATES = [ReviewState.SHARED, ReviewState.HELD, ReviewState.CLOSED]


class SyncState(models.TextChoices):
    """Where the background creation of a cycle's sheets stands (reviews.tasks)."""

    QUEUED = "queued", _("En attente de démarrage")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminée")
    FAILED = "failed", _("Interrompue par une erreur")
    NOT_QUEUED = "not_queued", _("Non lancée : service de traitement indisponible")


SYNC_ACTIVE = [SyncState.QUEUED, SyncState.RUNNING]


class ReviewCycle(models.Model):
    """One year's round of annual reviews of a programme's agents, opened by its owner."""

    programme = models.ForeignKey(
        Programme,
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="review_cycles",
    )
    year = models.PositiveSmallIntegerField(
        _("année"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    opens_on = models.DateField(_("ouverte le"))
    closes_on = models.DateField(_("close le"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ouverte par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    # Progress of the job that creates the sheets (reviews.tasks.sync_cycle), by batches of
    # agents: the page follows it. A cycle made without the job has nothing to wait for.
    sync_state = models.CharField(
        _("création des fiches"), max_length=20, choices=SyncState.choices, default=SyncState.DONE
    )
    sheets_total = models.PositiveIntegerField(_("agents à couvrir"), default=0)
    sheets_done = models.PositiveIntegerField(_("agents couverts"), default=0)
    sheets_added = models.PositiveIntegerField(_("fiches ajoutées au dernier passage"), default=0)
    sync_started_at = models.DateTimeField(_("création commencée le"), null=True, blank=True)
    sync_progress_at = models.DateTimeField(_("dernier lot le"), null=True, blank=True)
    sync_finished_at = models.DateTimeField(_("création terminée le"), null=True, blank=True)
    # The owner's progress page reads its counts per service from `CycleCounts`, not from
    # every sheet (reviews.selectors_cycles.counted_rows): each write that moves a count (a
    # state, a sheet added, a manager given) bumps `sheets_version` in its transaction.
    sheets_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("campagne d'entretiens")
        verbose_name_plural = _("campagnes d'entretiens")
        ordering = ["programme", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "year"], name="cycle_one_per_year"),
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="cycle_closes_after_opening"
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """The programme's name with the cycle's year, once: a name that already holds the year
        is not followed by it again."""
        name = str(self.programme)
        return name if str(self.year) in name else f"{name} — {self.year}"

    @property
    def sync_active(self) -> bool:
        """The sheets are being created (or about to be): lists of sheets are not complete."""
        return self.sync_state in SYNC_ACTIVE


class CycleCounts(models.Model):
    """A cycle's sheets counted per org unit of their agent, as of `version` of its sheets
    (`ReviewCycle.sheets_version`) and `counted_at` (reviews.selectors_cycles.counted_rows):
    counted again when of an older version, at most every REVIEWS_PROGRESS_MIN_INTERVAL
    seconds, and when older than REVIEWS_PROGRESS_MAX_AGE (an agent moved to another unit).

    A table of its own: the rows are one per service (700 KB at 100,000 agents), and a cycle
    is read with every sheet (its year names the sheet's link): those reads never carry them."""

    cycle = models.OneToOneField(
        ReviewCycle, on_delete=models.CASCADE, primary_key=True, related_name="counts"
    )
    rows = models.JSONField(default=list, editable=False)
    version = models.PositiveIntegerField(editable=False)
    counted_at = models.DateTimeField(editable=False)

    class Meta:
        verbose_name = _("décompte d'une campagne d'entretiens")
        verbose_name_plural = _("décomptes des campagnes d'entretiens")

    def __str__(self):
        return f"{self.cycle_id} v{self.version}"


class Review(models.Model):
    """The preparation sheet of one agent's annual review: written by the manager and the
    agent, built on the Pix evaluation where the privacy rules allow."""

    cycle = models.ForeignKey(
        ReviewCycle,
        verbose_name=_("campagne"),
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="reviews"
    )
    manager = models.ForeignKey(
        Agent,
        verbose_name=_("encadrant"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviews_led",
        help_text=_("L'encadrant qui conduit l'entretien (le supérieur direct à l'ouverture)."),
    )
    state = models.CharField(
        _("état"), max_length=20, choices=ReviewState.choices, default=ReviewState.TO_PREPARE
    )
    acquired_skills = models.TextField(_("compétences acquises (4°)"), blank=True)
    training_needs = models.TextField(_("besoins de formation (6°)"), blank=True)
    trainings_wanted = models.TextField(_("formations souhaitées"), blank=True)
    prospects = models.TextField(_("perspectives d'évolution (7°)"), blank=True)
    cpf_informed = models.BooleanField(
        _("agent informé de ses droits au compte personnel de formation"), default=False
    )
    manager_comment = models.TextField(_("commentaire de l'encadrant"), blank=True)
    agent_comment = models.TextField(_("commentaire de l'agent"), blank=True)
    meeting_on = models.DateField(_("date de l'entretien"), null=True, blank=True)
    shared_at = models.DateTimeField(_("partagée le"), null=True, blank=True)
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("entretien professionnel")
        verbose_name_plural = _("entretiens professionnels")
        ordering = ["cycle", "agent__last_name", "agent__first_name"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "agent"], name="review_one_per_cycle"),
        ]

    def __str__(self):
        return f"{self.agent} — {self.cycle.year}"

    def get_absolute_url(self):
        return reverse("reviews:review_detail", kwargs={"pk": self.pk})

    @property
    def is_locked(self):
        return self.state in LOCKED_STATES


class ReviewObjective(models.Model):
    """Next year's objective on a competence, agreed at the review; it becomes the agent's
    personal target once the meeting is held."""

    review = models.ForeignKey(
        Review, verbose_name=_("entretien"), on_delete=models.CASCADE, related_name="objectives"
    )
    competence = models.ForeignKey(
        Competence, verbose_name=_("compétence"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(
        _("niveau visé"), validators=[MinValueValidator(1), MaxValueValidator(MAX_LEVEL)]
    )

    class Meta:
        verbose_name = _("objectif de l'année suivante")
        verbose_name_plural = _("objectifs de l'année suivante")
        ordering = ["review", "competence__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "competence"], name="review_objective_one_per_competence"
            ),
        ]

    def __str__(self):
        return f"{self.competence.code} : {self.level}"


class ReviewVersion(models.Model):
    """A frozen copy of the sheet (written fields, objectives, the data it showed), kept at
    each step that counts (shared, each addendum, held, closed). Never changed."""

    review = models.ForeignKey(
        Review, verbose_name=_("entretien"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    reason = models.CharField(_("motif"), max_length=200)
    content = models.JSONField(_("contenu"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("version d'un entretien")
        verbose_name_plural = _("versions des entretiens")
        ordering = ["review", "number"]
        constraints = [
            models.UniqueConstraint(fields=["review", "number"], name="review_version_unique"),
        ]

    def __str__(self):
        return f"{self.review} — v{self.number}"


class ReviewAddendum(models.Model):
    """A dated addition to a locked sheet, by its manager or its agent."""

    review = models.ForeignKey(
        Review, verbose_name=_("entretien"), on_delete=models.CASCADE, related_name="addenda"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("auteur"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    text = models.TextField(_("texte"))
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        ordering = ["review", "created_at", "pk"]

    def __str__(self):
        return f"{self.review} — {french.long_date(self.created_at)}"
