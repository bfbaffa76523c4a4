"""Forms of peer mentoring. They are small inline forms (one button on "Mon parcours", one
choice per request on the pairing page): the templates write their HTML, these validate."""

from django import forms
from django.utils.translation import gettext_lazy

from campaigns.models import Competence
from programmes.models import Mentor


class CompetenceForm(forms.Form):
    """The competence an agent's mentoring button is about, by its code ("1.1")."""

    competence = forms.ModelChoiceField(
        queryset=Competence.objects.all(),
        to_field_name="code",
        label=gettext_lazy("Compétence"),
        error_messages={
            "required": gettext_lazy("Choisissez une compétence."),
            "invalid_choice": gettext_lazy(
                "Cette compétence n’existe pas dans le référentiel Pix."
            ),
        },
    )


class PairForm(forms.Form):
    """The volunteer an ambassador chooses for a request: any offer of the programme; the
    service says why one that does not fit is refused."""

    mentor = forms.ModelChoiceField(
        queryset=Mentor.objects.none(),
        label=gettext_lazy("Compagnon·ne"),
        error_messages={
            "required": gettext_lazy("Choisissez un·e compagnon·ne parmi les volontaires."),
            "invalid_choice": gettext_lazy(
                "Ce·tte volontaire n’existe pas dans ce programme : rechargez la page."
            ),
        },
    )

    def __init__(self, *args, programme, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = Mentor.objects.filter(programme=programme).select_related(
            "agent"
        )


class VolunteerFilterForm(forms.Form):
    """The competence the list of volunteers is narrowed to (GET)."""

    competence = forms.ModelChoiceField(
        queryset=Competence.objects.order_by("position"),
        to_field_name="code",
        required=False,
        label=gettext_lazy("Compétence"),
        empty_label=gettext_lazy("Toutes les compétences"),
    )


def first_error(form):
    """The first message of an invalid form, to show as a flash message."""
    for errors in form.errors.values():
        return errors[0]
    return ""
