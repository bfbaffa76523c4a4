"""Every programme starts with the default list of barriers, however it is created (the
admin, the demo, a script); its owners edit the list afterwards."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from programmes.accompaniment.checkins.services import barriers_create_defaults
from programmes.models import Programme


@receiver(post_save, sender=Programme, dispatch_uid="programme_default_barriers")
def _programme_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        barriers_create_defaults(programme=instance)
