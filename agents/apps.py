from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "agents"
    verbose_name = _("Agents et organisation")

    def ready(self):
        from lib.sqlite import register_unicode_like

        # The embedded demo searches accented names as PostgreSQL does (lib/sqlite.py).
        register_unicode_like()
