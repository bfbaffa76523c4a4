"""Forms of the resources feature: a resource of the catalogue, the catalogue's filters,
the CSV import, and an agent's mark on a resource."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import Competence
from campaigns.referential import MAX_LEVEL
from lib.french import filesize
from programmes.accompaniment.resources.files import MAX_BYTES
from programmes.enums import ResourceKind
from programmes.models import Resource

CSV_EXTENSIONS = (".csv", ".txt")
LEVEL_CHOICES = [(level, str(level)) for level in range(1, MAX_LEVEL + 1)]


class CompetenceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, competence):
        return f"{competence.code} {competence.name}"


class ResourceForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Titre"), max_length=200)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=ResourceKind.choices)
    competences = CompetenceChoiceField(
        label=gettext_lazy("Compétences travaillées"),
        queryset=Competence.objects.order_by("position"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=gettext_lazy(
            "La ressource est recommandée aux agents en dessous de leur objectif sur l’une "
            "de ces compétences."
        ),
    )
    level_min = forms.TypedChoiceField(
        label=gettext_lazy("Du niveau"), choices=LEVEL_CHOICES, coerce=int, initial=1
    )
    level_max = forms.TypedChoiceField(
        label=gettext_lazy("Au niveau"), choices=LEVEL_CHOICES, coerce=int, initial=MAX_LEVEL
    )
    url = forms.URLField(
        label=gettext_lazy("Lien"),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("Adresse complète, par exemple https://intranet.exemple.gouv.fr/…"),
    )
    duration_minutes = forms.IntegerField(
        label=gettext_lazy("Durée (minutes)"),
        required=False,
        min_value=1,
        max_value=100_000,
    )
    provider = forms.CharField(label=gettext_lazy("Proposé par"), max_length=200, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, programme, resource=None, submit_label, **kwargs):
        if resource is not None:
            initial = {name: getattr(resource, name) for name in self.base_fields}
            initial["competences"] = list(resource.competences.all())
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.resource = resource
        self.fields["level_min"].help_text = _(
            "Le premier niveau Pix que la ressource aide à atteindre."
        )
        self.fields["level_max"].help_text = _("Le plus haut niveau Pix qu’elle aide à atteindre.")
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "resource-form"
        self.helper.layout = Layout(
            Field("title"),
            Field("kind"),
            Field("competences"),
            Row(
                Column(Field("level_min"), css_class="fr-col-12 fr-col-md-6"),
                Column(Field("level_max"), css_class="fr-col-12 fr-col-md-6"),
            ),
            Field("url"),
            Row(
                Column(Field("duration_minutes"), css_class="fr-col-12 fr-col-md-6"),
                Column(Field("provider"), css_class="fr-col-12 fr-col-md-6"),
            ),
            Field("description"),
            Submit("submit", submit_label),
        )

    def clean_title(self):
        title = self.cleaned_data["title"].strip()
        others = Resource.objects.filter(programme=self.programme, title__iexact=title)
        if self.resource is not None:
            others = others.exclude(pk=self.resource.pk)
        if others.exists():
            raise forms.ValidationError(
                _("Le catalogue a déjà une ressource intitulée « %(title)s ».") % {"title": title}
            )
        return title

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("level_min"), cleaned.get("level_max")
        if low is not None and high is not None and low > high:
            self.add_error(
                "level_max",
                _("Le niveau d’arrivée doit être supérieur ou égal au niveau de départ."),
            )
        return cleaned

    def values(self):
        """The cleaned data, as the services take them."""
        return {name: self.cleaned_data[name] for name in self.fields}


class ResourceImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Fichier CSV du catalogue"),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = MAX_BYTES
        self.fields["file"].help_text = _(
            "Format CSV (séparateur point-virgule ou virgule), encodé en UTF-8 ou Windows-1252, "
            "%(limit)s au maximum."
        ) % {"limit": filesize(self.max_bytes)}
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "resource-import-form"
        self.helper.layout = Layout(Field("file"), Submit("submit", _("Importer")))

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
