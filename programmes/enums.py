from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    SELF_ASSESSMENT = "self_assessment", _("Auto-positionnement")
    MANAGERIAL = "managerial", _("Projet managérial")


class TargetKind(models.TextChoices):
    LEVEL = "level", _("Niveau (collecte de profils)")
    MASTERY_RATE = "mastery_rate", _("Taux de maîtrise (parcours d'évaluation)")
    STAGE = "stage", _("Palier (parcours d'évaluation)")


class ProgressStatus(models.IntegerChoices):
    """An agent's progress in a target population, numbered in the order a population moves
    through them (so that sorting by status is sorting by the number). The rules that decide
    it are in `programmes/status.py`."""

    NOT_STARTED = 1, _("Non commencé")
    IN_PROGRESS = 2, _("En cours")
    STALLED = 3, _("À l'arrêt")
    TARGET_REACHED = 4, _("Objectif atteint")

    @property
    def slug(self):
        """Its name in URLs (`?statut=stalled`)."""
        return self.name.lower()

    @classmethod
    def from_slug(cls, slug):
        """The status named `slug` in a URL, or None."""
        return next((status for status in cls if status.slug == slug), None)


class ResourceKind(models.TextChoices):
    INTRANET = "intranet", _("Page intranet")
    TRAINING = "training", _("Formation")
    ELEARNING = "elearning", _("E-learning")
    PIX_TUTORIAL = "pix_tutorial", _("Tutoriel Pix")
    MENTORING = "mentoring", _("Compagnonnage")


class ResourceState(models.TextChoices):
    STARTED = "started", _("Commencée")
    DONE = "done", _("Terminée")


# The barriers every new programme starts with; its owners edit the list afterwards.
DEFAULT_BARRIERS = [
    _("Manque de temps"),
    _("Difficulté d'accès ou de compte"),
    _("Contenu trop difficile"),
    _("Finalité peu claire"),
    _("Appréhension du numérique"),
    _("Besoin d'accessibilité"),
    _("Charge de travail"),
    _("Absence"),
    _("Autre"),
]


class ReminderKind(models.TextChoices):
    NOT_STARTED = "not_started", _("Pas encore commencé")
    STALLED = "stalled", _("À l'arrêt")


class DigestKind(models.TextChoices):
    AMBASSADOR = "ambassador", _("Ambassadeur")
    MANAGER = "manager", _("Encadrant")


class OutgoingStatus(models.TextChoices):
    """Where a claimed message stands. `sending` is set just before the mail server is
    called: a row left in it (a crash at that instant) is never sent again automatically."""

    PENDING = "pending", _("À envoyer")
    SENDING = "sending", _("Envoi en cours")
    SENT = "sent", _("Envoyé")
    FAILED = "failed", _("Échec")
    CANCELLED = "cancelled", _("Annulé")
