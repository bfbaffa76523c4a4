from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgUnitKind(models.TextChoices):
    DIRECTION = "direction", _("Direction")
    SERVICE = "service", _("Service")
    UNIT = "unit", _("Unité")
