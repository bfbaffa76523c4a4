"""The accessibility statement, following the State's model (RGAA 4.1, « modèle de
déclaration d'accessibilité »): one row at most, edited by staff in the admin; while none is
recorded, the page and the footer show the defaults below (the state known today)."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _


class ConformityState(models.TextChoices):
    NON = "non", _("non conforme")
    PARTIAL = "partial", _("partiellement conforme")
    TOTAL = "total", _("totalement conforme")


# What is known without a full audit. The reflow at 320 px (criterion 10.11) and the contrast
# of the disabled pagination links (3.2) were fixed (issue 17), and the browser journeys now
# check them on every page they load.
DEFAULT_NON_CONFORMITIES = (
    "Aucune non-conformité n’est connue à ce jour, mais les critères n’ont pas encore tous été "
    "vérifiés par un audit complet."
)
DEFAULT_EXEMPT_CONTENTS = (
    "Les ressources externes proposées dans le catalogue de ressources (sites, vidéos et "
    "documents d’autres éditeurs) : elles ne sont ni produites ni financées par l’éditeur du "
    "service."
)
DEFAULT_TECHNOLOGIES = "HTML5\nCSS\nJavaScript\nSVG\nSystème de design de l’État (DSFR)"
DEFAULT_TEST_ENVIRONMENT = (
    "Chromium sur Linux, aux largeurs d’écran d’un ordinateur et d’un téléphone (tests automatisés)"
)
DEFAULT_TOOLS = "axe-core (tests automatisés de chaque page)\nPlaywright"
DEFAULT_PAGES_CHECKED = "\n".join(
    [
        "Connexion",
        "Accueil",
        "Programmes et tableau de bord d’un programme",
        "Mes populations et page d’une population",
        "Agents et fiche d’un agent",
        "Points d’étape, ressources et relances",
        "Mon parcours",
        "Entretiens",
        "Mes données et protection des données",
        "Déclaration d’accessibilité, mentions légales et plan du site",
    ]
)


class AccessibilityStatement(models.Model):
    """The statement; a single row (id 1). See `current()` for the one the page shows."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    state = models.CharField(
        _("état de conformité"),
        max_length=10,
        choices=ConformityState.choices,
        default=ConformityState.PARTIAL,
        help_text=_("Affiché dans le pied de page de chaque page : « Accessibilité : … »."),
    )
    audit_date = models.DateField(
        _("date de l’audit"),
        null=True,
        blank=True,
        help_text=_("Vide tant qu’aucun audit de conformité complet n’a été réalisé."),
    )
    auditor = models.CharField(
        _("audit réalisé par"),
        max_length=200,
        blank=True,
        help_text=_("Par exemple : nom du prestataire, ou « auto-évaluation interne »."),
    )
    conformity_rate = models.DecimalField(
        _("taux de conformité (%)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Part des critères du RGAA respectés, entre 0 et 100."),
    )
    non_conformities = models.TextField(
        _("non-conformités"),
        blank=True,
        default=DEFAULT_NON_CONFORMITIES,
        help_text=_("Une par ligne."),
    )
    derogations = models.TextField(
        _("dérogations pour charge disproportionnée"),
        blank=True,
        help_text=_("Une par ligne ; vide s’il n’y en a aucune."),
    )
    exempt_contents = models.TextField(
        _("contenus non soumis à l’obligation d’accessibilité"),
        blank=True,
        default=DEFAULT_EXEMPT_CONTENTS,
        help_text=_("Un par ligne ; vide s’il n’y en a aucun."),
    )
    established_on = models.DateField(
        _("déclaration établie le"),
        null=True,
        blank=True,
    )
    technologies = models.TextField(
        _("technologies utilisées"), blank=True, default=DEFAULT_TECHNOLOGIES
    )
    test_environment = models.TextField(
        _("environnement de test"), blank=True, default=DEFAULT_TEST_ENVIRONMENT
    )
    tools = models.TextField(_("outils d’évaluation"), blank=True, default=DEFAULT_TOOLS)
    pages_checked = models.TextField(
        _("pages vérifiées"),
        blank=True,
        default=DEFAULT_PAGES_CHECKED,
        help_text=_("Une par ligne."),
    )
    contact_email = models.EmailField(
        _("adresse e-mail de contact"),
        blank=True,
        help_text=_("Pour signaler un défaut d’accessibilité."),
    )
    contact_details = models.TextField(
        _("autres moyens de contact"),
        blank=True,
        help_text=_("Adresse postale, formulaire en ligne… un par ligne."),
    )
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)

    class Meta:
        verbose_name = _("déclaration d’accessibilité")
        verbose_name_plural = _("déclaration d’accessibilité")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="legal_one_statement"),
        ]

    def __str__(self):
        return str(_("Déclaration d’accessibilité"))

    @classmethod
    def current(cls) -> "AccessibilityStatement":
        """The recorded statement, or the defaults (unsaved) while none is recorded."""
        return cls.objects.filter(pk=1).first() or cls()

    def clean(self):
        if self.state == ConformityState.TOTAL and self.non_conformities.strip():
            raise ValidationError(
                {
                    "non_conformities": _(
                        "Un service totalement conforme n’a pas de non-conformité : videz "
                        "cette liste ou choisissez un autre état."
                    )
                }
            )
        if self.state == ConformityState.TOTAL and self.conformity_rate not in (None, 100):
            raise ValidationError(
                {
                    "conformity_rate": _(
                        "Un service totalement conforme respecte 100 % des critères."
                    )
                }
            )

    @staticmethod
    def _lines(text):
        return [line.strip() for line in text.splitlines() if line.strip()]

    @property
    def non_conformity_list(self):
        return self._lines(self.non_conformities)

    @property
    def derogation_list(self):
        return self._lines(self.derogations)

    @property
    def exempt_content_list(self):
        return self._lines(self.exempt_contents)

    @property
    def technology_list(self):
        return self._lines(self.technologies)

    @property
    def test_environment_list(self):
        return self._lines(self.test_environment)

    @property
    def tool_list(self):
        return self._lines(self.tools)

    @property
    def page_list(self):
        return self._lines(self.pages_checked)

    @property
    def contact_detail_list(self):
        return self._lines(self.contact_details)


@receiver([post_save, post_delete], sender=AccessibilityStatement)
def _statement_changed(sender, **kwargs):
    # The footer reads the state from the cache (legal/selectors.py): a change shows at once.
    from legal.selectors import forget_state

    forget_state()
