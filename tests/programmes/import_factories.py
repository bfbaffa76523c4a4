"""Imports and waiting participants of a programme, made directly for pages that only read
them. Tests of what an import writes go through the services with real Pix exports."""

from campaigns.enums import ImportStatus
from programmes.models import ProgrammeImport
from tests.campaigns.factories import (
    CompetenceResultFactory,
    ParticipationFactory,
    ResultImportFactory,
    media_root,
)

__all__ = [
    "CompetenceResultFactory",
    "ParticipationFactory",
    "media_root",
    "programme_import",
    "refused_import",
    "waiting_participation",
]


def programme_import(programme, **kwargs):
    """An import uploaded for `programme`; its campaign, if any, followed by the programme."""
    result_import = ResultImportFactory(**kwargs)
    ProgrammeImport.objects.create(programme=programme, result_import=result_import)
    if result_import.campaign is not None:
        programme.campaigns.add(result_import.campaign)
    return result_import


def refused_import(programme, errors, **kwargs):
    """An import of `programme` refused with these row errors ({line, column, message})."""
    return programme_import(
        programme, status=ImportStatus.REFUSED, campaign=None, errors=errors, **kwargs
    )


def waiting_participation(programme, **kwargs):
    """A participant of one of the programme's campaigns that no agent was found for."""
    participation = ParticipationFactory(**kwargs)
    programme.campaigns.add(participation.campaign)
    return participation
