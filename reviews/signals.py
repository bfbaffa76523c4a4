"""Keeps a review cycle's stored counts (`CycleCounts`) honest: a sheet saved
through the ORM with a new state or manager, or added (the services, the admin, the
factories), marks them out of date in its transaction. The job that adds sheets in bulk
calls `services_cycles.sheets_changed` itself. The HR list import, which moves agents to
other units in bulk (the counts are per unit), marks every cycle's counts out of date
(`agents.signals.agents_changed`). A sheet deleted (with its agent) is counted again within
REVIEWS_PROGRESS_MAX_AGE: a receiver of post_delete would make every bulk delete of agents
load their sheets one by one."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from agents.signals import agents_changed
from reviews.models import Review
from reviews.services_cycles import sheets_changed, units_changed

COUNTED_FIELDS = {"state", "manager", "agent", "cycle"}


@receiver(post_save, sender=Review)
def _sheet_saved(sender, instance, created, update_fields=None, **kwargs):
    if created or update_fields is None or COUNTED_FIELDS & set(update_fields):
        sheets_changed(instance.cycle_id)


@receiver(agents_changed)
def _agents_changed(sender, **kwargs):
    units_changed()
