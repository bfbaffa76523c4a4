from django.db import models
from django.utils.translation import gettext_lazy as _


class CampaignKind(models.TextChoices):
    ASSESSMENT = "ASSESSMENT", _("Évaluation (parcours)")
    EXAM = "EXAM", _("Examen")
    PROFILES_COLLECTION = "PROFILES_COLLECTION", _("Collecte de profils")


class ParticipationStatus(models.TextChoices):
    # Pix's older TO_SHARE (finished, not shared) is stored as STARTED.
    STARTED = "STARTED", _("Commencée")
    SHARED = "SHARED", _("Partagée")


class MatchStatus(models.TextChoices):
    EXTERNAL_ID = "external_id", _("Rapproché par identifiant externe")
    EMAIL = "email", _("Rapproché par adresse e-mail")
    TO_CONFIRM = "to_confirm", _("Rapproché par le nom, à confirmer")
    MANUAL = "manual", _("Rapproché à la main")
    UNMATCHED = "unmatched", _("Non rapproché")
    # Pix writes « Anonymized » for a learner whose data it erased: never anyone's agent.
    ANONYMISED = "anonymised", _("Apprenant anonymisé par Pix")


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Déposé")
    ANALYSING = "analysing", _("Analyse en cours")
    READY = "ready", _("Prêt à importer (aperçu)")
    # Confirmed, waiting for a worker to take it (it may be busy with another import).
    QUEUED = "queued", _("Import en attente")
    REFUSED = "refused", _("Refusé")
    IMPORTING = "importing", _("Import en cours")
    DONE = "done", _("Importé")
    FAILED = "failed", _("Échec")
    CANCELLED = "cancelled", _("Annulé")
    DUPLICATE = "duplicate", _("Déjà importé")
