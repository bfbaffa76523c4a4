"""Writes of the Pix imports: importing Pix Orga exports for a programme.

An export uploaded for a programme is analysed (preview), then, once an ambassador or the
owner confirms, imported; its campaign is then followed by the programme (attached in the
import's own transaction). Background work goes through Celery tasks, which run in-process
when no broker is configured. A participant nobody could match becomes an agent here too."""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Min
from django.utils.translation import gettext as _

from agents.models import Agent, OrgUnit
from campaigns import services as campaign_services
from campaigns.enums import ImportStatus, MatchStatus
from campaigns.models import Campaign, Participation, ResultImport
from campaigns.tasks import analyse_import
from lib.tasks import enqueue
from programmes import perms
from programmes.imports import selectors as import_selectors
from programmes.imports.attach import attach_campaign_hook
from programmes.imports.ownership import campaign_follow, campaign_refusal
from programmes.imports.tasks import run_programme_import
from programmes.models import (
    CampaignShare,
    DismissedParticipant,
    Enrolment,
    Programme,
    ProgrammeImport,
    TargetPopulation,
)

logger = logging.getLogger(__name__)

CONFIRMABLE = (ImportStatus.READY, ImportStatus.FAILED)


class ImportNotReady(Exception):
    """The import cannot be confirmed in its current state."""


class QueueUnavailable(Exception):
    """The broker did not take the task: what was committed stays (an upload is analysed by
    the recovery sweep, campaigns.services.imports_recover); a confirmation is to retry."""

    def __init__(self, result_import: ResultImport):
        super().__init__(f"Task for import {result_import.pk} not queued")
        self.result_import = result_import


def programme_import_upload(
    *, programme: Programme, fileobj, original_name: str, user
) -> ResultImport:
    """Keep the uploaded export as an import of `programme` and start its analysis. The
    same file already imported is recorded as a duplicate (and its campaign followed by
    the programme, if it was not yet) — or refused when that campaign is another
    programme's (imports.ownership)."""
    with transaction.atomic():
        result_import = campaign_services.import_create(
            fileobj=fileobj, original_name=original_name, uploaded_by=user
        )
        ProgrammeImport.objects.create(programme=programme, result_import=result_import)
        if result_import.status == ImportStatus.DUPLICATE and result_import.campaign_id:
            refusal = campaign_refusal(programme=programme, campaign=result_import.campaign)
            if refusal is None:
                campaign_follow(programme=programme, campaign_id=result_import.campaign_id)
            else:
                result_import = campaign_services.import_refuse(
                    result_import_id=result_import.pk, messages=[refusal]
                )
    if result_import.status == ImportStatus.UPLOADED:
        if not enqueue(analyse_import, result_import.pk):
            raise QueueUnavailable(result_import)
        result_import.refresh_from_db()
    return result_import


def programme_import_confirm(*, programme: Programme, result_import: ResultImport) -> bool:
    """Start the import of a previewed export; once it is DONE, the campaign is followed
    by the programme. Raises ImportNotReady for an import not waiting for confirmation,
    QueueUnavailable when the broker does not take it (nothing changed). True when a worker
    will run it (it may not have started yet), False when it ran here (no broker)."""
    _check_link(programme, result_import)
    previous = result_import.status
    # QUEUED at once, whoever confirms twice: the page follows the import from now on, and
    # a second confirmation finds it no longer waiting (one task, one run).
    if previous not in CONFIRMABLE or not campaign_services.import_queue(
        result_import_id=result_import.pk, from_status=previous
    ):
        raise ImportNotReady(_("Cet import n'attend pas de confirmation."))
    if not enqueue(run_programme_import, result_import.pk, programme.pk):
        campaign_services.import_unqueue(result_import_id=result_import.pk, to_status=previous)
        raise QueueUnavailable(result_import)
    return not settings.CELERY_TASK_ALWAYS_EAGER


def import_live_progress(result_import: ResultImport) -> ResultImport:
    """The import with the progress its worker publishes while it runs (campaigns.services)."""
    return campaign_services.import_live_progress(result_import)


def programme_import_cancel(*, programme: Programme, result_import: ResultImport) -> None:
    """Drop a previewed export: nothing had been written; the import stays in the history."""
    _check_link(programme, result_import)
    campaign_services.import_cancel(result_import_id=result_import.pk)


def programme_import_run(*, programme: Programme, result_import: ResultImport) -> ResultImport:
    """Run the import now (in this process) and attach its campaign to the programme in
    the import's transaction. Used by the task and by the command line."""
    return campaign_services.import_run(
        result_import_id=result_import.pk, on_done=attach_campaign_hook(programme.pk)
    )


def programme_import_link(*, programme: Programme, result_import: ResultImport) -> None:
    """Record that an import was meant for `programme` (the command line's --programme)."""
    ProgrammeImport.objects.get_or_create(
        result_import=result_import, defaults={"programme": programme}
    )


def campaign_share(*, campaign: Campaign, programme: Programme, by) -> CampaignShare:
    """Let `programme` follow another programme's campaign (and see its results), as agreed
    by `by`, who owns both programmes or is staff (perms.can_share_campaign; else
    PermissionDenied). Sharing twice changes nothing."""
    if not perms.can_share_campaign(by, campaign, programme):
        raise PermissionDenied
    with transaction.atomic():
        share, _created = CampaignShare.objects.get_or_create(
            campaign=campaign, programme=programme, defaults={"shared_by": by}
        )
        programme.campaigns.add(campaign)
    return share


def _check_link(programme: Programme, result_import: ResultImport) -> None:
    if not ProgrammeImport.objects.filter(
        programme=programme, result_import=result_import
    ).exists():
        raise ValueError(f"Import {result_import.pk} is not one of programme {programme.pk}")


def agent_create_from_participant(
    *,
    participation: Participation,
    last_name: str,
    first_name: str,
    external_id: str | None = None,
    email: str | None = None,
    org_unit: OrgUnit | None = None,
    population: TargetPopulation | None = None,
    programme: Programme | None = None,
) -> Agent:
    """A participant nobody could match is a person the HR list did not have yet: create the
    agent, enrol them when a population is given, and attach every participation of that
    participant in the campaign — in every campaign of `programme` when it is given (their
    results follow). A learner Pix anonymised is nobody the organisation can name: refused."""
    if participation.match_status == MatchStatus.ANONYMISED:
        raise ValidationError(
            _("Cet apprenant a été anonymisé par Pix : aucun agent ne peut être créé pour lui.")
        )
    with transaction.atomic():
        agent = Agent.objects.create(
            last_name=last_name,
            first_name=first_name,
            external_id=external_id or None,
            email=email or None,
            org_unit=org_unit,
        )
        if population is not None:
            Enrolment.objects.create(agent=agent, population=population)
        if programme is None:
            campaign_services.participation_match(participation=participation, agent=agent)
        else:
            participant_match(programme=programme, participation=participation, agent=agent)
    return agent


def _one_per_campaign(programme: Programme, participation: Participation, **filters):
    """One waiting participation of the same person per campaign of the programme: the
    campaigns' services act on every participation of a participant within a campaign."""
    waiting = import_selectors.participations_to_match(programme).filter(
        participant_key=participation.participant_key, **filters
    )
    first_ids = waiting.order_by().values("campaign_id").annotate(first=Min("pk"))
    return Participation.objects.filter(pk__in=[row["first"] for row in first_ids])


def participant_match(*, programme: Programme, participation: Participation, agent: Agent) -> int:
    """Match a person by hand in every campaign of the programme where they wait (same
    participant key): their participations and results go to `agent`, and stay with them on
    later imports. Returns the number of participations matched."""
    with transaction.atomic():
        return sum(
            campaign_services.participation_match(participation=one, agent=agent)
            for one in _one_per_campaign(programme, participation)
        )


def participant_confirm(*, programme: Programme, participation: Participation) -> None:
    """Confirm the matches made by name of a person, in every campaign of the programme where
    they are to be confirmed for the same agent."""
    with transaction.atomic():
        for one in _one_per_campaign(
            programme,
            participation,
            agent_id=participation.agent_id,
            match_status=MatchStatus.TO_CONFIRM,
        ):
            campaign_services.participation_confirm(participation=one)


def participant_dismiss(*, programme: Programme, participation: Participation, by) -> None:
    """Say a participant is not of the organisation (a trainee, an outsider, a test account):
    the person leaves the programme's queue, on later imports too. Dismissing twice keeps the
    first decision."""
    DismissedParticipant.objects.get_or_create(
        programme=programme,
        participant_key=participation.participant_key,
        defaults={"by": by},
    )


def participant_restore(*, programme: Programme, participation: Participation) -> None:
    """Take a dismissal back: the person waits in the programme's queue again."""
    DismissedParticipant.objects.filter(
        programme=programme, participant_key=participation.participant_key
    ).delete()
