"""Reminders: each programme's rules, its quiet periods, the agents who asked for no more
reminders, and the log of every reminder and digest, which is also the guard that sends each
one exactly once."""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agents.models import Agent
from programmes.enums import DigestKind, OutgoingStatus, ReminderKind

__all__ = ["ReminderSettings", "QuietPeriod", "ReminderOptOut", "Reminder", "Digest"]


class ReminderSettings(models.Model):
    """A programme's reminder rules, edited by its owners and ambassadors."""

    programme = models.OneToOneField(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="reminder_settings",
    )
    enabled = models.BooleanField(_("relances activées"), default=False)
    first_after_days = models.PositiveSmallIntegerField(
        _("première relance d'un agent qui n'a pas commencé, après (jours)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Compté depuis son inscription dans la population."),
    )
    remind_stalled = models.BooleanField(
        _("relancer les agents à l'arrêt"),
        default=True,
        help_text=_("À l'arrêt : plus de progrès depuis le seuil d'inactivité du programme."),
    )
    interval_days = models.PositiveSmallIntegerField(
        _("intervalle entre deux relances (jours)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    max_count = models.PositiveSmallIntegerField(
        _("nombre maximal de relances par agent"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    digest_ambassadors = models.BooleanField(
        _("synthèse hebdomadaire aux ambassadeurs"), default=True
    )
    digest_managers = models.BooleanField(
        _("synthèse hebdomadaire aux encadrants"),
        default=False,
        help_text=_("En projet managérial seulement : les encadrants y voient leurs agents."),
    )
    # A new interval or maximum saved while the programme has reminded agents: applying it
    # rewrites each one's reminder hold (migration 0025's trigger), seconds to tens of seconds
    # at scale, so a background job applies it (reminders/rules.py, `rules_apply_pending`),
    # and the daily run before it claims. Until then the rules in force stay those above.
    pending_interval_days = models.PositiveSmallIntegerField(
        _("nouvel intervalle en cours d'application"), null=True, blank=True, editable=False
    )
    pending_max_count = models.PositiveSmallIntegerField(
        _("nouveau maximum en cours d'application"), null=True, blank=True, editable=False
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("modifié par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("règles de relance")
        verbose_name_plural = _("règles de relance")
        constraints = [
            models.CheckConstraint(
                condition=Q(first_after_days__gte=1)
                & Q(interval_days__gte=1)
                & Q(max_count__gte=1),
                name="reminder_settings_positive",
            ),
        ]

    def __str__(self):
        return f"{self.programme} — {_('activées') if self.enabled else _('désactivées')}"

    @property
    def pending(self) -> bool:
        """A new interval or maximum saved, not applied yet."""
        return self.pending_interval_days is not None


class QuietPeriod(models.Model):
    """Days of every year when no reminder leaves (August, the year-end holidays…), from a
    day and month to another, both included; it may run over the new year."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="quiet_periods",
    )
    label = models.CharField(_("libellé"), max_length=100)
    start_month = models.PositiveSmallIntegerField(
        _("du mois"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    start_day = models.PositiveSmallIntegerField(
        _("du jour"), validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    end_month = models.PositiveSmallIntegerField(
        _("au mois"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    end_day = models.PositiveSmallIntegerField(
        _("au jour"), validators=[MinValueValidator(1), MaxValueValidator(31)]
    )

    class Meta:
        verbose_name = _("période sans relance")
        verbose_name_plural = _("périodes sans relance")
        ordering = ["programme", "start_month", "start_day"]

    def __str__(self):
        return (
            f"{self.label} ({self.start_day:02d}/{self.start_month:02d}"
            f" – {self.end_day:02d}/{self.end_month:02d})"
        )

    def contains(self, day: datetime.date) -> bool:
        """Whether `day` falls in the period (of its year, or across the new year)."""
        start, end, today = (
            (self.start_month, self.start_day),
            (self.end_month, self.end_day),
            (day.month, day.day),
        )
        if start <= end:
            return start <= today <= end
        return today >= start or today <= end


class ReminderOptOut(models.Model):
    """An agent who asked, through the link of a reminder, to receive no more of a
    programme's reminders. Honoured from the moment it is written."""

    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="reminder_opt_outs"
    )
    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="reminder_opt_outs",
    )
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("désabonnement des relances")
        verbose_name_plural = _("désabonnements des relances")
        constraints = [
            models.UniqueConstraint(fields=["agent", "programme"], name="opt_out_once"),
        ]

    def __str__(self):
        return f"{self.agent} — {self.programme}"


class Outgoing(models.Model):
    """A message claimed for sending: the row exists before the mail leaves, and its unique
    key (who, programme, kind, period) is the hard guard against sending it twice."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name=_("programme"),
        on_delete=models.CASCADE,
        related_name="%(class)ss",
    )
    period = models.CharField(
        _("période"),
        max_length=10,
        help_text=_("Le jour de la relance (AAAA-MM-JJ) ou la semaine de la synthèse (AAAA-Snn)."),
    )
    email = models.EmailField(_("adresse"), max_length=254)
    status = models.CharField(
        _("état"), max_length=10, choices=OutgoingStatus.choices, default=OutgoingStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("prévu le"), auto_now_add=True)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        abstract = True


class Reminder(Outgoing):
    """A reminder to an agent who has not started or has stalled."""

    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), on_delete=models.CASCADE, related_name="reminders"
    )
    population = models.ForeignKey(
        "programmes.TargetPopulation",
        verbose_name=_("population"),
        on_delete=models.CASCADE,
        related_name="reminders",
    )
    kind = models.CharField(_("motif"), max_length=20, choices=ReminderKind.choices)

    class Meta:
        verbose_name = _("relance")
        verbose_name_plural = _("relances")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "programme", "kind", "period"], name="reminder_once_per_period"
            ),
        ]
        indexes = [
            models.Index(fields=["programme", "agent", "created_at"], name="reminder_agent_idx"),
            models.Index(fields=["status", "created_at"], name="reminder_status_idx"),
        ]

    def __str__(self):
        return f"{self.agent} — {self.get_kind_display()} — {self.period}"


class Digest(Outgoing):
    """A weekly digest to an ambassador or, where the privacy rules allow, a manager."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("destinataire"),
        on_delete=models.CASCADE,
        related_name="digests",
    )
    kind = models.CharField(_("type"), max_length=20, choices=DigestKind.choices)

    class Meta:
        verbose_name = _("synthèse hebdomadaire")
        verbose_name_plural = _("synthèses hebdomadaires")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "programme", "kind", "period"], name="digest_once_per_period"
            ),
        ]

    def __str__(self):
        return f"{self.recipient} — {self.get_kind_display()} — {self.period}"
