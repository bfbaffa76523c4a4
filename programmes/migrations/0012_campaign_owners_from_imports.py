"""Campaigns followed before the ownership rule get their owner: the programme of their
earliest DONE import, else the programme that followed them first. Every other programme that
followed them keeps doing so, recorded as a share agreed by nobody (shared_by empty) for staff
to review in the admin."""

from django.db import migrations
from django.utils import timezone


def fill_owners(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    ProgrammeImport = apps.get_model("programmes", "ProgrammeImport")
    CampaignOwnership = apps.get_model("programmes", "CampaignOwnership")
    CampaignShare = apps.get_model("programmes", "CampaignShare")
    Follow = Programme.campaigns.through
    first_imports = {}
    for link in (
        ProgrammeImport.objects.filter(
            result_import__status="done", result_import__campaign__isnull=False
        )
        .select_related("result_import")
        .order_by("result_import__uploaded_at", "result_import_id")
    ):
        first_imports.setdefault(link.result_import.campaign_id, link)
    followers = {}
    for campaign_id, programme_id in Follow.objects.order_by("pk").values_list(
        "campaign_id", "programme_id"
    ):
        followers.setdefault(campaign_id, []).append(programme_id)
    now = timezone.now()
    for campaign_id in sorted(set(first_imports) | set(followers)):
        link = first_imports.get(campaign_id)
        owner_id = link.programme_id if link else followers[campaign_id][0]
        CampaignOwnership.objects.get_or_create(
            campaign_id=campaign_id,
            defaults={
                "programme_id": owner_id,
                "first_import_id": link.result_import_id if link else None,
                "since": link.result_import.uploaded_at if link else now,
            },
        )
        for programme_id in followers.get(campaign_id, []):
            if programme_id != owner_id:
                CampaignShare.objects.get_or_create(
                    campaign_id=campaign_id, programme_id=programme_id, defaults={"shared_at": now}
                )


class Migration(migrations.Migration):
    dependencies = [
        ("programmes", "0011_campaign_ownership"),
    ]

    operations = [
        migrations.RunPython(fill_owners, migrations.RunPython.noop),
    ]
