from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reviews"
    verbose_name = _("Entretiens professionnels")

    def ready(self):
        # The agent's data export ("Mes données") lives in programmes, which may not import
        # reviews: reviews adds its section to it.
        from programmes.privacy.selectors import REVIEWS_KEY, register_export_section
        from reviews.mydata import reviews_of_agent

        register_export_section(REVIEWS_KEY, reviews_of_agent)
        # A sheet saved marks its cycle's stored counts out of date.
        from reviews import signals  # noqa: F401
