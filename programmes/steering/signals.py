"""Receivers of steering: the dashboard's figures follow what happens elsewhere. Connected by
the app's ready()."""

from django.dispatch import receiver

from programmes.imports.signals import results_imported
from programmes.steering.tasks import refresh_programme_stats


@receiver(results_imported, dispatch_uid="steering_refresh_after_import")
def _refresh_after_import(sender, programme_id, **kwargs):
    refresh_programme_stats(programme_id)
