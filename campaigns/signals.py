"""Signals of the campaigns app, for the apps above it to take part in an import without the
campaigns app knowing them."""

from django.dispatch import Signal

# Sent before an import reads or writes the results of an existing campaign: at the analysis
# (preview) and again inside the import's transaction, once the campaign is locked. Arguments:
# `result_import`, `campaign`. A receiver returns a list of messages (French, for the import
# page) saying why this import may not touch the campaign; any message refuses the file and
# nothing is written. The programmes app answers with its campaign ownership rule.
campaign_import_check = Signal()

# Sent, inside the writing transaction, after participations or their results were written
# other than by a model's save(): an import's run, a manual match. Arguments: `campaign_ids`
# and `agent_ids` (every agent whose participations in those campaigns changed, the one a
# participation was matched to before included), or `agent_ids=None` for every agent of those
# campaigns. The programmes app keeps its stored progress state with it.
participations_changed = Signal()
