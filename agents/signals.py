"""Signals of the agents app."""

from django.dispatch import Signal

# Sent in the transaction of a bulk write of agents that skips `save()` (the HR list import:
# agents created, moved to another unit, given another manager, deactivated). Whatever counts
# agents per unit or manager from stored figures (the review cycles' counts) takes them again.
agents_changed = Signal()
