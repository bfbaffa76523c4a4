"""What a finished import does for the programme it was uploaded for. Apart from the services,
so that the import task (which the services queue) can use it too."""

from campaigns.models import ResultImport
from programmes.models import Programme


def attach_campaign_hook(programme_id: int):
    """What a DONE import does for its programme: follow the campaign."""

    def attach(result_import: ResultImport) -> None:
        if result_import.campaign_id is not None:
            Programme.objects.get(pk=programme_id).campaigns.add(result_import.campaign_id)

    return attach
