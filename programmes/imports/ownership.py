"""Who a Pix campaign belongs to. A campaign belongs to the programme into which its results
were first imported, by that programme's owner or ambassador; another programme follows it
(and sees its results) only once the owners of both, or staff, agreed to share it. The import
asks here (campaigns.signals.campaign_import_check) before it reads or writes a campaign, at
the preview and again inside the import's transaction."""

from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _

from campaigns.models import Campaign, ResultImport
from campaigns.signals import campaign_import_check
from programmes.models import CampaignOwnership, Programme, ProgrammeImport


def campaign_refusal(*, programme: Programme, campaign: Campaign) -> str | None:
    """Why `programme` may not import results of `campaign`, or None when it may: it owns
    the campaign or follows it (its own import, or a share agreed), or nobody does yet."""
    if programme.campaigns.filter(pk=campaign.pk).exists():
        return None
    owner_id = (
        CampaignOwnership.objects.filter(campaign=campaign)
        .values_list("programme_id", flat=True)
        .first()
    )
    if owner_id == programme.pk:
        return None
    if owner_id is None and not campaign.programmes.exists():
        return None
    return _(
        "La campagne Pix « %(campaign)s » appartient à un autre programme : ses résultats ne "
        "peuvent pas être importés dans celui-ci. Rien n'a été enregistré. Pour la suivre "
        "aussi, les pilotes des deux programmes (ou un administrateur) doivent convenir de la "
        "partager."
    ) % {"campaign": campaign.name}


def campaign_follow(*, programme: Programme, campaign_id: int, result_import=None) -> None:
    """The programme follows the campaign its import brought; the first programme to import
    a campaign nobody owns becomes its owner. Raises PermissionError when the campaign is
    another programme's (the import's check refused it before: this does not happen)."""
    with transaction.atomic():
        campaign = Campaign.objects.get(pk=campaign_id)
        refusal = campaign_refusal(programme=programme, campaign=campaign)
        if refusal is not None:
            raise PermissionError(refusal)
        CampaignOwnership.objects.get_or_create(
            campaign=campaign,
            defaults={"programme": programme, "first_import": result_import},
        )
        programme.campaigns.add(campaign)


@receiver(campaign_import_check, dispatch_uid="programmes_campaign_ownership")
def _another_programmes_campaign(sender, result_import: ResultImport, campaign, **kwargs):
    """An import uploaded for a programme may not touch another programme's campaign. An
    import outside any programme (the command line without --programme, on the server) is
    the server administrator's."""
    link = (
        ProgrammeImport.objects.filter(result_import_id=result_import.pk)
        .select_related("programme")
        .first()
    )
    if link is None:
        return []
    refusal = campaign_refusal(programme=link.programme, campaign=campaign)
    return [refusal] if refusal else []
