from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignKind(models.TextChoices):
    ASSESSMENT = "ASSESSMENT", _("Évaluation (parcours)")
    EXAM = "EXAM", _("Examen")
    PROFILES_COLLECTION = "PROFILES_COLLECTION", _("Collecte de profils")
