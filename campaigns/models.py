from django.db import models
from django.utils.translation import gettext_lazy as _

from .enums import CampaignKind
from .referential import normalize_name


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


class CompetenceQuerySet(models.QuerySet):
    def by_normalized_name(self):
        """Map every known name (current and former, normalised) to its competence."""
        mapping = {}
        for alias in CompetenceAlias.objects.select_related("competence"):
            mapping[alias.normalized_name] = alias.competence
        return mapping


class Competence(models.Model):
    """One of Pix's 16 competences ("1.1" … "5.2")."""

    code = models.CharField(_("code"), max_length=5, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    domain = models.ForeignKey(
        Domain, verbose_name=_("domaine"), on_delete=models.PROTECT, related_name="competences"
    )
    pix_id = models.CharField(_("identifiant Pix"), max_length=40, unique=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)

    objects = CompetenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("compétence Pix")
        verbose_name_plural = _("compétences Pix")
        ordering = ["position", "code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class CompetenceAlias(models.Model):
    """A name under which a competence appears in exports (current or former)."""

    competence = models.ForeignKey(
        Competence, verbose_name=_("compétence"), on_delete=models.CASCADE, related_name="aliases"
    )
    name = models.CharField(_("nom"), max_length=200)
    normalized_name = models.CharField(_("nom normalisé"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("nom de compétence")
        verbose_name_plural = _("noms de compétences")
        ordering = ["competence__position", "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.normalized_name = normalize_name(self.name)
        super().save(*args, **kwargs)


class DomainAlias(models.Model):
    """A name under which a domain appears in exports (current or former)."""

    domain = models.ForeignKey(
        Domain, verbose_name=_("domaine"), on_delete=models.CASCADE, related_name="aliases"
    )
    name = models.CharField(_("nom"), max_length=200)
    normalized_name = models.CharField(_("nom normalisé"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("nom de domaine")
        verbose_name_plural = _("noms de domaines")
        ordering = ["domain__code", "name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.normalized_name = normalize_name(self.name)
        super().save(*args, **kwargs)


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
