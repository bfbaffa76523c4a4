"""Writes of the unmatched-participant queue that go beyond campaigns' matching services."""

from django.db import transaction

from agents.models import Agent, OrgUnit
from campaigns import services as campaign_services
from campaigns.models import Participation

from .models import Enrolment, TargetPopulation


def agent_create_from_participant(
    *,
    participation: Participation,
    last_name: str,
    first_name: str,
    external_id: str | None = None,
    email: str | None = None,
    org_unit: OrgUnit | None = None,
    population: TargetPopulation | None = None,
) -> Agent:
    """A participant nobody could match is a person the HR list did not have yet: create the
    agent, enrol them when a population is given, and attach every participation of that
    participant in the campaign (their results follow)."""
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
        campaign_services.participation_match(participation=participation, agent=agent)
    return agent
