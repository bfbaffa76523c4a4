from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    SELF_ASSESSMENT = "self_assessment", _("Auto-positionnement")
    MANAGERIAL = "managerial", _("Projet managérial")


class TargetKind(models.TextChoices):
    LEVEL = "level", _("Niveau (collecte de profils)")
    MASTERY_RATE = "mastery_rate", _("Taux de maîtrise (parcours d'évaluation)")
    STAGE = "stage", _("Palier (parcours d'évaluation)")
