from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from campaigns.enums import CampaignKind, ImportStatus, MatchStatus, ParticipationStatus
from campaigns.referential import normalize_name
from lib import french


class Domain(models.Model):
    """One of Pix's 5 domains ("1" … "5")."""

    code = models.CharField(_("code"), max_length=5, unique=True)
    name = models.CharField(_("nom"), max_length=200)

    class Meta:
        verbose_name = _("domaine Pix")
        verbose_name_plural = _("domaines Pix")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code}. {self.name}"


class Competence(models.Model):
    """One of Pix's 16 competences ("1.1" … "5.2")."""

    code = models.CharField(_("code"), max_length=5, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    domain = models.ForeignKey(
        Domain, verbose_name=_("domaine"), on_delete=models.PROTECT, related_name="competences"
    )
    pix_id = models.CharField(_("identifiant Pix"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        verbose_name = _("compétence Pix")
        verbose_name_plural = _("compétences Pix")
        ordering = ["position", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class NameAlias(models.Model):
    """A name under which a referential item appears in exports (current or former), stored
    with its normalised form for matching."""

    name = models.CharField(_("nom"), max_length=200)
    normalized_name = models.CharField(_("nom normalisé"), max_length=200, unique=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.normalized_name = normalize_name(self.name)
        super().save(*args, **kwargs)


class CompetenceAliasQuerySet(models.QuerySet):
    def code_by_normalized_name(self) -> dict[str, str]:
        """Every known name of a competence, normalised, to its code: the export parser's
        alias table, including names an administrator added."""
        return dict(self.values_list("normalized_name", "competence__code"))


class CompetenceAlias(NameAlias):
    competence = models.ForeignKey(
        Competence, verbose_name=_("compétence"), on_delete=models.CASCADE, related_name="aliases"
    )

    objects = CompetenceAliasQuerySet.as_manager()

    class Meta:
        verbose_name = _("nom de compétence")
        verbose_name_plural = _("noms de compétences")
        ordering = ["competence__position", "name"]


class DomainAlias(NameAlias):
    domain = models.ForeignKey(
        Domain, verbose_name=_("domaine"), on_delete=models.CASCADE, related_name="aliases"
    )

    class Meta:
        verbose_name = _("nom de domaine")
        verbose_name_plural = _("noms de domaines")
        ordering = ["domain__code", "name"]


class Campaign(models.Model):
    """A Pix Orga campaign, as its exports describe it."""

    pix_id = models.PositiveIntegerField(_("ID campagne Pix"), unique=True, null=True, blank=True)
    code = models.CharField(_("code"), max_length=30, unique=True, null=True, blank=True)
    name = models.CharField(_("nom"), max_length=255)
    kind = models.CharField(_("type"), max_length=30, choices=CampaignKind.choices)
    target_profile = models.CharField(
        _("parcours"), max_length=255, blank=True, help_text=_("Profil cible d'une évaluation.")
    )
    organisation_name = models.CharField(_("organisation Pix Orga"), max_length=255, blank=True)
    external_id_label = models.CharField(
        _("libellé de l'identifiant externe"),
        max_length=255,
        blank=True,
        help_text=_("Tel que le créateur de la campagne l'a saisi : « Matricule »…"),
    )
    stage_count = models.PositiveSmallIntegerField(
        _("nombre de paliers"), null=True, blank=True, help_text=_("Paliers 0 à N.")
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("campagne Pix")
        verbose_name_plural = _("campagnes Pix")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.code})" if self.code else self.name

    @property
    def gives_levels(self):
        """Only profiles collections give levels and pix per competence."""
        return self.kind == CampaignKind.PROFILES_COLLECTION


def import_upload_path(instance, filename):
    return f"imports/{instance.uploaded_at:%Y/%m}/{instance.sha256[:16]}-{filename}"


class ResultImportQuerySet(models.QuerySet):
    def done(self):
        return self.filter(status=ImportStatus.DONE)


class ResultImport(models.Model):
    """One uploaded Pix Orga export: the raw file kept with its checksum, who and when, what
    the analysis found (preview counts, row errors) and what the import wrote."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campagne"),
        on_delete=models.PROTECT,
        related_name="imports",
        null=True,
        blank=True,
    )
    file = models.FileField(_("fichier"), upload_to=import_upload_path, max_length=500)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    sha256 = models.CharField(_("empreinte SHA-256"), max_length=64, db_index=True)
    size = models.PositiveBigIntegerField(_("taille (octets)"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("déposé par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="result_imports",
    )
    uploaded_at = models.DateTimeField(_("déposé le"))
    exported_at = models.DateTimeField(
        _("exporté de Pix Orga le"),
        null=True,
        blank=True,
        help_text=_("Lu dans le nom du fichier quand il suit la forme de Pix Orga."),
    )
    status = models.CharField(
        _("état"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    kind = models.CharField(_("type d'export"), max_length=30, blank=True)
    campaign_label = models.CharField(
        _("campagne annoncée"),
        max_length=300,
        blank=True,
        help_text=_("Nom et code lus dans le fichier à l'analyse, avant tout import."),
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("même fichier que"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rows = models.PositiveIntegerField(_("lignes"), default=0)
    shared_rows = models.PositiveIntegerField(_("lignes partagées"), default=0)
    participations_created = models.PositiveIntegerField(_("participations créées"), default=0)
    participations_updated = models.PositiveIntegerField(
        _("participations mises à jour"), default=0
    )
    results_created = models.PositiveIntegerField(_("résultats ajoutés"), default=0)
    matched = models.PositiveIntegerField(_("rapprochés"), default=0)
    to_confirm = models.PositiveIntegerField(_("à confirmer"), default=0)
    unmatched = models.PositiveIntegerField(_("non rapprochés"), default=0)
    anonymised = models.PositiveIntegerField(_("lignes d'apprenants anonymisés"), default=0)
    errors = models.JSONField(_("erreurs"), default=list, blank=True)
    warnings = models.JSONField(_("avertissements"), default=list, blank=True)
    waiting_participants = models.JSONField(
        _("participants à rapprocher (aperçu)"),
        default=dict,
        blank=True,
        help_text=_(
            "Les 20 premiers noms des participants non rapprochés et à confirmer, et combien "
            "d’autres."
        ),
    )
    progress_done = models.PositiveIntegerField(_("lignes traitées"), default=0)
    progress_total = models.PositiveIntegerField(_("lignes à traiter"), default=0)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    objects = ResultImportQuerySet.as_manager()

    class Meta:
        verbose_name = _("import Pix Orga")
        verbose_name_plural = _("imports Pix Orga")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            # The same file is imported once; a second upload is recorded as a duplicate.
            models.UniqueConstraint(
                fields=["sha256"],
                condition=Q(status=ImportStatus.DONE),
                name="result_import_one_done_per_file",
            ),
        ]

    def __str__(self):
        return f"{self.original_name} ({self.get_status_display()})"

    @property
    def observed_at(self):
        """When the data was true: the export time when known, else the upload time."""
        return self.exported_at or self.uploaded_at


class ParticipationQuerySet(models.QuerySet):
    def unmatched(self):
        return self.filter(agent__isnull=True)

    def to_confirm(self):
        return self.filter(match_status=MatchStatus.TO_CONFIRM)

    def shared(self):
        return self.filter(status=ParticipationStatus.SHARED)


class Participation(models.Model):
    """One row of a Pix Orga export: a person's participation in a campaign. With multiple
    sendings a person has several. The current values live here; their history lives in
    ParticipationSnapshot and CompetenceResult."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campagne"),
        on_delete=models.CASCADE,
        related_name="participations",
    )
    agent = models.ForeignKey(
        "agents.Agent",
        verbose_name=_("agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participations",
    )
    match_status = models.CharField(
        _("rapprochement"),
        max_length=20,
        choices=MatchStatus.choices,
        default=MatchStatus.UNMATCHED,
    )
    participant_last_name = models.CharField(_("nom du participant"), max_length=255)
    participant_first_name = models.CharField(_("prénom du participant"), max_length=255)
    participant_external_id = models.CharField(_("identifiant externe"), max_length=255, blank=True)
    participant_key = models.CharField(
        _("clé du participant"),
        max_length=300,
        help_text=_("Identifiant externe normalisé, sinon nom et prénom normalisés."),
    )
    row_key = models.CharField(
        _("clé de la participation"),
        max_length=40,
        help_text=_("Date de début (évaluation) ; date d'envoi ou « open » (collecte)."),
    )
    status = models.CharField(
        _("statut"),
        max_length=10,
        choices=ParticipationStatus.choices,
        default=ParticipationStatus.STARTED,
    )
    progression = models.DecimalField(
        _("progression"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    started_at = models.DateTimeField(_("commencée le"), null=True, blank=True)
    shared_at = models.DateTimeField(_("partagée le"), null=True, blank=True)
    stage = models.PositiveSmallIntegerField(_("palier obtenu"), null=True, blank=True)
    badges = models.JSONField(_("résultats thématiques obtenus"), default=list, blank=True)
    mastery_rate = models.DecimalField(
        _("maîtrise du profil"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    total_pix = models.PositiveSmallIntegerField(_("pix total"), null=True, blank=True)
    certifiable = models.BooleanField(_("certifiable"), null=True, blank=True)
    organisation_values = models.JSONField(
        _("colonnes de l'organisation"), default=dict, blank=True
    )
    results_digest = models.CharField(_("empreinte des résultats"), max_length=32, blank=True)
    first_import = models.ForeignKey(
        ResultImport,
        verbose_name=_("vue la première fois dans"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Set by the import that creates the participation or changes it (values, results,
    # agent); an import that finds it unchanged leaves it alone (campaigns.importing).
    last_import = models.ForeignKey(
        ResultImport,
        verbose_name=_("modifiée la dernière fois par"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_progress_at = models.DateTimeField(
        _("dernier progrès le"),
        help_text=_("Dernière date où un progrès a été vu : progression, palier ou partage."),
    )

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["campaign", "participant_last_name", "participant_first_name", "row_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "participant_key", "row_key"],
                name="participation_unique_row_in_campaign",
            ),
        ]
        indexes = [
            models.Index(fields=["agent", "campaign"], name="participation_agent_idx"),
            models.Index(
                fields=["campaign"],
                condition=Q(agent__isnull=True),
                name="participation_unmatched_idx",
            ),
            # With the one above, the import queue (no agent, or matched by name to be
            # confirmed) is read by a BitmapOr of two small indexes: its counts on the
            # ambassador's « À faire » no longer scan every participation (64 ms → 0.2 ms
            # for 750,000 participations, none waiting).
            models.Index(
                fields=["campaign"],
                condition=Q(match_status=MatchStatus.TO_CONFIRM),
                name="participation_to_confirm_idx",
            ),
        ]

    def __str__(self):
        return f"{self.participant_first_name} {self.participant_last_name} — {self.campaign}"

    @classmethod
    def from_db(cls, db, field_names, values):
        participation = super().from_db(db, field_names, values)
        # The agent as loaded: saving a participation matched to someone else changes the
        # progress of both (see the participations_changed signal).
        participation.loaded_agent_id = participation.__dict__.get("agent_id")
        return participation


class ParticipationSnapshot(models.Model):
    """The state of a participation as an import saw it, written when it changed."""

    participation = models.ForeignKey(
        Participation,
        verbose_name=_("participation"),
        on_delete=models.CASCADE,
        related_name="snapshots",
    )
    result_import = models.ForeignKey(
        ResultImport, verbose_name=_("import"), on_delete=models.PROTECT, related_name="+"
    )
    observed_at = models.DateTimeField(_("observé le"))
    status = models.CharField(_("statut"), max_length=10, choices=ParticipationStatus.choices)
    progression = models.DecimalField(
        _("progression"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    stage = models.PositiveSmallIntegerField(_("palier"), null=True, blank=True)
    shared_at = models.DateTimeField(_("partagée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("état de participation")
        verbose_name_plural = _("états de participation")
        ordering = ["participation", "observed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "result_import"], name="snapshot_once_per_import"
            ),
        ]

    def __str__(self):
        return f"{self.participation} @ {french.long_date(self.observed_at)}"


class CompetenceResult(models.Model):
    """A shared result on one competence, as of an import. Never overwritten: a change is a
    new row. Profiles collections give level and pix; assessments a mastery rate."""

    participation = models.ForeignKey(
        Participation,
        verbose_name=_("participation"),
        on_delete=models.CASCADE,
        related_name="results",
        # result_history_idx starts with the participation: a second index costs inserts.
        db_index=False,
    )
    result_import = models.ForeignKey(
        ResultImport, verbose_name=_("import"), on_delete=models.PROTECT, related_name="+"
    )
    competence = models.ForeignKey(
        Competence, verbose_name=_("compétence"), on_delete=models.PROTECT, related_name="+"
    )
    observed_at = models.DateTimeField(_("observé le"))
    level = models.PositiveSmallIntegerField(_("niveau"), null=True, blank=True)
    pix = models.PositiveSmallIntegerField(_("pix"), null=True, blank=True)
    mastery_rate = models.DecimalField(
        _("taux de maîtrise"), max_digits=4, decimal_places=3, null=True, blank=True
    )
    skills_total = models.PositiveSmallIntegerField(_("acquis du profil"), null=True, blank=True)
    skills_validated = models.PositiveSmallIntegerField(
        _("acquis maîtrisés"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("résultat par compétence")
        verbose_name_plural = _("résultats par compétence")
        ordering = ["participation", "competence", "observed_at"]
        indexes = [
            models.Index(
                fields=["participation", "competence", "observed_at"],
                name="result_history_idx",
            ),
        ]

    def __str__(self):
        return f"{self.participation} {self.competence.code}"
