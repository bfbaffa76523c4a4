from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "programmes"
    verbose_name = _("Programmes")

    def ready(self):
        # Connect the parts' receivers (the default barriers of a new programme; the
        # dashboard's figures after an import; the campaign ownership rule of imports; the
        # stored progress state of enrolments).
        from programmes import progress  # noqa: F401
        from programmes.accompaniment.checkins import signals as checkins  # noqa: F401
        from programmes.imports import ownership  # noqa: F401
        from programmes.steering import signals as steering  # noqa: F401
