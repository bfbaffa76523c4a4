"""Forms of check-ins: a barrier of the programme's list, a milestone, an agent's check-in."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lib import french
from programmes.accompaniment.checkins.services import COMMENT_MAX_LENGTH, NEXT_STEP_MAX_LENGTH
from programmes.models import Barrier, Milestone

DATE_INVALID = gettext_lazy("Saisissez une date valide, comme 30/06/2026.")


def _date_widget(**attrs):
    return forms.DateInput(attrs={"type": "date", **attrs}, format="%Y-%m-%d")


def _helper(*fields, submit_label=None):
    helper = FormHelper()
    helper.form_method = "post"
    layout = [Field(name) for name in fields]
    if submit_label:
        layout.append(Submit("submit", submit_label))
    else:
        helper.form_tag = False
    helper.layout = Layout(*layout)
    return helper


class BarrierForm(forms.Form):
    label = forms.CharField(
        label=gettext_lazy("Libellé du frein"),
        max_length=Barrier._meta.get_field("label").max_length,
    )

    def __init__(self, *args, programme, barrier=None, submit_label, **kwargs):
        if barrier is not None:
            kwargs.setdefault("initial", {"label": barrier.label})
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.barrier = barrier
        self.helper = _helper("label", submit_label=submit_label)

    def clean_label(self):
        label = self.cleaned_data["label"].strip()
        others = Barrier.objects.filter(programme=self.programme, label__iexact=label)
        if self.barrier is not None:
            others = others.exclude(pk=self.barrier.pk)
        if others.exists():
            raise forms.ValidationError(
                _("La liste a déjà un frein « %(label)s ».") % {"label": label}
            )
        return label


class MilestoneForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date du point d’étape"),
        widget=_date_widget(),
        error_messages={"invalid": DATE_INVALID},
    )
    title = forms.CharField(
        label=gettext_lazy("Intitulé"),
        max_length=Milestone._meta.get_field("title").max_length,
        help_text=gettext_lazy("Par exemple : « Point à trois mois »."),
    )

    def __init__(self, *args, population, milestone=None, submit_label, **kwargs):
        if milestone is not None:
            kwargs.setdefault("initial", {"date": milestone.date, "title": milestone.title})
        super().__init__(*args, **kwargs)
        self.population = population
        self.milestone = milestone
        self.helper = _helper("date", "title", submit_label=submit_label)

    def clean_title(self):
        return self.cleaned_data["title"].strip()

    def clean(self):
        cleaned = super().clean()
        day, title = cleaned.get("date"), cleaned.get("title")
        if day and title:
            others = Milestone.objects.filter(population=self.population, date=day, title=title)
            if self.milestone is not None:
                others = others.exclude(pk=self.milestone.pk)
            if others.exists():
                self.add_error(
                    "title",
                    _("La population a déjà un point d’étape « %(title)s » le %(date)s.")
                    % {"title": title, "date": french.long_date(day)},
                )
        return cleaned


class FirstFocusedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes whose first box takes the focus when the page opens."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if index == 0:
            option["attrs"]["autofocus"] = True
        return option


class CheckInForm(forms.Form):
    barriers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Freins évoqués"),
        queryset=Barrier.objects.none(),
        required=False,
        widget=FirstFocusedCheckboxes,
        help_text=gettext_lazy("Cochez ceux que l’agent cite, ou aucun."),
        error_messages={
            "invalid_choice": gettext_lazy("Choisissez des freins de la liste du programme."),
            "invalid_pk_value": gettext_lazy("Choisissez des freins de la liste du programme."),
        },
    )
    comment = forms.CharField(
        label=gettext_lazy("Commentaire"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_step = forms.CharField(
        label=gettext_lazy("Prochaine étape convenue"),
        required=False,
        max_length=NEXT_STEP_MAX_LENGTH,
        help_text=gettext_lazy("Par exemple : « passer la collecte de profils »."),
    )
    next_step_due = forms.DateField(
        label=gettext_lazy("Pour le"),
        required=False,
        widget=_date_widget(),
        error_messages={"invalid": DATE_INVALID},
    )

    def __init__(self, *args, milestone, checkin=None, **kwargs):
        cited = list(checkin.barriers.all()) if checkin is not None else []
        if checkin is not None:
            kwargs.setdefault(
                "initial",
                {
                    "barriers": cited,
                    "comment": checkin.comment,
                    "next_step": checkin.next_step,
                    "next_step_due": checkin.next_step_due,
                },
            )
        super().__init__(*args, **kwargs)
        self.milestone = milestone
        # The active barriers, and the retired ones this check-in already cites.
        self.fields["barriers"].queryset = Barrier.objects.filter(
            Q(is_active=True) | Q(pk__in=[barrier.pk for barrier in cited]),
            programme_id=milestone.population.programme_id,
        ).order_by("position", "label", "pk")
        self.fields["next_step_due"].widget.attrs["min"] = milestone.date.isoformat()
        self.helper = _helper("barriers", "comment", "next_step", "next_step_due")

    def clean_next_step_due(self):
        due = self.cleaned_data["next_step_due"]
        if due is not None and due < self.milestone.date:
            raise forms.ValidationError(
                _("L’échéance ne peut précéder la date du point d’étape (%(date)s).")
                % {"date": french.long_date(self.milestone.date)}
            )
        return due
