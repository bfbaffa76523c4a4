"""Writes of check-ins: barriers, milestones, check-ins."""

from django.db import transaction

from .enums import DEFAULT_BARRIERS
from .models import Barrier, Programme


@transaction.atomic
def barriers_create_defaults(*, programme: Programme) -> None:
    """Give a programme the default barriers it does not have yet (by label)."""
    existing = set(programme.barriers.values_list("label", flat=True))
    Barrier.objects.bulk_create(
        Barrier(programme=programme, label=str(label), position=position)
        for position, label in enumerate(DEFAULT_BARRIERS, start=1)
        if str(label) not in existing
    )
