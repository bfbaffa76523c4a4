"""Reads of the Pix imports: a programme's imports and the participants waiting to be matched."""

from difflib import SequenceMatcher

from django.db.models import Count, Max, Min, Q

from campaigns.enums import ImportStatus, MatchStatus
from campaigns.importing.keys import fold_name
from campaigns.models import Campaign, Participation, ResultImport
from programmes.models import DismissedParticipant

# Filter values in the addresses of the pages these selectors serve, shared with the pages
# that link to them (the ambassador's to-do list): the history's imports to confirm or run
# again (?etat=), the matching queue's name matches to confirm (?onglet=).
TO_CONFIRM_STATE = "a-confirmer"
TO_CONFIRM_TAB = "a-confirmer"


def programme_imports(programme):
    """The Pix Orga imports uploaded for `programme`, newest first."""
    return (
        ResultImport.objects.filter(programme_link__programme=programme)
        .select_related("campaign", "uploaded_by")
        .order_by("-uploaded_at", "-id")
    )


# Imports waiting for someone to confirm them: the preview is ready, or the import failed
# and may be run again (campaigns.services: what confirming accepts).
TO_CONFIRM = (ImportStatus.READY, ImportStatus.FAILED)


def imports_to_confirm(programme):
    """The programme's imports waiting to be confirmed or run again."""
    return programme_imports(programme).filter(status__in=TO_CONFIRM)


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
    or matched by name only and to be confirmed — but not the participants dismissed as not of
    the organisation, nor learners Pix anonymised (nobody can tell who they were)."""
    return (
        Participation.objects.filter(campaign__programmes=programme)
        .filter(Q(agent__isnull=True) | Q(match_status=MatchStatus.TO_CONFIRM))
        .exclude(match_status=MatchStatus.ANONYMISED)
        .exclude(participant_key__in=_dismissed_keys(programme))
    )


def participations_dismissed(programme):
    """Participations of the programme's campaigns whose participant was dismissed as not of
    the organisation (and has no agent)."""
    return Participation.objects.filter(
        campaign__programmes=programme,
        agent__isnull=True,
        participant_key__in=_dismissed_keys(programme),
    )


def _dismissed_keys(programme):
    return DismissedParticipant.objects.filter(programme=programme).values("participant_key")


def dismissed_count(programme):
    """How many persons of the programme's campaigns were dismissed (and have no agent)."""
    return participations_dismissed(programme).aggregate(
        count=Count("participant_key", distinct=True)
    )["count"]


def participations_to_match_counts(programme):
    """How many persons wait (one participant key is one person, whatever the number of
    their participations): without an agent, and matched by name to be confirmed."""
    return participations_to_match(programme).aggregate(
        unmatched=Count("participant_key", distinct=True, filter=Q(agent__isnull=True)),
        to_confirm=Count(
            "participant_key", distinct=True, filter=Q(match_status=MatchStatus.TO_CONFIRM)
        ),
    )


def participants_of(participations):
    """One row per person (participant key) of `participations`, sorted by name: the key,
    the names and external id as the export wrote them, the first participation's id (the
    person's address in the queue) and how many participations they have."""
    return (
        participations.order_by()
        .values("participant_key")
        .annotate(
            last_name=Min("participant_last_name"),
            first_name=Min("participant_first_name"),
            external_id=Max("participant_external_id"),
            first_id=Min("pk"),
            participation_count=Count("pk"),
        )
        .order_by("last_name", "first_name", "participant_key")
    )


def with_participations(people, participations):
    """Give each person row (participants_of) its participations, in one query."""
    people = list(people)
    keys = [person["participant_key"] for person in people]
    by_key = {}
    rows = (
        participations.filter(participant_key__in=keys)
        .select_related("campaign", "agent")
        .order_by("campaign__name", "pk")
    )
    for participation in rows:
        by_key.setdefault(participation.participant_key, []).append(participation)
    for person in people:
        person["participations"] = by_key.get(person["participant_key"], [])
    return people


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
    """How many persons of the programme's campaigns wait without an agent."""
    return participations_to_match_counts(programme)["unmatched"]


MAX_SUGGESTIONS = 5
MAX_SUGGESTION_POOL = 200


def suggested_agents(agents, participation, limit=MAX_SUGGESTIONS):
    """Agents of `agents` that may be this participant, best first: the same e-mail address or
    local part (an external id written as « prenom.nom » or an address), then names alike
    (accents, case and hyphens aside; a typo tolerated). At most `limit`."""
    last = fold_name(participation.participant_last_name or "")
    first = fold_name(participation.participant_first_name or "")
    external = (participation.participant_external_id or "").strip().lower()
    local = external.split("@", 1)[0] if external else ""
    query = Q()
    # A short prefix, as written and folded, lets a typo or an accent through the database's
    # filter; the ranking below does the fine comparison.
    raw_last = (participation.participant_last_name or "").split()
    for word in {w[:3] for w in last.split() + raw_last if len(w) >= 2}:
        query |= Q(last_name__icontains=word)
    if local and ("." in local or "@" in external):
        query |= Q(email__istartswith=f"{local}@")
    if not query:
        return []
    pool = list(agents.filter(query).select_related("org_unit")[:MAX_SUGGESTION_POOL])
    wanted = f"{first} {last}"

    def score(agent):
        email_local = (agent.email or "").lower().split("@", 1)[0]
        same_email = bool(local) and email_local == local
        alike = SequenceMatcher(
            None, wanted, f"{fold_name(agent.first_name)} {fold_name(agent.last_name)}"
        ).ratio()
        return (same_email, alike)

    ranked = sorted(pool, key=score, reverse=True)
    return [agent for agent in ranked if score(agent) >= (False, 0.6)][:limit]
