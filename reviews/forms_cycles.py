"""The form that opens a programme's review cycle."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Fieldset, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reviews.models import ReviewCycle
from reviews.services_cycles import check_cycle_dates

DATE_INVALID = gettext_lazy("Saisissez une date valide, comme 01/10/2026.")


def _date_widget():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CycleOpenForm(forms.Form):
    """Year (one cycle a year per programme) and the period of the cycle."""

    year = forms.IntegerField(
        label=gettext_lazy("Année"),
        min_value=2000,
        max_value=2100,
        error_messages={
            "required": gettext_lazy("Indiquez l’année de la campagne."),
            "invalid": gettext_lazy("Indiquez une année sur quatre chiffres, comme 2026."),
            "min_value": gettext_lazy("Indiquez une année entre 2000 et 2100."),
            "max_value": gettext_lazy("Indiquez une année entre 2000 et 2100."),
        },
    )
    opens_on = forms.DateField(
        label=gettext_lazy("Ouverture le"),
        widget=_date_widget(),
        error_messages={
            "required": gettext_lazy("Indiquez la date d’ouverture."),
            "invalid": DATE_INVALID,
        },
    )
    closes_on = forms.DateField(
        label=gettext_lazy("Clôture le"),
        widget=_date_widget(),
        error_messages={
            "required": gettext_lazy("Indiquez la date de clôture."),
            "invalid": DATE_INVALID,
        },
    )

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.layout = Layout(
            Fieldset(
                _("Nouvelle campagne d’entretiens"),
                Field("year"),
                Field("opens_on"),
                Field("closes_on"),
            ),
            Submit("submit", _("Ouvrir la campagne")),
        )

    def clean_year(self):
        year = self.cleaned_data["year"]
        if ReviewCycle.objects.filter(programme=self.programme, year=year).exists():
            raise ValidationError(
                _("Une campagne d’entretiens %(year)s existe déjà pour ce programme.")
                % {"year": year}
            )
        return year

    def clean(self):
        cleaned = super().clean()
        opens_on, closes_on = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens_on and closes_on:
            try:
                check_cycle_dates(opens_on=opens_on, closes_on=closes_on)
            except ValidationError as error:
                self.add_error("closes_on", error)
        return cleaned
