"""Forms of population management: the population, its targets, and enrolling agents."""

from collections import defaultdict

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Fieldset, Layout, Row, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, Subquery
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from agents.models import Agent, OrgUnit
from campaigns.enums import ParticipationStatus
from campaigns.models import Campaign, Competence, CompetenceResult, Participation
from campaigns.referential import MAX_LEVEL
from lib.french import filesize
from programmes.enums import TargetKind
from programmes.models import TargetPopulation
from programmes.services import ASSESSMENT_KINDS, NotText, decode_list, parse_list, resolve_list
from programmes.targets import TargetSpec, percent_from_rate, rate_from_percent

LIST_MAX_BYTES = 1024 * 1024
LIST_EXTENSIONS = (".csv", ".txt")
# An assessment's target profile gives every participant the same competences: a few
# shared participations tell which, without reading the whole campaign's results.
SAMPLED_PARTICIPATIONS = 5
PROBLEMS_SHOWN = 100


def _date_field(label):
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Saisissez une date valide, comme 30/06/2026.")},
    )


# --- Population ---------------------------------------------------------------------------


class PopulationForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nom"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    ambassador_emails = forms.CharField(
        label=gettext_lazy("Ambassadeurs (adresses e-mail)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Une adresse par ligne. Chaque ambassadeur doit déjà avoir un compte ; il suivra "
            "les agents de cette population."
        ),
    )

    def __init__(self, *args, programme, population=None, submit_label, **kwargs):
        if population is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": population.name,
                    "description": population.description,
                    "ambassador_emails": "\n".join(
                        population.ambassadors.order_by("email").values_list("email", flat=True)
                    ),
                },
            )
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.population = population
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.layout = Layout(
            Field("name"),
            Field("description"),
            Field("ambassador_emails"),
            Submit("submit", submit_label),
        )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = TargetPopulation.objects.filter(programme=self.programme, name__iexact=name)
        if self.population is not None:
            others = others.exclude(pk=self.population.pk)
        if others.exists():
            raise forms.ValidationError(
                _("Le programme a déjà une population nommée « %(name)s ».") % {"name": name}
            )
        return name

    def clean_ambassador_emails(self):
        emails = {e.lower() for e in parse_words(self.cleaned_data["ambassador_emails"])}
        users = list(get_user_model().objects.filter(email__in=emails, is_active=True))
        unknown = sorted(emails - {user.email for user in users})
        if unknown:
            raise forms.ValidationError(
                _("Aucun compte actif pour : %(emails)s. Un ambassadeur doit avoir un compte.")
                % {"emails": ", ".join(unknown)}
            )
        return users


def parse_words(text):
    return [item.value for item in parse_list(text or "")]


# --- Targets ------------------------------------------------------------------------------


def assessment_sections(population, competences):
    """The assessment campaigns a population may have targets on, each with the
    competences it assesses: the programme's assessments (and any campaign a target
    already names), their competences read from a few shared participations, plus those
    already targeted; all 16 while no shared result tells which."""
    targets = list(population.targets.exclude(kind=TargetKind.LEVEL))
    programme_assessments = population.programme.campaigns.filter(kind__in=ASSESSMENT_KINDS)
    campaigns = Campaign.objects.filter(
        Q(pk__in=programme_assessments.values("pk")) | Q(pk__in={t.campaign_id for t in targets})
    )
    targeted = defaultdict(set)
    for target in targets:
        if target.kind == TargetKind.MASTERY_RATE:
            targeted[target.campaign_id].add(target.competence_id)
    sections = []
    for campaign in campaigns.order_by("name", "pk"):
        sampled = Participation.objects.filter(
            campaign=campaign, status=ParticipationStatus.SHARED
        ).order_by("-pk")[:SAMPLED_PARTICIPATIONS]
        assessed = set(
            CompetenceResult.objects.filter(participation__in=Subquery(sampled.values("pk")))
            .values_list("competence_id", flat=True)
            .distinct()
        )
        if assessed:
            chosen = [c for c in competences if c.pk in assessed | targeted[campaign.pk]]
        else:
            chosen = list(competences)
        sections.append((campaign, chosen))
    return sections


class TargetsForm(forms.Form):
    """Every target of a population on one page: a level per competence (profiles
    collections), and per assessment campaign a mastery rate per competence and a stage;
    each with an optional deadline. Leaving a value empty means no target."""

    def __init__(self, *args, population, **kwargs):
        super().__init__(*args, **kwargs)
        self.population = population
        self.competences = list(Competence.objects.select_related("domain").order_by("position"))
        self.sections = assessment_sections(population, self.competences)
        existing = {
            (t.kind, t.competence_id, t.campaign_id if t.kind != TargetKind.LEVEL else None): t
            for t in population.targets.all()
        }
        self._rows = []  # (kind, competence, campaign, value field, deadline field)
        layout = [HTML(format_html('<p class="fr-text--sm">{}</p>', _(INTRO)))]
        layout += self._level_fieldsets(existing)
        for campaign, competences in self.sections:
            layout.append(self._campaign_fieldset(campaign, competences, existing))
        layout.append(Submit("submit", _("Enregistrer les objectifs")))
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "targets-form"
        self.helper.layout = Layout(*layout)

    def _add_row(self, kind, competence, campaign, name, value_field, initial_value, target):
        self.fields[name] = value_field
        self.fields[f"{name}_deadline"] = _date_field(
            _("Échéance %(what)s (facultatif)") % {"what": _row_short_label(kind, competence)}
        )
        if target is not None:
            self.initial.setdefault(name, initial_value(target))
            self.initial.setdefault(f"{name}_deadline", target.deadline)
        self._rows.append((kind, competence, campaign, name, f"{name}_deadline"))
        return Row(
            Column(Field(name), css_class="fr-col-12 fr-col-md-8"),
            Column(Field(f"{name}_deadline"), css_class="fr-col-12 fr-col-md-4"),
        )

    def _level_fieldsets(self, existing):
        by_domain = defaultdict(list)
        for competence in self.competences:
            by_domain[competence.domain].append(competence)
        fieldsets = []
        for domain, competences in by_domain.items():
            rows = [
                self._add_row(
                    TargetKind.LEVEL,
                    competence,
                    None,
                    f"level_{competence.pk}",
                    _level_field(competence),
                    lambda t: t.level,
                    existing.get((TargetKind.LEVEL, competence.pk, None)),
                )
                for competence in competences
            ]
            legend = _("Niveaux visés — %(domain)s") % {"domain": domain}
            fieldsets.append(Fieldset(legend, *rows))
        return fieldsets

    def _campaign_fieldset(self, campaign, competences, existing):
        stage = self._add_row(
            TargetKind.STAGE,
            None,
            campaign,
            f"stage_{campaign.pk}",
            _stage_field(campaign),
            lambda t: t.stage,
            existing.get((TargetKind.STAGE, None, campaign.pk)),
        )
        rates = [
            self._add_row(
                TargetKind.MASTERY_RATE,
                competence,
                campaign,
                f"rate_{campaign.pk}_{competence.pk}",
                _rate_field(competence),
                lambda t: percent_from_rate(t.mastery_rate),
                existing.get((TargetKind.MASTERY_RATE, competence.pk, campaign.pk)),
            )
            for competence in competences
        ]
        legend = _("Évaluation « %(name)s » : palier et taux de maîtrise") % {"name": campaign.name}
        return Fieldset(legend, stage, *rates)

    def clean(self):
        cleaned = super().clean()
        for _kind, _competence, _campaign, name, deadline in self._rows:
            if cleaned.get(deadline) and cleaned.get(name) is None and name not in self.errors:
                self.add_error(
                    deadline,
                    _("Une échéance sans objectif : fixez l’objectif ou effacez la date."),
                )
        return cleaned

    @property
    def field_errors(self):
        """The fields in error, in page order, for the summary above a long form."""
        return [self[name] for name in self.fields if name in self.errors]

    def specs(self) -> list[TargetSpec]:
        specs = []
        for kind, competence, campaign, name, deadline in self._rows:
            value = self.cleaned_data.get(name)
            if value is None:
                continue
            specs.append(
                TargetSpec(
                    kind=kind,
                    competence_id=competence.pk if competence else None,
                    campaign_id=campaign.pk if campaign else None,
                    level=value if kind == TargetKind.LEVEL else None,
                    mastery_rate=rate_from_percent(value)
                    if kind == TargetKind.MASTERY_RATE
                    else None,
                    stage=value if kind == TargetKind.STAGE else None,
                    deadline=self.cleaned_data.get(deadline),
                )
            )
        return specs


INTRO = gettext_lazy(
    "Pour chaque compétence, choisissez le niveau attendu ; « — » signifie pas d’objectif. "
    "L’échéance est facultative. Pour une campagne d’évaluation (parcours), fixez un taux de "
    "maîtrise en pourcentage ou un palier. Chaque changement est daté dans l’historique."
)


def _row_short_label(kind, competence):
    if kind == TargetKind.STAGE:
        return _("du palier")
    if kind == TargetKind.MASTERY_RATE:
        return _("du taux %(code)s") % {"code": competence.code}
    return competence.code


def _level_field(competence):
    level_error = _("Le niveau cible doit être compris entre 1 et %(max)s.") % {"max": MAX_LEVEL}
    return forms.TypedChoiceField(
        label=f"{competence.code} {competence.name}",
        choices=[("", "—")] + [(n, _("Niveau %(n)s") % {"n": n}) for n in range(1, MAX_LEVEL + 1)],
        coerce=int,
        empty_value=None,
        required=False,
        error_messages={"invalid_choice": level_error},
    )


def _rate_field(competence):
    # Messages with parameters are %-formatted by Django: their « % » is doubled.
    rate_error = _("Le taux de maîtrise doit être compris entre 0 et 100 %%.")
    return forms.DecimalField(
        label=_("%(code)s %(name)s — taux de maîtrise visé (%%)")
        % {"code": competence.code, "name": competence.name},
        required=False,
        min_value=0,
        max_value=100,
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "100"}),
        error_messages={
            "invalid": _("Saisissez un pourcentage entre 0 et 100, comme 70 ou 72.5."),
            "min_value": rate_error,
            "max_value": rate_error,
            "max_digits": rate_error,
            "max_decimal_places": _("Une décimale au plus, comme 72.5."),
            "max_whole_digits": rate_error,
        },
    )


def _stage_field(campaign):
    top = campaign.stage_count
    if top is None:
        error = _("Le palier doit être un nombre entier positif ou nul.")
        help_text = ""
    else:
        error = _("Le palier doit être compris entre 0 et %(max)s.") % {"max": top}
        help_text = _("Paliers 0 à %(max)s.") % {"max": top}
    attrs = {"min": "0"} | ({"max": str(top)} if top is not None else {})
    return forms.IntegerField(
        label=_("Palier visé"),
        help_text=help_text,
        required=False,
        min_value=0,
        max_value=top,
        widget=forms.NumberInput(attrs=attrs),
        error_messages={"invalid": error, "min_value": error, "max_value": error},
    )


# --- Enrolling ----------------------------------------------------------------------------


def _unit_paths(units=None):
    """Each unit's path (« Direction › Service »), by id, from one query of the chart."""
    chart = {
        pk: (name, parent)
        for pk, name, parent in OrgUnit.objects.values_list("pk", "name", "parent_id")
    }

    def path(pk):
        names, seen = [], set()
        while pk is not None and pk not in seen:
            seen.add(pk)
            name, pk = chart[pk]
            names.append(name)
        return " › ".join(reversed(names))

    return {pk: path(pk) for pk in (chart if units is None else units)}


def org_unit_choices():
    """Every unit labelled with its path (« Direction › Service »), from one query."""
    return sorted(_unit_paths().items(), key=lambda choice: choice[1].casefold())


# Up to this many units, a unit is chosen from a list of them all; past it, by typing its
# name or code: a list of 11,000 units (a ministry's chart) took a second to write into the
# page, and cannot be read on a phone.
UNITS_LISTED_UP_TO = 300


def unit_field(label, *, empty_label):
    """The field that chooses a unit (not required): a list of every unit, with its path,
    while the chart holds at most UNITS_LISTED_UP_TO; else a text field for its name or code
    (see `unit_from`, which cleans either)."""
    if OrgUnit.objects.count() <= UNITS_LISTED_UP_TO:
        field = forms.TypedChoiceField(
            label=label,
            coerce=int,
            empty_value=None,
            required=False,
            choices=[("", empty_label)] + org_unit_choices(),
        )
        field.error_messages["invalid_choice"] = _("Cette unité n’existe pas.")
        return field
    return forms.CharField(
        label=label,
        required=False,
        max_length=200,
        help_text=_("Son nom ou son code, tel que dans la liste RH."),
    )


def unit_from(value):
    """The unit `unit_field` was given: its id from the list, or the name or code typed (the
    code or the whole name first, then a part of the name); None when empty. A French error
    when none matches or several do."""
    if value in (None, ""):
        return None
    if isinstance(value, int):
        return OrgUnit.objects.get(pk=value)
    text = value.strip()
    if not text:
        return None
    units = list(
        OrgUnit.objects.filter(Q(code__iexact=text) | Q(name__iexact=text)).order_by("pk")[:6]
    ) or list(OrgUnit.objects.filter(name__icontains=text).order_by("name", "pk")[:6])
    if not units:
        raise forms.ValidationError(
            _("Aucune unité ne correspond à « %(text)s ».") % {"text": text}
        )
    if len(units) > 1:
        paths = _unit_paths([unit.pk for unit in units])
        names = ", ".join(
            f"{paths[unit.pk]}" + (f" ({unit.code})" if unit.code else "") for unit in units[:5]
        )
        raise forms.ValidationError(
            _("Plusieurs unités correspondent : %(names)s. Précisez le nom complet ou le code.")
            % {"names": names}
        )
    return units[0]


class EnrolmentFilterForm(forms.Form):
    """Choose agents by unit, job title and manager; any filter left empty is not applied."""

    include_sub_units = forms.BooleanField(
        label=gettext_lazy("Inclure les unités qui en dépendent"), required=False, initial=True
    )
    job_title = forms.CharField(
        label=gettext_lazy("La fonction contient"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Par exemple « assistant » ou « informaticien »."),
    )
    manager = forms.CharField(
        label=gettext_lazy("Encadrant (nom, e-mail ou matricule)"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Ses équipes directes et indirectes seront retenues."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org_unit"] = unit_field(_("Unité"), empty_label=_("— toutes les unités"))
        self.order_fields(["org_unit"])
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "enrolment-filters"
        self.helper.layout = Layout(
            Field("org_unit"),
            Field("include_sub_units"),
            Field("job_title"),
            Field("manager"),
            Submit("preview", _("Voir les agents concernés")),
        )

    def clean_org_unit(self):
        return unit_from(self.cleaned_data["org_unit"])

    def clean_manager(self):
        text = self.cleaned_data["manager"].strip()
        if not text:
            return None
        managers = list(
            Agent.objects.filter(direct_reports__isnull=False)
            .distinct()
            .search(text)
            .order_by("last_name", "first_name", "pk")[:6]
        )
        if not managers:
            raise forms.ValidationError(
                _("Aucun encadrant ne correspond à « %(text)s ».") % {"text": text}
            )
        if len(managers) > 1:
            names = ", ".join(
                f"{m.full_name} ({m.external_id or m.email or '—'})" for m in managers[:5]
            )
            raise forms.ValidationError(
                _("Plusieurs encadrants correspondent : %(names)s. Précisez le matricule.")
                % {"names": names}
            )
        return managers[0]

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not (
            cleaned.get("org_unit")
            or cleaned.get("job_title", "").strip()
            or cleaned.get("manager")
        ):
            raise forms.ValidationError(
                _("Choisissez au moins un critère : une unité, une fonction ou un encadrant.")
            )
        return cleaned

    def filters(self):
        return {
            "org_unit": self.cleaned_data["org_unit"],
            "include_sub_units": self.cleaned_data["include_sub_units"],
            "job_title": self.cleaned_data["job_title"],
            "manager": self.cleaned_data["manager"],
        }


class EnrolmentListForm(forms.Form):
    """A list of matricules or e-mail addresses, pasted or uploaded. Any identifier that
    names no active agent stops everything, unless the user chooses to enrol the others."""

    text = forms.CharField(
        label=gettext_lazy("Matricules ou adresses e-mail"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=gettext_lazy("Un par ligne, ou séparés par des points-virgules ou des virgules."),
    )
    file = forms.FileField(
        label=gettext_lazy("Ou un fichier .csv ou .txt"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
        error_messages={"empty": gettext_lazy("Le fichier est vide.")},
    )
    enrol_others = forms.BooleanField(
        label=gettext_lazy("Inscrire les autres quand même"),
        required=False,
        help_text=gettext_lazy("Les identifiants inconnus sont alors ignorés."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.problems = []
        self.resolution = None
        self.fields["file"].help_text = _("Un identifiant par ligne ; %(limit)s au maximum.") % {
            "limit": filesize(LIST_MAX_BYTES)
        }
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "enrolment-list"
        self.helper.layout = Layout(
            Field("text"),
            Field("file"),
            Field("enrol_others"),
            Submit("submit", _("Inscrire")),
        )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload is None:
            return None
        if not upload.name.lower().endswith(LIST_EXTENSIONS):
            raise forms.ValidationError(_("Choisissez un fichier .csv ou .txt."))
        if upload.size > LIST_MAX_BYTES:
            raise forms.ValidationError(
                _("Le fichier pèse %(size)s, au-delà de la limite de %(limit)s.")
                % {"size": filesize(upload.size), "limit": filesize(LIST_MAX_BYTES)}
            )
        try:
            return decode_list(b"".join(upload.chunks()))
        except NotText as error:
            raise forms.ValidationError(str(error)) from None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        text, file_text = cleaned.get("text", "").strip(), cleaned.get("file")
        if text and file_text is not None:
            raise forms.ValidationError(
                _("Collez la liste ou choisissez un fichier, pas les deux.")
            )
        listed = parse_list(file_text if file_text is not None else text)
        if not listed:
            raise forms.ValidationError(
                _("Aucun matricule ni adresse e-mail trouvé : collez une liste ou un fichier.")
            )
        self.resolution = resolve_list(listed)
        self.problems = self.resolution.problems
        if self.problems and not cleaned.get("enrol_others"):
            raise forms.ValidationError(
                ngettext(
                    "%(count)s identifiant ne correspond à aucun agent actif : rien n’a été "
                    "inscrit. Corrigez la liste, ou cochez « Inscrire les autres quand même ».",
                    "%(count)s identifiants ne correspondent à aucun agent actif : rien n’a été "
                    "inscrit. Corrigez la liste, ou cochez « Inscrire les autres quand même ».",
                    len(self.problems),
                )
                % {"count": len(self.problems)}
            )
        if not self.resolution.agents:
            raise forms.ValidationError(
                _("Aucun agent reconnu dans la liste : rien n’a été inscrit.")
            )
        return cleaned

    @property
    def problems_shown(self):
        return self.problems[:PROBLEMS_SHOWN]
