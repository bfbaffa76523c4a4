"""Forms of the reminders pages: the rules, a quiet period, the filters of the log."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.urls import reverse
from django.utils.dates import MONTHS
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from programmes.enums import DigestKind, OutgoingStatus, ReminderKind
from programmes.reminders.rules import day_exists

MONTH_CHOICES = list(MONTHS.items())

DAYS_MESSAGE = gettext_lazy("Saisissez un nombre de jours entre 1 et 365.")
COUNT_MESSAGE = gettext_lazy("Saisissez un nombre de relances entre 1 et 20.")
DAY_OF_MONTH_MESSAGE = gettext_lazy("Saisissez un jour entre 1 et 31.")
MONTH_MESSAGE = gettext_lazy("Choisissez un mois.")


def _bounded(label, high, message, help_text=None):
    """A whole number from 1 to `high`; any wrong input gets the one message naming the
    bounds."""
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=high,
        help_text=help_text,
        error_messages=dict.fromkeys(("required", "invalid", "min_value", "max_value"), message),
    )


# --- The rules -------------------------------------------------------------------------------


class ReminderSettingsForm(forms.Form):
    enabled = forms.BooleanField(
        label=gettext_lazy("Activer les relances de ce programme"),
        required=False,
        help_text=gettext_lazy(
            "Désactivées, aucun message ne part ; l’aperçu montre tout de même ce qui partirait."
        ),
    )
    first_after_days = _bounded(
        gettext_lazy("Première relance d’un agent qui n’a pas commencé, après (jours)"),
        365,
        DAYS_MESSAGE,
        help_text=gettext_lazy("Compté depuis son inscription dans la population."),
    )
    remind_stalled = forms.BooleanField(
        label=gettext_lazy("Relancer aussi les agents à l’arrêt"), required=False
    )
    interval_days = _bounded(
        gettext_lazy("Intervalle entre deux relances d’un même agent (jours)"), 365, DAYS_MESSAGE
    )
    max_count = _bounded(
        gettext_lazy("Nombre maximal de relances par agent"),
        20,
        COUNT_MESSAGE,
        help_text=gettext_lazy("Au-delà, l’agent n’est plus relancé ; son ambassadeur le voit."),
    )
    digest_ambassadors = forms.BooleanField(
        label=gettext_lazy("Synthèse hebdomadaire aux ambassadeurs"),
        required=False,
        help_text=gettext_lazy("Qui n’a pas commencé, qui est à l’arrêt, qui a été relancé."),
    )
    digest_managers = forms.BooleanField(
        label=gettext_lazy("Synthèse hebdomadaire aux encadrants"), required=False
    )

    def __init__(self, *args, programme, rules, **kwargs):
        initial = {name: getattr(rules, name) for name in self.base_fields}
        if rules.pending:  # saved, being applied: the form shows what was saved
            initial["interval_days"] = rules.pending_interval_days
            initial["max_count"] = rules.pending_max_count
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.fields["remind_stalled"].help_text = _(
            "À l’arrêt : aucun progrès depuis %(days)s jours, le seuil de décrochage du "
            "programme (il se règle avec le programme)."
        ) % {"days": programme.stall_threshold_days}
        managers = self.fields["digest_managers"]
        if programme.is_managerial:
            managers.help_text = _(
                "Chaque encadrant y voit les agents de son équipe inscrits au programme."
            )
        else:
            # Self-assessment: managers see aggregates only, a digest would name their agents.
            managers.disabled = True
            managers.initial = False
            managers.help_text = _(
                "Impossible pour ce programme : sa finalité est l’auto-positionnement, où les "
                "encadrants ne voient que des chiffres agrégés. Une synthèse nommerait leurs "
                "agents."
            )
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "reminder-rules"
        self.helper.form_action = reverse(
            "programmes:reminder_rules", kwargs={"slug": programme.slug}
        )
        self.helper.layout = Layout(
            Fieldset(
                _("Relances aux agents"),
                Field("enabled"),
                Field("first_after_days"),
                Field("remind_stalled"),
                Field("interval_days"),
                Field("max_count"),
            ),
            Fieldset(
                _("Synthèse hebdomadaire"),
                Field("digest_ambassadors"),
                Field("digest_managers"),
            ),
            Submit("submit", _("Enregistrer les règles")),
        )

    def values(self):
        """The service's keyword arguments."""
        return {name: self.cleaned_data[name] for name in self.base_fields}


# --- Quiet periods ---------------------------------------------------------------------------


def _day_field(label):
    return _bounded(label, 31, DAY_OF_MONTH_MESSAGE)


def _month_field(label):
    return forms.TypedChoiceField(
        label=label,
        choices=MONTH_CHOICES,
        coerce=int,
        error_messages={"required": MONTH_MESSAGE, "invalid_choice": MONTH_MESSAGE},
    )


class QuietPeriodForm(forms.Form):
    label = forms.CharField(
        label=gettext_lazy("Libellé"),
        max_length=100,
        help_text=gettext_lazy("Par exemple : Congés d’été, Fêtes de fin d’année."),
        error_messages={
            "required": gettext_lazy("Donnez un libellé à la période."),
            "max_length": gettext_lazy("Le libellé tient en 100 caractères au plus."),
        },
    )
    start_day = _day_field(gettext_lazy("Jour de début"))
    start_month = _month_field(gettext_lazy("Mois de début"))
    end_day = _day_field(gettext_lazy("Jour de fin"))
    end_month = _month_field(gettext_lazy("Mois de fin"))

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "quiet-period-form"
        self.helper.form_action = reverse(
            "programmes:quiet_period_add", kwargs={"slug": programme.slug}
        )
        self.helper.layout = Layout(
            Field("label"),
            Fieldset(
                _("Du (inclus)"),
                Row(Column(Field("start_day")), Column(Field("start_month"))),
            ),
            Fieldset(
                _("Au (inclus)"),
                Row(Column(Field("end_day")), Column(Field("end_month"))),
            ),
            HTML(
                format_html(
                    '<p class="fr-hint-text">{}</p>',
                    _(
                        "Chaque année. Une période peut passer le nouvel an : du 20 décembre "
                        "au 3 janvier, par exemple."
                    ),
                )
            ),
            Submit("submit", _("Ajouter la période")),
        )

    def clean_label(self):
        label = self.cleaned_data["label"].strip()
        if not label:
            raise forms.ValidationError(_("Donnez un libellé à la période."))
        return label

    def clean(self):
        cleaned = super().clean()
        for side, field, name in (
            ("start", "start_day", _("de début")),
            ("end", "end_day", _("de fin")),
        ):
            day, month = cleaned.get(f"{side}_day"), cleaned.get(f"{side}_month")
            if day is not None and month is not None and not day_exists(day, month):
                self.add_error(
                    field,
                    _("Le %(day)02d/%(month)02d n’existe pas : choisissez un jour %(which)s réel.")
                    % {"day": day, "month": month, "which": name},
                )
        return cleaned

    def values(self):
        return dict(self.cleaned_data)


# --- The log's filters -----------------------------------------------------------------------

DIGEST_PREFIX = "digest_"


class LogFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("État"),
        choices=[("", gettext_lazy("Tous les états")), *OutgoingStatus.choices],
        required=False,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[
            ("", gettext_lazy("Relances et synthèses")),
            (
                gettext_lazy("Relances"),
                [(kind.value, kind.label) for kind in ReminderKind],
            ),
            (
                gettext_lazy("Synthèses hebdomadaires"),
                [
                    (f"{DIGEST_PREFIX}{DigestKind.AMBASSADOR}", gettext_lazy("Aux ambassadeurs")),
                    (f"{DIGEST_PREFIX}{DigestKind.MANAGER}", gettext_lazy("Aux encadrants")),
                ],
            ),
        ],
        required=False,
        widget=forms.Select(attrs={"class": "fr-select"}),
    )

    def filters(self):
        """(status or None, reminder kind or None, digest kind or None, which tables): the
        tables are "reminders", "digests" or both."""
        if not self.is_valid():
            return None, None, None, {"reminders", "digests"}
        status = self.cleaned_data["status"] or None
        kind = self.cleaned_data["kind"] or ""
        if kind.startswith(DIGEST_PREFIX):
            return status, None, kind.removeprefix(DIGEST_PREFIX), {"digests"}
        if kind:
            return status, kind, None, {"reminders"}
        return status, None, None, {"reminders", "digests"}
