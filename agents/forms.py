from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout, Submit
from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from lib.french import filesize

CSV_EXTENSIONS = (".csv", ".txt")


class AgentImportForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier CSV de la liste RH"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )
    deactivate_missing = forms.BooleanField(
        label=_("Désactiver les agents absents du fichier"),
        help_text=_(
            "Les agents enregistrés avec un matricule qui ne figurent pas dans ce fichier "
            "seront marqués inactifs. Rien n'est supprimé."
        ),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = settings.AGENT_IMPORT_MAX_BYTES
        self.fields["file"].help_text = _(
            "Format CSV (séparateur point-virgule ou virgule), encodé en UTF-8 ou Windows-1252, "
            "%(limit)s au maximum."
        ) % {"limit": filesize(self.max_bytes)}
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.layout = Layout(
            Field("file"),
            Field("deactivate_missing"),
            Submit("submit", _("Importer")),
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(CSV_EXTENSIONS):
            raise forms.ValidationError(
                _(
                    "Choisissez un fichier CSV (.csv) : depuis le tableur, utilisez "
                    "« Enregistrer sous » et le format « CSV (séparateur : point-virgule) »."
                )
            )
        if upload.size > self.max_bytes:
            raise forms.ValidationError(
                _("Le fichier pèse %(size)s, au-delà de la limite de %(limit)s.")
                % {"size": filesize(upload.size), "limit": filesize(self.max_bytes)}
            )
        return upload


class EmailAuthenticationForm(AuthenticationForm):
    """Django's login form, with a message that reads right for an e-mail login."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Adresse e-mail ou mot de passe incorrect. Le mot de passe tient compte des majuscules."
        ),
    }

    def clean_username(self):
        # Accounts are stored with lower-case e-mails; people type them as they like.
        return self.cleaned_data["username"].strip().lower()
