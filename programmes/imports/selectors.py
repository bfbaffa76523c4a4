"""Reads of the Pix imports: a programme's imports and the participants waiting to be matched."""

from django.db.models import Count, Q

from campaigns.enums import MatchStatus
from campaigns.models import Campaign, Participation, ResultImport


def programme_imports(programme):
    """The Pix Orga imports uploaded for `programme`, newest first."""
    return (
        ResultImport.objects.filter(programme_link__programme=programme)
        .select_related("campaign", "uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


def import_campaigns(programme):
    """Campaigns to filter a programme's import history by: those it follows and those its
    imports brought."""
    return (
        Campaign.objects.filter(
            Q(programmes=programme) | Q(imports__programme_link__programme=programme)
        )
        .distinct()
        .order_by("name")
    )


def participations_to_match(programme):
    """Participations of the programme's campaigns waiting for an ambassador: no agent yet,
    or matched by name only and to be confirmed. Learners Pix anonymised never wait: nobody
    can tell who they were."""
    return (
        Participation.objects.filter(campaign__programmes=programme)
        .filter(Q(agent__isnull=True) | Q(match_status=MatchStatus.TO_CONFIRM))
        .exclude(match_status=MatchStatus.ANONYMISED)
    )


def participations_to_match_counts(programme):
    """How many participants wait: without an agent, and matched by name to be confirmed."""
    return participations_to_match(programme).aggregate(
        unmatched=Count("pk", filter=Q(agent__isnull=True)),
        to_confirm=Count("pk", filter=Q(match_status=MatchStatus.TO_CONFIRM)),
    )


def search_participants(participations, text):
    """Participations whose participant's names or external id contain every word."""
    query = Q()
    for word in (text or "").split():
        query &= (
            Q(participant_last_name__icontains=word)
            | Q(participant_first_name__icontains=word)
            | Q(participant_external_id__icontains=word)
        )
    return participations.filter(query)


def unmatched_count(programme):
    return (
        Participation.objects.filter(campaign__programmes=programme, agent__isnull=True)
        .exclude(match_status=MatchStatus.ANONYMISED)
        .count()
    )
