"""What a finished import does for the programme it was uploaded for. Apart from the services,
so that the import task (which the services queue) can use it too."""

from campaigns.models import ResultImport
from programmes.imports.ownership import campaign_follow
from programmes.models import Programme


def attach_campaign_hook(programme_id: int):
    """What a DONE import does for its programme: follow the campaign (and own it, when it is
    the campaign's first import)."""

    def attach(result_import: ResultImport) -> None:
        if result_import.campaign_id is not None:
            campaign_follow(
                programme=Programme.objects.get(pk=programme_id),
                campaign_id=result_import.campaign_id,
                result_import=result_import,
            )

    return attach
