"""Signals of the Pix imports, for the parts above them (steering) to react without the
imports knowing them."""

from django.dispatch import Signal

# Sent once an import of a programme is DONE, with `programme_id`; in the task's process.
results_imported = Signal()
