from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from agents.models import Agent
from lib.french import filesize
from programmes.forms import unit_field, unit_from


def pix_export_max_bytes():
    """The same limit as the importer's: refused here before anything is stored."""
    return settings.PIX_EXPORT_MAX_BYTES


class ResultImportForm(forms.Form):
    file = forms.FileField(
        label=_("Export CSV de Pix Orga"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={
            "required": _("Choisissez le fichier CSV exporté de Pix Orga."),
            "empty": _("Le fichier est vide : exportez de nouveau les résultats depuis Pix Orga."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = pix_export_max_bytes()
        self.fields["file"].help_text = _(
            "Fichier « Resultats-….csv » tel que Pix Orga le donne, ou enregistré de nouveau "
            "par un tableur au format CSV ; %(limit)s au maximum."
        ) % {"limit": filesize(self.max_bytes)}
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.layout = Layout(Field("file"), Submit("submit", _("Analyser le fichier")))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(
                _(
                    "Choisissez un fichier CSV (.csv) : l’export « Résultats » de Pix Orga, "
                    "ou depuis un tableur « Enregistrer sous » au format CSV."
                )
            )
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("Le fichier pèse %(size)s, au-delà de la limite de %(limit)s.")
                % {"size": filesize(upload.size), "limit": filesize(self.max_bytes)}
            )
        return upload


class AgentChoiceForm(forms.Form):
    """The agent an ambassador picked for a participant, among the agents they may see."""

    agent = forms.ModelChoiceField(
        queryset=Agent.objects.none(),
        error_messages={
            "required": _("Choisissez un agent."),
            "invalid_choice": _("Cet agent n’existe pas ou ne vous est pas accessible."),
        },
    )

    def __init__(self, *args, agents, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = agents


class AgentFromParticipantForm(forms.Form):
    """A new agent made from an unmatched participant: names and external id prefilled."""

    last_name = forms.CharField(label=_("Nom"), max_length=150)
    first_name = forms.CharField(label=_("Prénom"), max_length=150)
    external_id = forms.CharField(
        label=_("Matricule"),
        max_length=100,
        required=False,
        help_text=_("L’identifiant externe saisi dans Pix Orga, s’il s’agit du matricule."),
    )
    email = forms.EmailField(label=_("Adresse e-mail"), required=False)
    population = forms.ModelChoiceField(
        label=_("Inscrire dans la population"),
        queryset=None,
        required=False,
        help_text=_("Facultatif : l’agent suivra les niveaux cibles de cette population."),
    )

    def __init__(self, *args, populations, action, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"] = unit_field(_("Unité"), empty_label="---------")
        self.order_fields(["last_name", "first_name", "external_id", "email", "org_unit"])
        self.fields["population"].queryset = populations
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_action = action
        self.helper.form_id = "create-agent"
        self.helper.layout = Layout(
            Field("last_name"),
            Field("first_name"),
            Field("external_id"),
            Field("email"),
            Field("org_unit"),
            Field("population"),
            Submit("submit", _("Créer l’agent et lui rattacher ces résultats")),
        )

    def clean_org_unit(self):
        return unit_from(self.cleaned_data["org_unit"])

    def clean_external_id(self):
        external_id = self.cleaned_data["external_id"].strip() or None
        if external_id and Agent.objects.filter(external_id=external_id).exists():
            raise forms.ValidationError(
                _(
                    "Un agent porte déjà ce matricule : recherchez-le plutôt et rapprochez "
                    "le participant de cet agent."
                )
            )
        return external_id

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower() or None
        if email and Agent.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _(
                    "Un agent a déjà cette adresse e-mail : recherchez-le plutôt et rapprochez "
                    "le participant de cet agent."
                )
            )
        return email
