"""Forms of the preparation sheet: the manager's written fields and objectives, the agent's
comment, an addendum, the meeting's date."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import Competence
from campaigns.referential import MAX_LEVEL
from reviews.models import Review

LEVEL_CHOICES = [("", gettext_lazy("Pas d'objectif"))] + [
    (str(level), str(level)) for level in range(1, MAX_LEVEL + 1)
]
WRITTEN_FIELDS = [
    "acquired_skills",
    "training_needs",
    "trainings_wanted",
    "prospects",
    "cpf_informed",
    "manager_comment",
]


class ReviewForm(forms.ModelForm):
    """The manager's side of the sheet; one level select per competence for next year's
    objectives (`objective_<competence pk>`)."""

    class Meta:
        model = Review
        fields = WRITTEN_FIELDS
        widgets = {
            name: forms.Textarea(attrs={"rows": 4})
            for name in WRITTEN_FIELDS
            if name != "cpf_informed"
        }
        labels = {
            "cpf_informed": gettext_lazy(
                "J'ai informé l'agent de ses droits au compte personnel de formation (CPF)"
            )
        }

    def __init__(self, *args, competences=None, suggest=None, **kwargs):
        """`suggest()` gives {competence id: level} proposed as next year's objectives while
        the sheet is blank (no objective, nothing written): never over what was written."""
        super().__init__(*args, **kwargs)
        self.competences = list(
            competences
            if competences is not None
            else Competence.objects.select_related("domain").order_by("position")
        )
        current = {o.competence_id: o.level for o in self.instance.objectives.all()}
        self.suggested = {}
        if suggest is not None and not current and self._blank():
            self.suggested = suggest()
            current = self.suggested
        by_domain = {}
        for competence in self.competences:
            name = f"objective_{competence.pk}"
            self.fields[name] = forms.TypedChoiceField(
                label=f"{competence.code} {competence.name}",
                choices=LEVEL_CHOICES,
                coerce=int,
                empty_value=None,
                required=False,
                initial=current.get(competence.pk),
                help_text=(
                    _("proposé : niveau cible de la population")
                    if competence.pk in self.suggested
                    else ""
                ),
            )
            by_domain.setdefault(competence.domain, []).append(name)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "review-form"
        # Next year's objectives: one group per Pix domain (16 selects in a row were hard
        # to find one's way in).
        objectives = [
            Fieldset(
                _("Objectifs de l'année suivante (niveau Pix visé) — %(code)s. %(domain)s")
                % {"code": domain.code, "domain": domain.name},
                *names,
            )
            for domain, names in by_domain.items()
        ]
        self.helper.layout = Layout(
            Fieldset(_("Fiche de préparation"), *WRITTEN_FIELDS),
            *objectives,
            Submit("save", _("Enregistrer la fiche")),
        )

    def _blank(self) -> bool:
        return not any(getattr(self.instance, name) for name in WRITTEN_FIELDS)

    @property
    def prefilled(self) -> bool:
        """Next year's objectives shown are the population's targets, not yet saved."""
        return bool(self.suggested)

    def show_levels(self, rows) -> None:
        """Under each objective, where the agent stands: their latest level and the level
        expected of them (`sheet.CompetenceRow`s, by competence code)."""
        rows = {row.code: row for row in rows}
        for competence in self.competences:
            row = rows.get(competence.code)
            if row is None:
                continue
            current = (
                _("niveau actuel : %(level)s") % {"level": row.current_level}
                if row.current_level is not None
                else _("aucun niveau connu")
            )
            expected = (
                _("niveau attendu : %(level)s") % {"level": row.expected_level}
                if row.expected_level is not None
                else _("pas de niveau attendu")
            )
            field = self.fields[f"objective_{competence.pk}"]
            field.help_text = " · ".join(
                part for part in (current, expected, field.help_text) if part
            )

    def objectives(self):
        """{competence: level or None} from the cleaned data."""
        return {c: self.cleaned_data.get(f"objective_{c.pk}") for c in self.competences}


class ShareForm(forms.Form):
    """Sharing locks the sheet for good: the manager confirms it by ticking a box."""

    confirm = forms.BooleanField(
        label=gettext_lazy(
            "Je confirme le partage : la fiche sera verrouillée et ne pourra plus être "
            "modifiée, seulement complétée par des addenda datés."
        ),
        required=True,
        error_messages={
            "required": gettext_lazy("Cochez la case pour confirmer le partage de la fiche.")
        },
    )

    def __init__(self, *args, action="", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "share-form"
        self.helper.form_action = action
        self.helper.add_input(Submit("submit", _("Partager la fiche avec l’agent")))


class AgentCommentForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Votre commentaire"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        required=False,
    )

    def __init__(self, *args, action="", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "agent-comment-form"
        self.helper.form_action = action
        self.helper.add_input(Submit("submit", _("Enregistrer mon commentaire")))


class AddendumForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Texte de l'addendum"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )

    def __init__(self, *args, action="", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "addendum-form"
        self.helper.form_action = action
        self.helper.add_input(Submit("submit", _("Ajouter l'addendum")))


class HoldForm(forms.Form):
    meeting_on = forms.DateField(
        label=gettext_lazy("Date de l'entretien"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Saisissez une date valide, comme 30/06/2026.")},
    )

    def __init__(self, *args, action="", **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "hold-form"
        self.helper.form_action = action
        self.helper.add_input(Submit("submit", _("Marquer l'entretien comme tenu")))
