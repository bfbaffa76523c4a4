"""The campaign of an export: what the file says of it, the campaign it is in the database
(by its Pix id; a campaign entered by hand with the same code and no Pix id is the same
one), and the reasons to refuse the file on its account."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from campaigns import pix_export
from campaigns.enums import CampaignKind
from campaigns.models import Campaign, ResultImport


@dataclass
class CampaignFacts:
    """What the export says of its campaign (header and first row)."""

    pix_id: int
    code: str | None
    name: str
    kind: str  # CampaignKind
    target_profile: str
    organisation_name: str
    external_id_label: str
    stage_count: int | None


def campaign_facts(header: "pix_export.ExportHeader", row: "pix_export.ExportRow") -> CampaignFacts:
    profiles = header.kind == pix_export.KIND_PROFILES
    return CampaignFacts(
        pix_id=row.campaign_pix_id,
        code=(row.campaign_code or "").strip() or None,
        name=row.campaign_name[:255],
        kind=CampaignKind.PROFILES_COLLECTION if profiles else CampaignKind.ASSESSMENT,
        target_profile=(row.target_profile or "")[:255],
        organisation_name=(row.organisation_name or "")[:255],
        external_id_label=(header.external_id_label or "")[:255],
        stage_count=header.stage_count,
    )


def first_row(export: "pix_export.PixExport") -> "pix_export.ExportRow | None":
    """The first well-formed row, read without going through the whole file."""
    rows = export.rows()
    try:
        for row in rows:
            if isinstance(row, pix_export.ExportRow):
                return row
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    return None


def find_campaign(facts: CampaignFacts) -> tuple[Campaign | None, list[str]]:
    """The campaign of the export, by its Pix id; a campaign entered by hand with the same
    code and no Pix id is the same one. Returns the campaign (None if new) and the reasons
    to refuse the file."""
    campaign = Campaign.objects.filter(pix_id=facts.pix_id).first()
    if facts.code:
        same_code = Campaign.objects.filter(code=facts.code).first()
        if campaign is None and same_code is not None and same_code.pix_id is None:
            campaign = same_code
        elif same_code is not None and same_code != campaign:
            return None, [
                _(
                    "Le code de campagne « %(code)s » est déjà celui d'une autre campagne "
                    "(« %(other)s »), et non de la campagne %(pix_id)s de ce fichier."
                )
                % {"code": facts.code, "other": same_code, "pix_id": facts.pix_id}
            ]
    if campaign is None:
        return None, []
    file_profiles = facts.kind == CampaignKind.PROFILES_COLLECTION
    if file_profiles != (campaign.kind == CampaignKind.PROFILES_COLLECTION):
        if file_profiles:
            message = _(
                "Ce fichier est l'export d'une collecte de profils, mais la campagne "
                "« %(name)s » est une campagne d'évaluation."
            )
        else:
            message = _(
                "Ce fichier est l'export d'une campagne d'évaluation, mais la campagne "
                "« %(name)s » est une collecte de profils."
            )
        return campaign, [message % {"name": campaign.name}]
    return campaign, []


def latest_observation(campaign: Campaign | None) -> datetime | None:
    """When the latest import of the campaign saw its data (export time, else upload)."""
    if campaign is None or campaign.pk is None:
        return None
    times = (
        ResultImport.objects.done()
        .filter(campaign=campaign)
        .values_list("exported_at", "uploaded_at")
    )
    return max((exported or uploaded for exported, uploaded in times), default=None)


def campaign_save(facts: CampaignFacts, campaign: Campaign | None) -> Campaign:
    """The campaign updated from the export, or created. An EXAM looks like an assessment
    in its export: a campaign known as an EXAM stays one."""
    if campaign is None or campaign.pk is None:
        campaign = Campaign(kind=facts.kind)
    else:
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.kind != CampaignKind.EXAM:
        campaign.kind = facts.kind
    campaign.pix_id = facts.pix_id
    campaign.name = facts.name or campaign.name
    if facts.code:
        campaign.code = facts.code
    for name in ("target_profile", "organisation_name", "external_id_label"):
        if getattr(facts, name):
            setattr(campaign, name, getattr(facts, name))
    if facts.stage_count is not None:
        campaign.stage_count = facts.stage_count
    campaign.save()
    return campaign
