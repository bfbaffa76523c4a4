"""Personal targets: an agent's own objective on a competence, agreed at their annual review
for the next period, shown beside their population's target."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from agents.models import Agent
from campaigns.models import Competence
from campaigns.referential import MAX_LEVEL

__all__ = ["PersonalTarget"]


class PersonalTargetQuerySet(models.QuerySet):
    def valid_on(self, today):
        """Targets already in force on `today` (for a competence, the latest one applies)."""
        return self.filter(valid_from__lte=today).order_by("competence_id", "-valid_from", "-pk")


class PersonalTarget(models.Model):
    """An agent's own level objective on a competence in a programme, from a date (the
    latest one in force applies); written when an annual review is held."""

    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="personal_targets"
    )
    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="personal_targets",
    )
    competence = models.ForeignKey(
        Competence, verbose_name=_("compétence"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(
        _("niveau visé"), validators=[MinValueValidator(1), MaxValueValidator(MAX_LEVEL)]
    )
    valid_from = models.DateField(_("à partir du"))
    source = models.CharField(_("origine"), max_length=200)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    objects = PersonalTargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("objectif personnel")
        verbose_name_plural = _("objectifs personnels")
        ordering = ["agent", "programme", "competence__position", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "programme", "competence", "valid_from"],
                name="personal_target_one_per_day",
            ),
        ]

    def __str__(self):
        return f"{self.agent} — {self.competence.code} : {self.level}"
